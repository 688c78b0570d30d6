"""Callbacks: the events, their order, state that survives a resume, and misuse."""

import pytest
import torch

from rnnkit.training import Callback, TrainConfig, Trainer
from rnnkit.training.metrics import read_metrics
from tests.training.helpers import Linear, pairs, stream_trainer


class Recorder(Callback):
    """Records (event, step) for every event."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            return lambda t: self.seen.append((name, t.step))
        return super().__getattribute__(name)


def test_events_come_in_order(tmp_path):
    recorder = Recorder()
    stream_trainer(tmp_path, steps=2, eval_every=2, callbacks=[recorder]).fit()
    step = ["on_batch_start", "on_after_backward", "on_before_optimizer_step"]
    assert recorder.seen == [
        ("on_train_start", 0),
        *[(e, 0) for e in step],
        ("on_step_end", 1),
        *[(e, 1) for e in step],
        ("on_checkpoint", 2),  # the evaluation of step 2 writes last/ (built-ins first) ...
        ("on_checkpoint", 2),  # ... and best/
        ("on_eval", 2),  # then the evaluation reaches the caller's callbacks
        ("on_step_end", 2),
        ("on_train_end", 2),
        ("on_close", 2),
    ]


def test_on_close_runs_when_training_fails():
    recorder = Recorder()
    trainer = Trainer(Linear(), TrainConfig(steps=2), [], callbacks=[recorder])
    with pytest.raises(ValueError, match="no training batches"):
        trainer.fit()
    assert recorder.seen[-1] == ("on_close", 0)


class Feeding(Callback):
    """Feeds the model a state of its own making (as truncated BPTT's carry does)."""

    def on_batch_start(self, trainer) -> None:
        trainer.state_in = ("mine", trainer.step)


class StateSeen(Linear):
    def __init__(self) -> None:
        super().__init__()
        self.states: list[object] = []

    def forward(self, batch, state=None):
        self.states.append(state)
        return super().forward(batch)


def test_a_callback_feeds_the_state_in():
    model = StateSeen()
    Trainer(model, TrainConfig(steps=2), pairs(), callbacks=[Feeding()]).fit()
    assert model.states == [("mine", 0), ("mine", 1)]


class Counter(Callback):
    """Counts steps over every session of a run (its state survives a resume)."""

    def __init__(self) -> None:
        self.steps = 0

    def on_step_end(self, trainer) -> None:
        self.steps += 1

    def state_dict(self) -> dict:
        return {"counter_steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.steps = state.get("counter_steps", 0)


def test_callback_state_is_saved_with_last_and_restored_on_resume(tmp_path):
    first = Counter()
    stream_trainer(tmp_path, steps=3, callbacks=[first]).fit()
    again = Counter()
    resumed = stream_trainer(tmp_path, steps=5, callbacks=[again])
    assert resumed.resume() == 3 and again.steps == 3
    resumed.fit()
    assert again.steps == 5
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2, 3, 3, 4, 5, 5]


def test_a_callback_state_may_not_overwrite_the_trainers(tmp_path):
    class Clash(Callback):
        def state_dict(self) -> dict:
            return {"step": 99}

    with pytest.raises(ValueError, match=r"Clash.state_dict\(\) reuses the trainer's \['step'\]"):
        stream_trainer(tmp_path, steps=1, callbacks=[Clash()]).fit()


def test_a_misspelt_event_method_is_an_error():
    class Typo(Callback):
        def on_step_ended(self, trainer) -> None: ...

    with pytest.raises(ValueError, match=r"Typo.on_step_ended is not a callback event"):
        stream_trainer(callbacks=[Typo()])


def test_any_object_with_event_methods_is_a_callback():
    class Plain:
        def __init__(self) -> None:
            self.losses: list[float] = []

        def on_step_end(self, trainer) -> None:
            self.losses.append(trainer.loss)

    plain = Plain()
    trainer = Trainer(Linear(), TrainConfig(steps=3), pairs(), callbacks=[plain])
    trainer.fit()
    assert len(plain.losses) == 3 and plain.losses[-1] == trainer.last["loss"]


def test_request_stop_from_on_eval_stops_after_that_step():
    trainer = Trainer(Linear(), TrainConfig(steps=50, eval_every=3), pairs(), val_data=pairs())
    trainer.add_callback("on_eval", lambda t: t.request_stop("enough"))
    summary = trainer.fit()
    assert summary["step"] == 3 and summary["stopped"] == "enough"
    assert torch.isfinite(torch.tensor(summary["val_loss"]))
