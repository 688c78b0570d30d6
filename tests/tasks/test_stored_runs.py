"""Run directories written by an older rnnkit still load and work.

tests/fixtures/runs_v1 holds tiny runs of every task written by rnnkit before its tasks
became packages (see make.sh there). Every reader — eval, sample, fill, predict,
translate, inspect, export — works on them, and eval scores each run as it scored itself
when it was trained.
"""

import json
import shutil
from pathlib import Path

import pytest

from rnnkit.cli.main import main

STORED = Path(__file__).parent.parent / "fixtures" / "runs_v1"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("stored") / "runs"
    shutil.copytree(STORED, root)
    return root


@pytest.fixture(autouse=True)
def inside(runs, monkeypatch, tmp_path):
    monkeypatch.chdir(runs)  # the runs recorded their data by relative paths
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))


def result_of(capsys, *argv: str) -> dict:
    assert main([*argv, "--json", "--quiet", "--threads", "1"]) == 0, argv
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def stored(run: str) -> dict:
    return json.loads((STORED / run / "result.json").read_text())


@pytest.mark.parametrize(
    "group, run, keys",
    [
        ("lm", "lm", ["val_loss"]),
        ("longrange", "adding", ["val_mse", "test_mse"]),
        ("longrange", "copy", ["test_xent", "test_accuracy"]),
        ("forecast", "forecast", ["test_mae", "test_rmse"]),
        ("classify", "classify", ["val_accuracy", "test_accuracy", "test_loss"]),
        ("seq2seq", "seq2seq", ["test_exact_match", "test_cer", "val_loss"]),
        ("caption", "caption", ["test_cer", "val_loss"]),
    ],
)
def test_eval_scores_a_stored_run_as_it_scored_itself(capsys, group, run, keys):
    found = result_of(capsys, group, "eval", run)
    before = stored(run)
    for key in keys:
        assert found[key] == pytest.approx(before[key], rel=1e-5, abs=1e-7), key


def test_names_runs_evaluate_and_sample(capsys):
    pytest.importorskip("faker")
    found = result_of(capsys, "names", "eval", "names")
    assert found["test_nats_per_char"] == pytest.approx(stored("names")["test_nats_per_char"])
    drawn = result_of(capsys, "names", "sample", "names", "--language", "Italian", "-n", "3")
    assert len(drawn["names"]) == 3


def test_language_model_runs_sample_and_fill(capsys):
    text = result_of(capsys, "lm", "sample", "lm", "--prime", "the", "--length", "8")["text"]
    assert len(text) == 8
    ranked = result_of(capsys, "lm", "fill", "lm", "the ___ sat", "--candidates", "cat,dog")
    assert {r["candidate"] for r in ranked["ranked"]} == {"cat", "dog"}


def test_forecast_classify_seq2seq_and_caption_runs_predict(capsys):
    forecast = result_of(capsys, "forecast", "predict", "forecast", "--horizon", "4")
    assert len(forecast["mean"]) == 4 and len(forecast["lower"]) == 4
    label = result_of(capsys, "classify", "predict", "classify", "fine day")["label"]
    assert label in ("+", "-")
    assert "output" in result_of(capsys, "seq2seq", "translate", "seq2seq", "abc")
    captions = result_of(capsys, "caption", "predict", "caption", "--number", "12")
    assert len(captions["captions"]) == 1


def test_inspect_reads_a_stored_run(capsys, tmp_path):
    out = tmp_path / "inspect.html"
    found = result_of(capsys, "inspect", "adding", "--out", str(out))
    assert Path(found["html"]).exists()


def test_export_writes_a_stored_run(capsys, tmp_path):
    pytest.importorskip("onnxruntime")
    found = result_of(capsys, "export", "classify", "--out", str(tmp_path / "onnx"))
    assert found["graphs"]
