"""The generic lifecycle: resume refusals, data fingerprints, loading fallbacks.

A command that fails must leave the run directory exactly as it found it.
"""

import json
import math

import pytest

from rnnkit.cli.main import main
from rnnkit.tasks.lifecycle import evaluate_run, load
from rnnkit.training import precision

SMALL = ["--hidden", "16", "--embed", "8", "--batch-size", "4", "--bptt", "16", "--threads", "1"]


def write_corpus(path, n: int = 80, text: str = "the cat sat on the mat.\n"):
    path.write_text(text * n)
    return path


def snapshot(run):
    """Every file of a run directory with its bytes and modification time."""
    return {
        str(p.relative_to(run)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(run.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def lm_run(tmp_path):
    corpus = write_corpus(tmp_path / "tiny.txt")
    out = tmp_path / "run"
    args = ["lm", "train", "--data", str(corpus), *SMALL, "--steps", "4", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    return corpus, out, args


def refused(capsys, argv, *words):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    for word in words:
        assert word in err[0], err[0]
    return err[0]


def test_resume_with_a_changed_model_flag_is_refused_before_anything_is_written(lm_run, capsys):
    corpus, out, args = lm_run
    before = snapshot(out)
    line = refused(
        capsys, [*args, "--hidden", "32", "--out", str(out), "--resume"], "--hidden", "16", "32"
    )
    assert "LMConfig" not in line  # named by its flag
    assert snapshot(out) == before
    refused(capsys, [*args, "--batch-size", "8", "--out", str(out), "--resume"], "--batch-size")
    assert snapshot(out) == before


def test_resume_on_other_data_is_refused(lm_run, tmp_path, capsys):
    corpus, out, args = lm_run
    before = snapshot(out)
    other = write_corpus(tmp_path / "other.txt", text="a dog ran in the park.\n")
    argv = [a if a != str(corpus) else str(other) for a in args]
    refused(capsys, [*argv, "--out", str(out), "--resume"], "--data", "tiny.txt", "other.txt")
    write_corpus(corpus, text="we eat green apples.\n")  # same path, new content
    refused(capsys, [*args, "--out", str(out), "--resume"], "--data", "changed")
    assert snapshot(out) == before


def test_resume_on_a_run_of_another_task_is_refused(tmp_path, capsys):
    demo = tmp_path / "demo"
    tiny = ["demo", "--length", "400", "--hidden", "4", "--batch-size", "4", "--bptt", "10"]
    assert main([*tiny, "--steps", "2", "--quiet", "--out", str(demo)]) == 0
    before = snapshot(demo)
    corpus = write_corpus(tmp_path / "tiny.txt")
    argv = ["lm", "train", "--data", str(corpus), *SMALL, "--steps", "4", "--out", str(demo)]
    refused(capsys, [*argv, "--resume"], "is a 'demo' run, not a language-model run")
    assert snapshot(demo) == before


def test_resume_may_extend_the_budget_and_records_the_fingerprint(lm_run, capsys):
    corpus, out, args = lm_run
    assert main([*args, "--steps", "6", "--out", str(out), "--resume"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["steps"] == 6
    (file,) = config["fingerprint"]["files"]
    assert file["path"] == str(corpus.resolve()) and file["size"] == corpus.stat().st_size
    assert len(file["head_sha256"]) == 64


def test_bf16_run_records_its_precision_and_may_resume_in_another(lm_run, monkeypatch):
    monkeypatch.setattr(precision, "native_bf16", lambda device="cpu": True)
    corpus, out, args = lm_run  # trained in fp32 (the default)
    assert json.loads((out / "result.json").read_text())["precision"] == "fp32"
    argv = [*args, "--steps", "6", "--out", str(out), "--resume", "--precision", "bf16"]
    assert main(argv) == 0  # precision is not the model's identity: a resume may change it
    config = json.loads((out / "config.json").read_text())
    result = json.loads((out / "result.json").read_text())
    assert config["train"]["precision"] == "bf16" and result["precision"] == "bf16"
    assert result["steps"] == 6 and math.isfinite(result["train_loss"])
    assert math.isfinite(result["val_loss"])


def test_eval_refuses_a_corpus_that_changed(lm_run, capsys):
    corpus, out, _ = lm_run
    write_corpus(corpus, n=81)
    refused(capsys, ["lm", "eval", str(out)], "the data changed since the run was trained")


def test_eval_recomputes_baselines_scored_on_other_tokens(lm_run):
    corpus, out, _ = lm_run
    stale = {"scored": {"tokens": 1}, "baselines": {"kn-3": {"val_loss": 99.0}}}
    (out / "baselines.json").write_text(json.dumps(stale))
    result = evaluate_run(out)
    assert "kn-3" in result["baselines"] and result["baselines"]["kn-3"]["val_loss"] < 99
    stored = json.loads((out / "baselines.json").read_text())
    assert stored["baselines"] == result["baselines"] and stored["scored"]["tokens"] > 1
    (out / "baselines.json").write_text(json.dumps({"kn-3": {"val_loss": 99.0}}))  # rnnkit 0.1
    assert evaluate_run(out)["baselines"]["kn-3"]["val_loss"] < 99


def test_a_corrupt_best_checkpoint_falls_back_to_last_with_a_warning(lm_run, capsys):
    _, out, _ = lm_run
    (out / "best" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.warns(UserWarning, match=r"best/model.safetensors is corrupt.*loading last/"):
        load(out)
    assert main(["lm", "sample", str(out), "--length", "5", "--quiet"]) == 0
    (line,) = capsys.readouterr().err.strip().splitlines()  # one line, not a traceback
    assert line.startswith("rnnkit: warning: ") and line.endswith("loading last/ instead")


def test_corrupt_files_are_named(lm_run, capsys):
    _, out, args = lm_run
    (out / "last" / "model.safetensors").write_bytes(b"garbage")
    (out / "best" / "model.safetensors").write_bytes(b"garbage")
    assert main(["lm", "sample", str(out)]) == 2
    warning, error = capsys.readouterr().err.strip().splitlines()
    assert warning.startswith("rnnkit: warning: ") and "best/model.safetensors" in warning
    assert error.startswith("rnnkit: error: ") and "last/model.safetensors is corrupt" in error
    (out / "config.json").write_text("{not json")
    refused(capsys, ["lm", "sample", str(out)], "config.json is corrupt")


def test_a_corrupt_trainer_state_is_named_and_the_run_left_alone(lm_run, capsys):
    _, out, args = lm_run
    (out / "last" / "trainer.json").write_text("{")
    before = snapshot(out)
    refused(
        capsys, [*args, "--steps", "6", "--out", str(out), "--resume"], "trainer.json is corrupt"
    )
    assert snapshot(out) == before


def test_out_pointing_at_a_file_is_named(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "tiny.txt")
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    argv = ["lm", "train", "--data", str(corpus), *SMALL, "--steps", "2", "--out", str(target)]
    refused(capsys, argv, str(target), "is an existing file")
    assert target.read_text() == "keep me"
