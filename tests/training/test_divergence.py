"""Divergence: non-finite or exploding losses, bad validation metrics, and the checkpoint
named as good always holding weights from before the explosion."""

import math

import pytest
import torch
from safetensors.torch import load_file

from rnnkit.training import TrainConfig, Trainer, TrainingDiverged
from rnnkit.training.checkpoint import MODEL_FILE
from tests.training.helpers import Linear, pairs, stream_trainer


class Spiking(Linear):
    """A finite loss that jumps a million-fold from the fourth batch on."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, batch, state=None):
        out = super().forward(batch, state)
        self.calls += 1
        out.loss = out.loss * (1e6 if self.calls >= 4 else 1.0)
        return out


def test_an_exploding_finite_loss_stops_training():
    trainer = Trainer(Spiking(), TrainConfig(steps=50, lr=1e-3), pairs(8))
    with pytest.raises(TrainingDiverged, match=r"step 4: the mean loss of the last 4 steps is "):
        trainer.fit()
    assert trainer.step == 3  # the exploded step was not taken


def test_the_factor_is_configurable_and_can_be_turned_off():
    config = TrainConfig(steps=3, lr=10.0, optimizer="sgd", momentum=0.0, diverge_factor=None)
    losses = []
    trainer = Trainer(Linear(), config, pairs(8))
    trainer.add_callback("on_step_end", lambda t: losses.append(t.last["loss"]))
    try:
        trainer.fit()
    except TrainingDiverged as e:  # only a non-finite loss stops it now
        assert not math.isfinite(e.value)
    assert losses and losses[-1] > 1000 * min(losses)  # exploding, yet not stopped by the factor
    with pytest.raises(ValueError, match="TrainConfig.diverge_factor must be > 1"):
        TrainConfig(diverge_factor=0.5)


def test_the_checkpoint_named_good_holds_weights_from_before_the_explosion(tmp_path):
    stream_trainer(tmp_path, steps=6, checkpoint_every=1).fit()
    good = load_file(str(tmp_path / "last" / MODEL_FILE))
    bad = stream_trainer(tmp_path, steps=12, checkpoint_every=1, lr=1e30)
    bad.resume()
    with pytest.raises(TrainingDiverged) as e:
        bad.fit()
    assert e.value.checkpoint == str(tmp_path / "last")
    kept = load_file(str(tmp_path / "last" / MODEL_FILE))
    assert kept.keys() == good.keys()
    assert all(torch.equal(kept[k], good[k]) for k in good)  # no exploded weights were saved
    assert all(float(v.abs().max()) < 100 for v in kept.values())


def test_a_nan_validation_metric_stops_the_run_before_saving(tmp_path):
    calls = {"n": 0}

    def evaluate(model):
        calls["n"] += 1
        return {"val_loss": 0.5 if calls["n"] == 1 else float("nan")}

    config = TrainConfig(steps=6, eval_every=2, lr=1e-3)
    trainer = Trainer(Linear(), config, pairs(), evaluate=evaluate, run=tmp_path)
    with pytest.raises(TrainingDiverged, match=r"step 4: the validation metric val_loss is nan"):
        trainer.fit()
    assert trainer.validation.best == 0.5  # best stays the finite one
    best = tmp_path / "best" / "checkpoint.json"
    assert '"step": 2' in best.read_text()
    assert '"step": 2' in (tmp_path / "last" / "checkpoint.json").read_text()


def test_an_epoch_without_batches_is_an_error_not_a_hang():
    with pytest.raises(ValueError, match="no training batches"):
        Trainer(Linear(), TrainConfig(steps=5), []).fit()
