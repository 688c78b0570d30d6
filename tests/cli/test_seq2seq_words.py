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
