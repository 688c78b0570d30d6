"""`rnnkit lm train --level word --embeddings`: frozen vectors in a tied bidirectional LM,
saved in the run, fill without the source; character level refuses."""

import json

import numpy as np
from safetensors.numpy import load_file

from rnnkit.cli.main import main

TEXT = "The good film was fun. The bad plot was dull.\n" * 60
WORDS = ["the", "good", "bad", "film", "plot", "dull"]


def test_a_word_lm_on_frozen_vectors_fills_without_its_source(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    table = np.random.default_rng(1).normal(size=(len(WORDS), 6)).astype(np.float32)
    source = tmp_path / "v.vec"  # fastText .vec: a header line, then the vectors
    rows = [w + " " + " ".join(repr(float(x)) for x in table[i]) for i, w in enumerate(WORDS)]
    source.write_text(f"{len(WORDS)} 6\n" + "\n".join(rows) + "\n")
    run = tmp_path / "run"
    argv = ["lm", "train", "--data", str(corpus), "--level", "word", "--embeddings", str(source)]
    flags = ["--freeze-embeddings", "--tie", "--backward-lm", "--hidden", "8", "--steps", "4"]
    assert main([*argv, *flags, "--quiet", "--out", str(run), "--json"]) == 0
    cov = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["vectors"]
    assert cov["words_found"] == 7 and cov["words_case_folded"] == 2  # "The", " The" -> "the"
    tokens = json.loads((run / "vocab.json").read_text())["tokens"]
    weights = load_file(str(run / "best" / "model.safetensors"))
    for i, t in enumerate(tokens):  # " good" looks up "good"; frozen through training
        if t.strip().lower() in WORDS:
            want = table[WORDS.index(t.strip().lower())]
            assert np.array_equal(weights["embedding.pretrained"][i], want), t
    source.unlink()
    assert main(["lm", "fill", str(run), "The ___ film was fun.", "--candidates", "good,bad"]) == 0


def test_character_level_refuses_vectors(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    assert main(["lm", "train", "--data", str(corpus), "--embeddings", "glove-6b-50d"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--embeddings: word vectors need word-level text" in err[0]
