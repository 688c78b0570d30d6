"""Loading checkpoints: NaN or infinite weights and trainer state are refused, naming
the file, before anything reaches the model."""

import math

import pytest
import torch
from safetensors.torch import load_file, save_file

from rnnkit.cli.main import main
from rnnkit.training.checkpoint import MODEL_FILE, load_tree, load_weights, save_weights
from tests.training.helpers import stream_trainer, tiny_model


def poison(path, value: float, pick=lambda name: True) -> str:
    """Write `value` into the first element of the first tensor `pick` accepts."""
    tensors = load_file(str(path))
    name = next(k for k in sorted(tensors) if pick(k) and tensors[k].is_floating_point())
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[0] = value
    save_file(tensors, str(path))
    return name


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_weights_are_refused_naming_the_file_and_the_weight(tmp_path, value):
    path = tmp_path / MODEL_FILE
    save_weights(tiny_model(), path)
    name = poison(path, value)
    model = tiny_model(seed=1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError) as e:
        load_weights(model, path)
    assert str(e.value) == (
        f"{path}: weight {name} holds NaN or infinite values; "
        "refusing a damaged or diverged checkpoint"
    )
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # untouched


def test_non_finite_optimizer_state_is_refused_on_resume(tmp_path):
    stream_trainer(tmp_path, steps=2).fit()
    path = tmp_path / "last" / "trainer.safetensors"
    poison(path, math.nan, lambda name: "optimizer" in name)
    with pytest.raises(ValueError, match=r"trainer.safetensors: the optimizer state holds NaN"):
        load_tree(tmp_path / "last", "trainer")
    with pytest.raises(ValueError, match=r"trainer.safetensors: the optimizer state holds NaN"):
        stream_trainer(tmp_path, steps=4).resume()


def test_resume_refuses_nan_weights_in_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["demo", "--length", "400", "--hidden", "4", "--batch-size", "4", "--bptt", "10"]
    assert main([*argv, "--steps", "2", "--quiet", "--out", str(run)]) == 0
    poison(run / "last" / MODEL_FILE, math.nan)
    assert main([*argv, "--steps", "4", "--quiet", "--out", str(run), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"rnnkit: error: {run / 'last' / MODEL_FILE}: weight ")
    assert err.endswith("holds NaN or infinite values; refusing a damaged or diverged checkpoint")
    assert len(err.splitlines()) == 1


def test_restore_best_refuses_infinite_weights(tmp_path):
    trainer = stream_trainer(tmp_path, steps=2)
    trainer.fit()
    poison(tmp_path / "best" / MODEL_FILE, math.inf)
    with pytest.raises(ValueError, match=r"best/model.safetensors: weight .* NaN or infinite"):
        trainer.restore_best()
