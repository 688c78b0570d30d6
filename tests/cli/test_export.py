"""`rnnkit export RUN --format onnx` on small runs, end to end."""

import json

import numpy as np
import pytest

from rnnkit.cli.main import main

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    corpus = tmp / "tiny.txt"
    corpus.write_text("the cat sat on the mat.\n" * 40)
    out = tmp / "lm"
    argv = ["lm", "train", "--data", str(corpus), "--hidden", "8", "--batch-size", "4"]
    assert main([*argv, "--steps", "2", "--quiet", "--threads", "1", "--out", str(out)]) == 0
    return out


def test_export_writes_checked_graphs_the_manifest_and_the_vocabulary(lm_run, capsys):
    assert main(["export", str(lm_run)]) == 0
    printed = capsys.readouterr().out
    assert "step.onnx" in printed and "onnxruntime matches PyTorch" in printed
    out = lm_run / "onnx"
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["task"] == "lm" and manifest["files"] == ["config.json", "vocab.json"]
    step = manifest["graphs"]["step"]
    assert [p["name"] for p in step["inputs"]] == ["token", "h", "c"]
    assert step["inputs"][1]["shape"] == [1, "batch", 8]
    tokens = json.loads((out / "vocab.json").read_text())["tokens"]
    session = ort.InferenceSession(str(out / "step.onnx"), providers=["CPUExecutionProvider"])
    zeros = np.zeros((1, 2, 8), np.float32)
    logits, h, c = session.run(None, {"token": np.array([1, 2]), "h": zeros, "c": zeros})
    assert logits.shape == (2, len(tokens)) and h.shape == c.shape == (1, 2, 8)


def test_export_refuses_a_used_directory_and_a_non_run(lm_run, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    assert main(["export", str(lm_run), "--out", str(taken)]) != 0
    assert "not an empty directory" in capsys.readouterr().err
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]
    assert main(["export", str(tmp_path)]) != 0
    err = capsys.readouterr().err.strip()
    assert "not a run directory" in err and len(err.splitlines()) == 1
