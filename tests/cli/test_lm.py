"""`rnnkit lm train|sample|eval|fill` and `inspect` on an LM run, end to end, small."""

import json

import pytest
from safetensors.torch import load_file

from rnnkit.cli.main import main

SENTENCES = ["the cat sat on the mat.", "a dog ran in the park.", "we eat green apples."]
SMALL = ["--hidden", "32", "--embed", "16", "--batch-size", "8", "--bptt", "32", "--threads", "1"]


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def write_corpus(path, n: int = 300):
    path.write_text("\n".join(SENTENCES[i % 3] for i in range(n)) + "\n")
    return path


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """A bidirectional character LSTM that has memorised three sentences."""
    tmp = tmp_path_factory.mktemp("lmcli")
    corpus = write_corpus(tmp / "tiny.txt")
    out = tmp / "run"
    args = ["lm", "train", "--data", str(corpus), *SMALL, "--steps", "200", "--lr", "0.01"]
    assert main([*args, "--bidirectional", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def test_train_prints_the_comparison_and_json(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "tiny.txt", 60)
    assert main(["lm", "train", "--data", str(corpus), *SMALL, "--steps", "5", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    r = json.loads(out[-1])
    assert r["steps"] == 5 and r["level"] == "char" and "kn-4" in r["baselines"]
    assert any(line.startswith("validation: ") and "bits/char" in line for line in out)
    assert any(line.startswith("best n-gram baseline (") for line in out)


def test_sample_streams_the_prime_and_its_continuation(cli_run, capsys):
    args = ["lm", "sample", str(cli_run), "--prime", "the c", "--length", "18"]
    assert main([*args, "--temperature", "0", "--json"]) == 0
    out = capsys.readouterr().out
    r = json.loads(out.strip().splitlines()[-1])
    assert out.startswith("the c" + r["text"])
    assert r["text"] == "at sat on the mat."
    assert main([*args, "--top-k", "3", "--top-p", "0.9", "--seed", "4", "--json"]) == 0
    assert len(last_json(capsys)["text"]) == 18
    assert main([*args, "--beam", "3", "--json"]) == 0
    r = last_json(capsys)
    assert r["text"] == "at sat on the mat." and len(r["beams"]) == 3


def test_eval_json_has_the_keys_and_prints_a_table(cli_run, capsys):
    assert main(["lm", "eval", str(cli_run), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    r = json.loads(out[-1])
    keys = {"val_loss", "val_bits_per_token", "val_perplexity"}
    assert keys <= set(r) and r["val_loss"] < 1.0
    assert r["baselines"] and all(keys == set(b) for b in r["baselines"].values())
    assert out[0].split() == ["nats/token", "bits/token", "perplexity"]
    assert out[1].startswith("model") and any("(best baseline)" in line for line in out)


def test_fill_ranks_candidates_and_proposes_its_own(cli_run, capsys):
    text = "the ___ sat on the mat."
    assert main(["lm", "fill", str(cli_run), text, "--candidates", "dog,cat,park", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    r = json.loads(out[-1])
    assert r["bidirectional"] and [c["candidate"] for c in r["ranked"]][0] == "cat"
    assert out[1].split()[-1] == "cat" and "log P_fwd + log P_bwd" in out[0]
    assert main(["lm", "fill", str(cli_run), text, "--json"]) == 0
    assert last_json(capsys)["ranked"][0]["candidate"] == "cat"


def test_fill_with_a_forward_run_says_so(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "tiny.txt", 60)
    out = tmp_path / "fwd"
    train = ["lm", "train", "--data", str(corpus), *SMALL, "--steps", "3", "--no-baselines"]
    assert main([*train, "--out", str(out), "--quiet"]) == 0
    assert main(["lm", "fill", str(out), "a ___ ran", "--candidates", "dog,cat", "--json"]) == 0
    text = capsys.readouterr().out
    assert "note: not a --backward-lm run" in text
    assert json.loads(text.strip().splitlines()[-1])["bidirectional"] is False


def test_resume_through_the_cli_equals_an_uninterrupted_run(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "tiny.txt", 100)
    common = ["lm", "train", "--data", str(corpus), *SMALL, "--seed", "3", "--quiet"]
    common += ["--no-baselines", "--eval-every", "5", "--backward-lm"]
    common += ["--schedule", "constant"]  # a cosine total would differ between 8 and 20 steps
    assert main([*common, "--steps", "20", "--out", str(tmp_path / "full")]) == 0
    assert main([*common, "--steps", "8", "--out", str(tmp_path / "cut")]) == 0
    assert main([*common, "--steps", "20", "--out", str(tmp_path / "cut")]) == 2  # exists
    assert "--resume" in capsys.readouterr().err
    assert main([*common, "--steps", "20", "--out", str(tmp_path / "cut"), "--resume"]) == 0
    full = load_file(str(tmp_path / "full" / "last" / "model.safetensors"))
    cut = load_file(str(tmp_path / "cut" / "last" / "model.safetensors"))
    assert full.keys() == cut.keys() and all(bool((full[k] == cut[k]).all()) for k in full)
    result = json.loads((tmp_path / "cut" / "result.json").read_text())
    assert result["steps"] == 20


def test_training_by_time_shows_no_step_total(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "tiny.txt", 60)
    args = ["lm", "train", "--data", str(corpus), *SMALL, "--minutes", "0.005", "--log-every", "1"]
    assert main([*args, "--no-baselines"]) == 0
    steps = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step ")]
    assert steps and all("/" not in line.split()[1] and " lr " in line for line in steps)


def test_inspect_reads_an_lm_run(cli_run, tmp_path, capsys):
    out = tmp_path / "gates.html"
    assert main(["inspect", str(cli_run), "--input", "the cat", "--out", str(out), "--json"]) == 0
    assert set(last_json(capsys)["traces"]) == {"f", "i", "o", "g", "c", "h"}
    assert ">c</span>" in out.read_text()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.txt", None, "missing.txt"),
        ("empty.txt", b"", "empty"),
        ("blob.txt", b"ab\x00\xff\xfe" * 50, "blob.txt"),
    ],
)
def test_bad_corpus_is_a_one_line_error(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["lm", "train", "--data", str(path), *SMALL, "--steps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rnnkit: error:") and message in err[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["sample", "RUN", "--temperature", "-1"], "--temperature"),
        (["sample", "RUN", "--beam", "0"], "--beam"),
        (["fill", "RUN", "no blank here"], "exactly one blank"),
        (["fill", "RUN", "a ___", "--candidates", ","], "--candidates"),
        (["sample", "nowhere"], "not a run directory"),
    ],
)
def test_bad_use_is_a_one_line_error(cli_run, capsys, args, message):
    args = [str(cli_run) if a == "RUN" else a for a in args]
    assert main(["lm", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_demo_trains_compares_and_writes(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "tiny.txt", 60)
    args = ["lm", "demo", "--data", str(corpus), *SMALL, "--steps", "3", "--length", "40"]
    assert main([*args, "--json"]) == 0
    out = capsys.readouterr().out
    r = json.loads(out.strip().splitlines()[-1])
    assert r["steps"] == 3 and len(r["sample"]) == 40 and r["best_baseline"] in r["baselines"]
    assert "sampled at temperature 0.8:" in out and r["sample"] in out
    assert "best n-gram baseline (" in out
