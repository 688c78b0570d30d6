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


def task_argv(task: str, tmp) -> list[str]:
    """A tiny training run of ``task``."""
    small = ["--hidden", "4", "--batch-size", "4", "--steps", "2", "--threads", "1"]
    if task == "forecast":
        rows = [f"{2000 + i // 12}-{i % 12 + 1:02d}-01,{5 + (i % 12) / 3}" for i in range(60)]
        (tmp / "series.csv").write_text("when,y\n" + "\n".join(rows) + "\n")
        data = ["--data", str(tmp / "series.csv"), "--target", "y", "--horizon", "3"]
        return ["forecast", "train", *data, "--lookback", "12", "--strategy", "seq2seq", *small]
    if task == "classify":
        rows = [f"{'fine day' if i % 2 else 'bad day'} {i},{'+-'[i % 2]}" for i in range(24)]
        (tmp / "reviews.csv").write_text("review,y\n" + "\n".join(rows) + "\n")
        data = ["--data", str(tmp / "reviews.csv"), "--text-column", "review"]
        data += ["--label-column", "y", "--test-fraction", "0.25", "--val-fraction", "0.2"]
        return ["classify", "train", *data, "--embed", "4", "--pool", "attention", *small]
    if task == "seq2seq":
        pairs = "".join(f"{w}\t{w[::-1]}\n" for w in ["ab", "ba", "abc", "cab"] * 6)
        (tmp / "pairs.tsv").write_text("source\ttarget\n" + pairs)
        data = ["--data", str(tmp / "pairs.tsv"), "--test-fraction", "0.2", "--val-fraction", "0.2"]
        return ["seq2seq", "train", *data, "--embed", "4", "--no-baselines", *small]
    if task == "caption":
        data = ["--max-digits", "2", "--epoch-size", "8", "--eval-size", "4", "--encoder", "mlp"]
        return [
            "caption",
            "train",
            *data,
            "--embed",
            "4",
            "--features",
            "4",
            "--no-baselines",
            *small,
        ]
    if task == "names":
        pytest.importorskip("faker")
        data = ["--languages", "Italian,Russian", "--per-language", "20", "--embed", "4"]
        return ["names", "train", *data, *small]
    if task == "demo":
        return ["demo", "--length", "500", "--bptt", "10", "--cell", "gru", "--layer-norm", *small]
    return ["longrange", task, "--length", "5", "--test-size", "5", "--val-size", "5", *small]


GRAPHS = {
    "forecast": ["model"],
    "classify": ["model"],
    "seq2seq": ["encoder", "decoder_step"],
    "caption": ["encoder", "decoder_step"],
    "names": ["start", "step"],
    "demo": ["model"],
    "adding": ["model"],
    "copy": ["model"],
}


@pytest.mark.parametrize("task", GRAPHS)
def test_every_task_exports(task, tmp_path):
    run = tmp_path / "run"
    assert main([*task_argv(task, tmp_path), "--quiet", "--out", str(run)]) == 0
    assert main(["export", str(run), "--quiet"]) == 0
    manifest = json.loads((run / "onnx" / "export.json").read_text())
    assert manifest["task"] == task and list(manifest["graphs"]) == GRAPHS[task]
    for graph in manifest["graphs"].values():
        assert [c["max_abs_error"] < 1e-5 for c in graph["checked"]] == [True, True]
