"""`rnnkit seq2seq train|translate|eval` and `rnnkit caption train|predict|eval`, tiny."""

import json

import pytest

from rnnkit.cli.main import main

KEYS = {"test_exact_match", "test_cer", "test_bleu", "test_chrf", "heldout_exact_match"}
TINY = ["--hidden", "16", "--embed", "8", "--batch-size", "16", "--eval-every", "20"]
TINY += ["--log-every", "20", "--lr", "0.01", "--threads", "1"]


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def corpus(path, n=90):
    """Reverse a word: a TSV task a tiny model learns in a few dozen steps."""
    words = ["ab", "ba", "abc", "cab", "bca", "aab", "cc", "acb", "bac", "ccb"]
    rows = ["source\ttarget"] + [f"{w}\t{w[::-1]}" for w in words * (n // len(words))]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def tsv_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seq2seq")
    data, out = corpus(tmp / "pairs.tsv"), tmp / "run"
    argv = ["seq2seq", "train", "--data", str(data), *TINY, "--steps", "60", "--out", str(out)]
    assert main([*argv, "--quiet", "--attention", "dot"]) == 0
    return data, out


def test_train_writes_the_standard_keys_and_pictures(tsv_run, capsys):
    _, out = tsv_run
    result = json.loads((out / "result.json").read_text())
    assert KEYS <= set(result) and KEYS <= set(result["baseline"])
    assert result["heldout_exact_match"] is None  # a TSV corpus has no held-out formats
    assert result["baseline"]["name"] == "copy"
    assert 0 <= result["test_exact_match"] <= 1
    assert (out / "attention.png").stat().st_size > 0
    assert "<table>" in (out / "attention.html").read_text()
    assert (out / "codec.json").exists()


def test_eval_reproduces_train(tsv_run, capsys):
    _, out = tsv_run
    assert main(["seq2seq", "eval", str(out), "--json"]) == 0
    again = last_json(capsys)
    stored = json.loads((out / "result.json").read_text())
    for key in ("test_exact_match", "test_cer", "test_chrf", "val_loss"):
        assert again[key] == pytest.approx(stored[key])


def test_translate_one_line_per_input_and_batch_invariant(tsv_run, tmp_path, capsys):
    _, out = tsv_run
    lines = ["abc", "cab", "ba", "ccb", "a"]
    src = tmp_path / "in.txt"
    src.write_text("\n".join(lines) + "\n")
    results = {}
    for size, beam in [(1, 3), (2, 3), (64, 3), (64, 1)]:
        argv = ["seq2seq", "translate", str(out), "--file", str(src), "--json"]
        assert main([*argv, "--batch-size", str(size), "--beam", str(beam)]) == 0
        printed = capsys.readouterr().out.strip().splitlines()
        found = json.loads(printed[-1])["translations"]
        assert printed[: len(lines)] == [t["output"] for t in found]
        results[(size, beam)] = [t["output"] for t in found]
    assert results[(1, 3)] == results[(2, 3)] == results[(64, 3)]
    png = tmp_path / "att.png"
    assert main(["seq2seq", "translate", str(out), "abc", "--attention-png", str(png)]) == 0
    assert png.stat().st_size > 0


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty source"), ("abz", "never seen in training: 'z'"), ("a" * 99, "longer than")],
)
def test_bad_sources_get_one_line_errors(tsv_run, capsys, text, message):
    _, out = tsv_run
    assert main(["seq2seq", "translate", str(out), text]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_bad_file_line_is_named(tsv_run, tmp_path, capsys):
    _, out = tsv_run
    src = tmp_path / "in.txt"
    src.write_text("abc\nab#\n")
    assert main(["seq2seq", "translate", str(out), "--file", str(src)]) == 2
    assert "line 2:" in capsys.readouterr().err


def test_bad_tsv_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\nno tab here\nc\td\n")
    assert main(["seq2seq", "train", "--data", str(bad), "--steps", "1"]) == 2
    assert "bad.tsv:2: expected source<TAB>target" in capsys.readouterr().err


def test_resume_continues_and_refuses_a_changed_model(tmp_path, capsys):
    data, out = corpus(tmp_path / "p.tsv"), tmp_path / "run"
    argv = ["seq2seq", "train", "--data", str(data), *TINY, "--out", str(out), "--quiet"]
    assert main([*argv, "--steps", "20", "--checkpoint-every", "10"]) == 0
    assert main([*argv, "--steps", "40", "--resume"]) == 0
    assert json.loads((out / "result.json").read_text())["steps"] == 40
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main([*argv, "--steps", "60", "--resume", "--attention", "none"]) == 2
    assert "attention" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_scheduled_sampling_trains(tmp_path):
    data = corpus(tmp_path / "p.tsv")
    argv = ["seq2seq", "train", "--data", str(data), *TINY, "--steps", "20", "--quiet"]
    argv += ["--scheduled-sampling", "linear", "--sampling-steps", "10"]
    assert main([*argv, "--teacher-forcing-floor", "0.2", "--no-input-feeding"]) == 0


def test_dates_and_numbers_data_train(tmp_path, capsys):
    pytest.importorskip("babel")
    argv = ["seq2seq", "train", "--data", "dates", "--train-size", "64", "--eval-size", "16"]
    assert main([*argv, *TINY, "--steps", "2", "--json"]) == 0
    r = last_json(capsys)
    assert r["heldout_exact_match"] is not None and r["baseline"]["name"] == "dateutil"
    argv = ["seq2seq", "train", "--data", "numbers:en-de", "--max-number", "99"]
    assert main([*argv, *TINY, "--steps", "2", "--json", "--beam", "2"]) == 0
    assert last_json(capsys)["data"] == "numbers:en-de"


def test_caption_train_predict_eval(tmp_path, capsys):
    out = tmp_path / "cap"
    argv = ["caption", "train", "--epoch-size", "64", "--eval-size", "20", *TINY]
    assert (
        main([*argv, "--steps", "8", "--attention", "additive", "--out", str(out), "--json"]) == 0
    )
    r = last_json(capsys)
    assert KEYS <= set(r) and r["baseline"]["name"] == "digit-classifier"
    assert main(["caption", "eval", str(out), "--json"]) == 0
    assert last_json(capsys)["test_exact_match"] == pytest.approx(r["test_exact_match"])
    png = tmp_path / "a.png"
    argv = ["caption", "predict", str(out), "--number", "312,7", "--json"]
    assert main([*argv, "--attention-png", str(png)]) == 0
    assert len(last_json(capsys)["captions"]) == 2 and png.exists()
    assert main(["caption", "predict", str(out), "--number", "12345"]) == 2
    assert "up to 4 digits" in capsys.readouterr().err
