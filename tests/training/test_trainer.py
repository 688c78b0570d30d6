import json
import math
import os
import signal

import pytest
import torch
from safetensors.torch import load_file

from rnnkit.models.output import Output
from rnnkit.training import TrainConfig, Trainer, TrainingDiverged, TrainingInterrupted
from rnnkit.training.checkpoint import MODEL_FILE, load_weights
from rnnkit.training.metrics import read_metrics
from tests.training.helpers import Linear, pairs, stream_trainer, tiny_model


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def losses(trainer: Trainer) -> list[float]:
    seen = []
    trainer.add_callback("on_step_end", lambda t: seen.append(t.last["loss"]))
    trainer.fit()
    return seen


def test_same_seed_same_losses():
    a = losses(stream_trainer(dropout=0.3, layers=2))
    b = losses(stream_trainer(dropout=0.3, layers=2))
    assert a == b and len(a) == 12
    assert a != losses(stream_trainer(seed=1, layers=2, dropout=0.3))


def test_loss_falls_and_summary_reports_it():
    trainer = Trainer(Linear(), TrainConfig(epochs=30, lr=0.05), pairs())
    seen = losses(trainer)
    assert seen[-1] < 0.1 * seen[0]
    summary = trainer.summary()
    assert summary["step"] == 120 and summary["epoch"] == 30 and summary["stopped"] == "done"


def grads_after(trainer: Trainer) -> tuple[dict, dict, list[float]]:
    """Gradients before clipping, after the optimizer step's clipping, recorded norms."""
    before, after, norms = {}, {}, []
    trainer.add_callback(
        "on_after_backward",
        lambda t: before.update({n: p.grad.clone() for n, p in t.model.named_parameters()}),
    )
    trainer.add_callback(
        "on_step_end",
        lambda t: (
            after.update({n: p.grad.clone() for n, p in t.model.named_parameters()}),
            norms.append(t.grad_norm),
        ),
    )
    trainer.fit()
    return before, after, norms


def test_clip_by_global_norm_and_recorded_norm_is_the_pre_clip_norm(tmp_path):
    before, after, norms = grads_after(stream_trainer(tmp_path, steps=1, clip=1e-3))
    pre = torch.nn.utils.get_total_norm(list(before.values()))
    assert norms[0] == pytest.approx(float(pre), rel=1e-6) and norms[0] > 1e-3
    post = torch.nn.utils.get_total_norm(list(after.values()))
    assert float(post) == pytest.approx(1e-3, rel=1e-4)
    for n in before:  # same direction, scaled down
        torch.testing.assert_close(after[n], before[n] * (1e-3 / float(pre)), rtol=1e-4, atol=1e-9)
    logged = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["split"] == "train"]
    assert logged[0]["grad_norm"] == pytest.approx(norms[0])


def test_clip_by_value_is_elementwise():
    before, after, _ = grads_after(stream_trainer(steps=1, clip_value=1e-3))
    for n in before:
        assert torch.equal(after[n], before[n].clamp(-1e-3, 1e-3))


def test_no_clipping_by_default():
    before, after, _ = grads_after(stream_trainer(steps=1))
    assert all(torch.equal(before[n], after[n]) for n in before)


class Exploding(Linear):
    def forward(self, batch, state=None) -> Output:
        out = super().forward(batch)
        return Output(loss=out.loss * float("nan"), prediction=out.prediction)


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_checkpoint(tmp_path):
    stream_trainer(tmp_path, steps=4).fit()
    with pytest.raises(TrainingDiverged, match=r"step 1: the loss is nan.*--clip.*--lr"):
        Trainer(Exploding(), TrainConfig(steps=3), pairs()).fit()
    saved = tmp_path / "last" / MODEL_FILE
    before = saved.read_bytes()
    bad = stream_trainer(tmp_path, steps=8)
    bad.resume()
    bad.add_callback(
        "on_after_backward",
        lambda t: t.step == 5 and next(t.model.parameters()).grad.fill_(math.inf),
    )
    with pytest.raises(TrainingDiverged, match=r"step 6: the gradient norm is inf.*last good"):
        bad.fit()
    assert saved.read_bytes() == before
    load_weights(tiny_model(), saved)


def test_resume_equals_an_uninterrupted_run(tmp_path):
    full = stream_trainer(
        tmp_path / "full",
        steps=14,
        dropout=0.3,
        layers=2,
        schedule="cosine",
        warmup=3,
        eval_every=5,
        optimizer="adamw",
        bptt_random=True,
    )
    full.fit()
    first = stream_trainer(
        tmp_path / "cut",
        steps=14,
        dropout=0.3,
        layers=2,
        schedule="cosine",
        warmup=3,
        eval_every=5,
        optimizer="adamw",
        bptt_random=True,
    )
    first.add_callback("on_step_end", lambda t: t.step == 7 and t.request_stop())
    first.fit()
    assert first.step == 7
    torch.manual_seed(123)  # a different initialisation is overwritten by the checkpoint
    resumed = stream_trainer(
        tmp_path / "cut",
        seed=5,
        steps=14,
        dropout=0.3,
        layers=2,
        schedule="cosine",
        warmup=3,
        eval_every=5,
        optimizer="adamw",
        bptt_random=True,
    )
    assert resumed.resume() == 7
    resumed.fit()
    a, b = weights(full.model), weights(resumed.model)
    assert all(torch.equal(a[k], b[k]) for k in a)
    steps = [
        r["step"] for r in read_metrics(tmp_path / "cut" / "metrics.jsonl") if r["split"] == "train"
    ]
    assert steps == list(range(1, 15))


def test_early_stopping_and_best_checkpoint(tmp_path):
    trainer = stream_trainer(
        tmp_path, steps=200, eval_every=1, patience=2, lr=0.5, optimizer="sgd", momentum=0.0
    )
    values = iter([3.0, 2.0, 2.5, 1.5, 1.6, 1.7, 1.0])
    trainer.evaluate_fn = lambda model: {"val_loss": next(values)}
    summary = trainer.fit()
    assert summary["stopped"] == "early_stop" and summary["step"] == 6
    assert summary["best_val_loss"] == 1.5
    assert json.loads((tmp_path / "best" / "checkpoint.json").read_text())["step"] == 4


def test_unknown_metric_is_an_error():
    trainer = stream_trainer(steps=2, metric="accuracy")
    with pytest.raises(ValueError, match="accuracy"):
        trainer.fit()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_last_and_stops(tmp_path, signum):
    previous = signal.getsignal(signum)
    trainer = stream_trainer(tmp_path, steps=50)
    trainer.add_callback("on_step_end", lambda t: t.step == 3 and os.kill(os.getpid(), signum))
    with pytest.raises(TrainingInterrupted, match=f"{signal.Signals(signum).name} at step 3"):
        trainer.fit()
    assert signal.getsignal(signum) is previous  # handlers restored
    assert (tmp_path / "last" / "checkpoint.json").exists()
    resumed = stream_trainer(tmp_path, steps=50)
    assert resumed.resume() == 3


def test_callbacks_reject_unknown_events():
    with pytest.raises(ValueError, match="on_batch_begin"):
        stream_trainer().add_callback("on_batch_begin", print)


def test_time_budget_stops_training():
    summary = stream_trainer(steps=1000, minutes=1e-9).fit()
    assert summary["step"] == 1 and summary["stopped"] == "time"


def test_cosine_schedule_decays_over_the_time_budget():
    trainer = stream_trainer(steps=None, minutes=0.01, schedule="cosine", lr=1e-2)
    lrs: list[float] = []
    trainer.add_callback("on_step_end", lambda t: lrs.append(t.optimizer.param_groups[0]["lr"]))
    summary = trainer.fit()
    assert summary["stopped"] == "time" and len(lrs) > 2
    assert lrs[0] == pytest.approx(1e-2)  # no time spent before the first update
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert lrs[-1] < lrs[0]


def test_epochs_over_a_list_of_batches_and_resume_mid_epoch(tmp_path):
    def trainer(run, **kw):
        torch.manual_seed(0)
        return Trainer(
            Linear(),
            TrainConfig(lr=0.05, optimizer="rmsprop", **kw),
            pairs(5),
            val_data=pairs(2, seed=1),
            run=run,
        )

    full = trainer(tmp_path / "a", epochs=3)
    assert full.total_steps == 15
    full.fit()
    cut = trainer(tmp_path / "b", epochs=3)
    cut.add_callback("on_step_end", lambda t: t.step == 7 and t.request_stop())
    cut.fit()
    again = trainer(tmp_path / "b", epochs=3)
    assert again.resume() == 7 and again.batch_in_epoch == 2
    again.fit()
    a, b = weights(full.model), weights(again.model)
    assert all(torch.equal(a[k], b[k]) for k in a) and again.epoch == 3


def test_restore_best_loads_the_best_checkpoint(tmp_path):
    assert stream_trainer().restore_best() is False  # no run directory
    trainer = stream_trainer(tmp_path, steps=6, eval_every=2)
    trainer.fit()
    with torch.no_grad():
        for p in trainer.model.parameters():
            p.add_(1.0)
    assert trainer.restore_best() is True
    best = load_file(str(tmp_path / "best" / "model.safetensors"))
    state = trainer.model.state_dict()
    assert best.keys() == state.keys()
    assert all(torch.equal(best[k], state[k]) for k in best)
