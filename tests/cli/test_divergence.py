"""Divergence is caught in every task, as one line naming the step; no traceback."""

import pytest
import torch
from safetensors.torch import load_file, save_file

from rnnkit.cli.main import main


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "tiny.txt"
    path.write_text("the cat sat on the mat.\n" * 80)
    return path


def commands(corpus):
    yield ["demo", "--length", "2000", "--hidden", "4", "--batch-size", "4", "--bptt", "10"]
    yield ["lm", "train", "--data", str(corpus), "--hidden", "16", "--batch-size", "4"]
    yield ["longrange", "adding", "--length", "10", "--hidden", "8", "--test-size", "10"]
    yield ["longrange", "copy", "--length", "5", "--hidden", "8", "--test-size", "10"]
    yield ["names", "train", "--languages", "Italian", "--per-language", "40", "--hidden", "8"]


@pytest.mark.parametrize("index", range(5))
def test_every_task_stops_on_divergence(index, corpus, tmp_path, capsys):
    argv = list(commands(corpus))[index]
    if argv[0] == "names":
        pytest.importorskip("faker")
        argv += ["--batch-size", "16"]
    code = main([*argv, "--lr", "1e30", "--steps", "20", "--quiet", "--threads", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "training diverged at step" in err[0] and "Traceback" not in err[0]


def test_a_names_batch_larger_than_the_data_is_an_error_not_a_hang(capsys):
    pytest.importorskip("faker")
    argv = ["names", "train", "--languages", "Italian", "--per-language", "40", "--steps", "5"]
    assert main([*argv, "--quiet"]) == 2
    assert "no training batches" in capsys.readouterr().err


def test_overflowing_perplexity_is_a_one_line_error(corpus, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["lm", "train", "--data", str(corpus), "--hidden", "16", "--batch-size", "4"]
    assert main([*argv, "--steps", "3", "--no-baselines", "--quiet", "--out", str(run)]) == 0
    for tag in ("best", "last"):  # weights blown up after training, as a diverged run's
        path = run / tag / "model.safetensors"
        weights = load_file(str(path))
        save_file({k: v * 1e6 if k.startswith("head") else v for k, v in weights.items()}, path)
    assert main(["lm", "eval", str(run)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "the model has diverged" in line and "OverflowError" not in line
    assert torch.isfinite(load_file(str(run / "last" / "model.safetensors"))["head.weight"]).all()
