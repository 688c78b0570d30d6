"""`rnnkit classify train|predict|eval` on tiny data made here."""

import json

import numpy as np
import pytest

from rnnkit.cli.main import main
from rnnkit.tasks.classify import ClassifyConfig, ClassifyTask
from rnnkit.tasks.lifecycle import Run, train
from rnnkit.training import TrainConfig

KEYS = {"val_accuracy", "test_accuracy", "test_macro_f1"}
TINY = ["--hidden", "8", "--embed", "8", "--batch-size", "8", "--eval-every", "10", "--lr", "0.02"]


def reviews(path, n=120):
    rng = np.random.default_rng(0)
    good, bad = ["great", "fun", "lovely", "superb"], ["dull", "awful", "boring", "bad"]
    rows = ["text,label"]
    for i in range(n):
        words = [
            *rng.choice(["the", "film", "was", "plot", "so"], 3),
            rng.choice(good if i % 2 else bad),
        ]
        rows.append(f"{' '.join(rng.permutation(words))},{'pos' if i % 2 else 'neg'}")
    path.write_text("\n".join(rows) + "\n")
    return path


def series(path, n=60, features=2):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 7, features)).astype(np.float32) + (2 * y - 1)[:, None, None]
    np.savez(path, x=x, y=np.array(["down", "up"])[y], lengths=rng.integers(3, 8, n))
    return path


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classify")
    data = reviews(tmp / "reviews.csv")
    out = tmp / "run"
    argv = ["classify", "train", "--data", str(data), *TINY, "--steps", "80", "--out", str(out)]
    assert main([*argv, "--quiet", "--cell", "gru", "--pool", "attention"]) == 0
    return data, out


def test_train_json_has_the_model_and_baselines_side_by_side(text_run, capsys):
    data, out = text_run
    result = json.loads((out / "result.json").read_text())
    assert KEYS <= set(result)
    assert set(result["baselines"]) == {"majority", "tfidf-logreg"}  # neither vader nor n-grams
    for b in result["baselines"].values():
        assert KEYS <= set(b)
    assert result["test_accuracy"] >= 0.9  # one word decides: the model must find it
    assert result["test"]["confusion"] and set(result["test"]["per_class"]) == {"neg", "pos"}
    assert {"confusion.png", "attention.html"} <= set(result["figures"])
    page = (out / "attention.html").read_text()
    assert "attention weight" in page and "<script" not in page


def test_predict_and_eval(text_run, capsys, tmp_path):
    data, out = text_run
    assert main(["classify", "predict", str(out), "a superb fun film", "--json"]) == 0
    p = last_json(capsys)
    assert p["label"] == "pos" and set(p["probabilities"]) == {"neg", "pos"}
    assert sum(p["probabilities"].values()) == pytest.approx(1)
    texts = tmp_path / "texts.txt"
    texts.write_text("so dull\nlovely plot\n")
    assert main(["classify", "predict", str(out), "--file", str(texts), "--json"]) == 0
    assert [q["label"] for q in last_json(capsys)["predictions"]] == ["neg", "pos"]
    assert main(["classify", "eval", str(out), "--json"]) == 0
    e = last_json(capsys)
    stored = json.loads((out / "result.json").read_text())
    for key in KEYS:
        assert e[key] == pytest.approx(stored[key])
    assert e["baselines"]["tfidf-logreg"]["test_accuracy"] == pytest.approx(
        stored["baselines"]["tfidf-logreg"]["test_accuracy"]
    )


def test_inspect_reads_a_classifier_run(text_run, tmp_path):
    _, out = text_run
    page = tmp_path / "i.html"
    assert main(["inspect", str(out), "--input", "the plot was superb", "--out", str(page)]) == 0
    assert "superb" in page.read_text()


def test_series_run_seeds_and_eval_of_the_seeds(tmp_path, capsys):
    data = series(tmp_path / "s.npz")
    out = tmp_path / "seeds"
    argv = ["classify", "train", "--data", str(data), *TINY, "--steps", "20", "--noise", "0.1"]
    assert main([*argv, "--seeds", "2", "--out", str(out), "--json", "--quiet"]) == 0
    r = last_json(capsys)
    assert r["seeds"] == 2 and "test_accuracy_std" in r and len(r["runs"]) == 2
    assert set(r["baselines"]) == {"majority", "1nn-euclidean", "1nn-dtw"}
    assert (out / "seed-0" / "result.json").exists() and (out / "seed-1" / "confusion.png").exists()
    assert main(["classify", "eval", str(out), "--json", "--quiet"]) == 0
    assert last_json(capsys)["test_accuracy"] == pytest.approx(r["test_accuracy"])
    page = tmp_path / "i.html"
    assert main(["inspect", str(out / "seed-1"), "--input", "2", "--out", str(page)]) == 0
    assert "t0" in page.read_text()
    wrong = series(tmp_path / "wide.npz", n=4, features=3)
    code = main(["classify", "predict", str(out / "seed-0"), "--file", str(wrong)])
    assert code == 2 and "must have 2 features per step, got shape (" in capsys.readouterr().err


def test_the_test_split_is_scored_once_after_training(tmp_path, monkeypatch):
    calls = []
    original = ClassifyTask.evaluate

    def spy(self, model, split):
        calls.append(split)
        return original(self, model, split)

    monkeypatch.setattr(ClassifyTask, "evaluate", spy)
    task = ClassifyTask(ClassifyConfig(data=str(reviews(tmp_path / "r.csv")), baselines=False))
    model = ClassifyTask.Model(hidden_size=4, embed_size=4)
    train(task, Run(model, TrainConfig(steps=30, batch_size=8, eval_every=5, patience=2)))
    assert calls.count("test") == 1 and calls[-1] == "test" and calls.count("val") >= 3


def test_resume_and_refusals_leave_the_run_as_it_was(tmp_path, capsys):
    data = reviews(tmp_path / "r.csv")
    out = tmp_path / "run"
    argv = ["classify", "train", "--data", str(data), *TINY, "--out", str(out), "--no-baselines"]
    assert main([*argv, "--steps", "10", "--quiet"]) == 0
    assert main([*argv, "--steps", "20", "--resume", "--quiet", "--json"]) == 0
    assert last_json(capsys)["steps"] == 20
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main([*argv, "--steps", "30", "--resume", "--max-vocab", "5"]) == 2
    assert "cannot resume with a changed --max-vocab" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    "make, flags, message",
    [
        (reviews, ["--label-column", "kind"], "no column 'kind' in the header"),
        (series, ["--cell", "gru", "--forget-bias", "1"], "--forget-bias applies to the lstm"),
        (reviews, ["--val-fraction", "1.5"], "--val-fraction must be in (0, 1)"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, make, flags, message):
    data = make(tmp_path / ("d.csv" if make is reviews else "d.npz"))
    assert main(["classify", "train", "--data", str(data), "--steps", "2", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_an_empty_class_folder_is_named(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("x\ny\nz\n")
    (tmp_path / "d" / "b.txt").write_text("")
    assert main(["classify", "train", "--data", str(tmp_path / "d"), "--steps", "2"]) == 2
    assert "class 'b' has no examples" in capsys.readouterr().err


def test_presets_are_defaults_under_the_flags(tmp_path, capsys, monkeypatch):
    from rnnkit.tasks import classify

    data = str(reviews(tmp_path / "r.csv"))
    preset = {"model": {"hidden_size": 6}, "train": {"steps": 3}}
    monkeypatch.setitem(classify.PRESETS, data, preset)
    argv = ["classify", "train", "--data", data, "--no-baselines", "--json", "--quiet"]
    assert main(argv) == 0
    r = last_json(capsys)
    assert (r["hidden"], r["steps"]) == (6, 3)
    assert main([*argv, "--hidden", "5", "--steps", "2"]) == 0
    r = last_json(capsys)
    assert (r["hidden"], r["steps"]) == (5, 2)


def test_a_pretrained_language_model_starts_the_classifier(tmp_path, capsys):
    import torch

    from rnnkit.tasks.lifecycle import load

    data = reviews(tmp_path / "r.csv")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(data.read_text().splitlines()[1:]) * 3)
    lm = tmp_path / "lm"
    lm_argv = ["lm", "train", "--data", str(corpus), "--level", "word", "--cell", "gru"]
    lm_argv += ["--hidden", "8", "--embed", "6", "--backward-lm", "--steps", "3", "--out", str(lm)]
    assert main([*lm_argv, "--batch-size", "4", "--no-baselines", "--quiet"]) == 0
    out = tmp_path / "cls"
    argv = ["classify", "train", "--data", str(data), "--pretrained", str(lm), "--steps", "4"]
    argv += ["--freeze-steps", "10", "--batch-size", "8", "--out", str(out), "--no-baselines"]
    assert main([*argv, "--quiet"]) == 0
    language, classifier = load(lm).model, load(out).model
    assert classifier.config.hidden_size == 8 and classifier.config.embed_size == 6
    torch.testing.assert_close(classifier.embed.weight, language.embedding.weight)
    torch.testing.assert_close(classifier.rnn.weight_hh_l0, language.rnn.weight_hh_l0)
    reverse = classifier.rnn.weight_hh_l0_reverse  # from the backward language model
    torch.testing.assert_close(reverse, language.rnn_backward.weight_hh_l0)
    for p in lm.rglob("*"):  # the run predicts without the language model's directory
        if p.is_file():
            p.unlink()
    assert main(["classify", "predict", str(out), "so lovely", "--json"]) == 0
    assert last_json(capsys)["label"] in ("neg", "pos")


@pytest.mark.parametrize("keep", ["best", "last"])
def test_the_weights_kept_are_the_best_on_validation_or_the_last(tmp_path, monkeypatch, keep):
    seen = []
    original = ClassifyTask.evaluate

    def spy(self, model, split):
        out = original(self, model, split)
        seen.append(out.metrics.get("val_loss"))
        return out

    monkeypatch.setattr(ClassifyTask, "evaluate", spy)
    task = ClassifyTask(ClassifyConfig(data=str(reviews(tmp_path / "r.csv")), baselines=False))
    model = ClassifyTask.Model(hidden_size=4, embed_size=4)
    config = TrainConfig(steps=40, batch_size=8, eval_every=5, lr=0.05, keep=keep)
    result = train(task, Run(model, config))  # no run directory: the best is kept in memory
    during = seen[:-2]  # the last two: the final validation and test scores
    expected = min(during) if keep == "best" else during[-1]
    assert result["val_loss"] == pytest.approx(expected, rel=1e-6)
    assert min(during) < during[-1] or keep == "last"  # the check means something


def test_input_noise_is_for_features_and_training_only():
    import torch

    from rnnkit.models.classifier import Classifier, ClassifierConfig
    from rnnkit.models.sequence import SeqBatch

    with pytest.raises(ValueError, match="ClassifierConfig.noise must be 0 for token inputs"):
        ClassifierConfig(vocab_size=5, noise=0.5)
    m = Classifier(ClassifierConfig(input_size=2, hidden_size=4, noise=0.5))
    batch = SeqBatch(torch.randn(3, 4, 2))
    m.eval()
    assert torch.equal(m(batch).prediction, m(batch).prediction)
    m.train()
    assert not torch.equal(m(batch).prediction, m(batch).prediction)
