"""`rnnkit classify train --embeddings`: coverage printed and recorded, frozen vectors
saved unchanged in the run, predict and eval without the source, refusals."""

import json

import numpy as np
from safetensors.numpy import load_file

from rnnkit.cli.main import main
from tests.cli.test_classify import TINY, last_json, reviews

WORDS = ["the", "film", "was", "plot", "so", "great", "fun", "lovely", "superb", "dull"]


def vector_file(path):
    table = np.random.default_rng(3).normal(size=(len(WORDS), 6)).astype(np.float32)
    lines = [w + " " + " ".join(repr(float(x)) for x in table[i]) for i, w in enumerate(WORDS)]
    path.write_text("\n".join(lines) + "\n")
    return path, dict(zip(WORDS, table))


def test_frozen_vectors_train_and_the_run_needs_no_source(tmp_path, capsys):
    data = reviews(tmp_path / "r.csv")
    source, table = vector_file(tmp_path / "vectors.txt")
    run = tmp_path / "run"
    argv = ["classify", "train", "--data", str(data), "--embeddings", str(source)]
    flags = [*TINY, "--steps", "20", "--min-count", "1", "--no-baselines", "--freeze-embeddings"]
    assert main([*argv, *flags, "--quiet", "--out", str(run), "--json"]) == 0
    result = last_json(capsys)
    cov = result["vectors"]
    assert cov["words"] == 13 and cov["words_found"] == 10  # awful, boring, bad: not in the file
    assert 0.5 < cov["token_coverage"] < 1
    assert "on frozen vectors" in result["model"]
    tokens = json.loads((run / "encoder.json").read_text())["tokens"]
    weights = load_file(str(run / "best" / "model.safetensors"))
    for i, t in enumerate(tokens):
        if t in table:  # frozen: bit-identical to the file after training
            assert np.array_equal(weights["embed.pretrained"][i], table[t])
    source.unlink()  # the run holds its vectors
    assert main(["classify", "predict", str(run), "superb fun film", "--json"]) == 0
    assert last_json(capsys)["label"] in ("neg", "pos")
    assert main(["classify", "eval", str(run), "--json"]) == 0
    assert last_json(capsys)["vectors"] == cov
    assert main(["classify", "eval", str(run)]) == 0  # scikit-learn's report, the matrix
    out = capsys.readouterr().out
    assert "precision    recall  f1-score   support" in out and "true \\ predicted" in out


def test_character_text_and_a_bad_source_are_one_line_errors(tmp_path, capsys):
    data = reviews(tmp_path / "r.csv")
    argv = ["classify", "train", "--data", str(data), "--steps", "1", "--no-baselines"]
    assert main([*argv, "--level", "char", "--embeddings", "glove-6b-50d"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--embeddings: word vectors need word-level text" in err[0]
    assert main([*argv, "--embeddings", str(tmp_path / "missing.vec")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a word-vector file nor a registered source" in err[0]
    assert main([*argv, "--freeze-embeddings"]) != 0
    assert "--freeze-embeddings applies to pretrained vectors" in capsys.readouterr().err


def test_predict_reads_unlabelled_npz_and_csv(tmp_path, capsys):
    from tests.cli.test_classify import series

    data, run = series(tmp_path / "s.npz"), tmp_path / "run"
    argv = ["classify", "train", "--data", str(data), *TINY, "--steps", "3", "--no-baselines"]
    assert main([*argv, "--quiet", "--out", str(run)]) == 0
    with np.load(data) as z:
        np.savez(tmp_path / "new.npz", x=z["x"][:5], lengths=z["lengths"][:5])  # no "y"
    assert (
        main(["classify", "predict", str(run), "--file", str(tmp_path / "new.npz"), "--json"]) == 0
    )
    assert len(last_json(capsys)["predictions"]) == 5
    texts, trun = reviews(tmp_path / "r.csv"), tmp_path / "trun"
    argv = ["classify", "train", "--data", str(texts), *TINY, "--steps", "3", "--no-baselines"]
    assert main([*argv, "--quiet", "--out", str(trun)]) == 0
    new = tmp_path / "new.csv"
    new.write_text("id,text\n1,superb fun film\n2,so dull\n")  # no label column
    assert main(["classify", "predict", str(trun), "--file", str(new), "--json"]) == 0
    assert len(last_json(capsys)["predictions"]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("id,review\n1,fine\n")
    assert main(["classify", "predict", str(trun), "--file", str(bad)]) != 0
    assert "no column 'text'" in capsys.readouterr().err
