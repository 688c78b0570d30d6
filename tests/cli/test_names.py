"""`rnnkit names train|sample` end to end, small (needs the data extra)."""

import json
import re
import shutil

import pytest

from rnnkit.cli.main import main

pytest.importorskip("faker")
pytest.importorskip("unidecode")

TINY = [
    "names",
    "train",
    "--languages",
    "Italian,Russian",
    "--per-language",
    "60",
    "--hidden",
    "32",
    "--batch-size",
    "16",
    "--eval-every",
    "25",
    "--threads",
    "1",
    "--quiet",
]


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "names"
    assert main([*TINY, "--steps", "50", "--out", str(out)]) == 0
    return out


def test_train_writes_the_run_and_the_baseline(tiny_run):
    r = json.loads((tiny_run / "result.json").read_text())
    assert r["task"] == "names" and r["steps"] == 50 and r["languages"] == 2
    assert r["names"]["train"] == 60 + 60 and r["baseline_best"] in r["baseline_val_nats_per_char"]
    assert 0 < r["val_nats_per_char"] < 4.2  # below uniform over 58 tokens (4.06) or close
    assert set(r["baseline_val_nats_per_char"]) == {"kn-1", "kn-2", "kn-3", "kn-4"}
    vocab = json.loads((tiny_run / "vocab.json").read_text())
    assert vocab["languages"] == ["Italian", "Russian"] and "a" in vocab["tokens"]
    train = json.loads((tiny_run / "names.json").read_text())["train"]
    assert len(train["Russian"]) == 60
    assert (tiny_run / "best" / "model.safetensors").exists()


def test_sample_reports_novel_names(tiny_run, capsys):
    args = ["names", "sample", str(tiny_run), "--language", "Russian", "-n", "6", "--json"]
    assert main([*args, "--seed", "3"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    r = json.loads(out[-1])
    assert r["n"] == len(r["names"]) == 6 and 0 <= r["novel"] <= 6
    assert out[-2] == f"{r['novel']}/6 novel (not in the Russian training names)"
    assert main([*args, "--seed", "3"]) == 0
    assert last_json(capsys)["names"] == r["names"]  # seeded


def test_sample_greedy_and_primed(tiny_run, capsys):
    args = ["names", "sample", str(tiny_run), "--language", "Italian", "-n", "3", "--json"]
    assert main([*args, "--temperature", "0", "--seed", "1"]) == 0
    a = last_json(capsys)["names"]
    assert main([*args, "--temperature", "0", "--seed", "2"]) == 0
    assert last_json(capsys)["names"] == a and len(set(a)) == 1
    assert main([*args, "--prime", "Ma", "--top-k", "5", "--top-p", "0.9"]) == 0
    assert all(n.startswith("Ma") for n in last_json(capsys)["names"])


def test_unknown_language_is_a_one_line_error(tiny_run, capsys):
    code = main(["names", "sample", str(tiny_run), "--language", "Klingon"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "unknown language 'Klingon'; available: Italian, Russian" in err


def test_resume_continues_the_run(tiny_run, tmp_path, capsys):
    run = tmp_path / "names"
    shutil.copytree(tiny_run, run)
    assert main([*TINY, "--steps", "50", "--out", str(run)]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main([*TINY, "--steps", "60", "--out", str(run), "--resume", "--json"]) == 0
    assert last_json(capsys)["steps"] == 60
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    train_steps = [m["step"] for m in logged if m.get("split") != "val"]
    assert max(train_steps) == 60 and len(train_steps) == len(set(train_steps))


def test_inspect_traces_a_name_from_its_language(tiny_run, capsys):
    page = tiny_run / "trace.html"
    assert main(["inspect", str(tiny_run), "--input", "Italian:Rossi", "--out", str(page)]) == 0
    spans = re.findall(r'title="step \d+">([^<]*)</span>', page.read_text())
    assert spans == ["&lt;s&gt;", "R", "o", "s", "s", "i"]
    assert main(["inspect", str(tiny_run), "--input", "Rossi"]) == 2
    assert "LANGUAGE:NAME" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--languages", "Klingon"], "--languages: unknown ['Klingon']; known: Chinese,"),
        (["--hidden", "0"], "--hidden must be greater than zero, got 0"),
    ],
)
def test_bad_train_flags_are_one_line_errors(flags, message, capsys):
    assert main(["names", "train", *flags, "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
