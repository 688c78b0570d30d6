"""`rnnkit seq2seq translate` at word level: unknown words reported (or refused with
--strict), and a bad line in --file does not stop the others."""

import json

import pytest

from rnnkit.cli.main import main
from tests.cli.test_seq2seq import TINY

WORDS = ["red", "blue", "green", "big", "small", "cat", "dog", "fast", "slow"]


@pytest.fixture(scope="module")
def word_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("words")
    rows = ["source\ttarget"]
    for i in range(90):
        a, b = WORDS[i % 5], WORDS[5 + i % 4]
        rows.append(f"{a} {b}\t{b} {a}")
    data, out = tmp / "pairs.tsv", tmp / "run"
    data.write_text("\n".join(rows) + "\n")
    levels = ["--source-level", "word", "--target-level", "word"]
    argv = ["seq2seq", "train", "--data", str(data), *levels, *TINY, "--steps", "20"]
    assert main([*argv, "--quiet", "--out", str(out)]) == 0
    return out


def test_an_unseen_word_is_named_or_refused(word_run, capsys):
    assert main(["seq2seq", "translate", str(word_run), "red purple cat", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1])["unknown"] == ["purple"]
    assert "never seen in training (read as <unk>): purple" in captured.err
    assert main(["seq2seq", "translate", str(word_run), "red purple cat", "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "words never seen in training: purple" in err[0]


def test_an_empty_line_is_reported_and_the_rest_translated(word_run, tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("red cat\n\nblue dog\n")
    assert main(["seq2seq", "translate", str(word_run), "--file", str(src)]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 3  # one line per source, an empty one for line 2
    assert "1 of 3 sources not translated (line 2: empty source" in captured.err


def test_word_vectors_on_both_sides_are_saved_with_the_run(tmp_path, capsys):
    import numpy as np
    from safetensors.numpy import load_file

    rows = ["source\ttarget"] + [f"{WORDS[i % 5]} {WORDS[5 + i % 4]}\tx" for i in range(60)]
    data = tmp_path / "pairs.tsv"
    data.write_text("\n".join(rows) + "\n")
    table = np.random.default_rng(0).normal(size=(len(WORDS), 4)).astype(np.float32)
    source = tmp_path / "v.txt"
    source.write_text(
        "".join(w + " " + " ".join(map(str, table[i])) + "\n" for i, w in enumerate(WORDS))
    )
    out = tmp_path / "run"
    argv = ["seq2seq", "train", "--data", str(data), "--source-level", "word", *TINY]
    argv += ["--embeddings", str(source), "--freeze-embeddings", "--steps", "3"]
    assert main([*argv, "--quiet", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["vectors"]["source"]["words_found"] == 9 and "target" not in result["vectors"]
    codec = json.loads((out / "codec.json").read_text())
    weights = load_file(str(out / "best" / "model.safetensors"))
    for i, t in enumerate(codec["source_tokens"]):
        if t in WORDS:
            assert np.array_equal(weights["source_embed.pretrained"][i], table[WORDS.index(t)])
    source.unlink()
    assert main(["seq2seq", "translate", str(out), "red cat"]) == 0
    bad = ["seq2seq", "train", "--data", str(data), "--embeddings", "glove-6b-50d"]
    assert main([*bad, "--steps", "1"]) == 2  # character level on both sides
    assert "--embeddings must be None unless a side is word-level" in capsys.readouterr().err
