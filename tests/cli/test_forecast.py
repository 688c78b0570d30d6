"""`rnnkit forecast train|predict|eval|compare` end to end, small."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli.main import main

pytest.importorskip("statsmodels")
SMALL = [
    "--target",
    "sales",
    "--hidden",
    "8",
    "--steps",
    "30",
    "--lookback",
    "12",
    "--threads",
    "1",
]


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("series") / "sales.csv"
    t = np.arange(84)
    frame = pd.DataFrame(
        {
            "month": pd.date_range("2010-01-01", periods=84, freq="MS").strftime("%Y-%m-%d"),
            "sales": 10 + np.sin(2 * np.pi * t / 12) + 0.02 * t,
            "price": np.cos(t / 5),
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def run(csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sales"
    argv = ["forecast", "train", "--data", str(csv), "--horizon", "6", *SMALL]
    assert main([*argv, "--distribution", "gaussian", "--quiet", "--out", str(out)]) == 0
    return out


def test_train_reports_the_rnn_next_to_every_baseline(run):
    r = json.loads((run / "result.json").read_text())
    assert r["task"] == "forecast" and r["horizon"] == 6 and r["observed"] == 78
    assert {"test_mae", "test_rmse", "test_mape", "test_smape", "test_mase"} <= set(r)
    assert set(r["baselines"]) == {
        "mean",
        "naive",
        "seasonal-naive",
        "drift",
        "markov",
        "ar",
        "sarima",
        "ets",
    }
    assert (run / "scaler.json").exists() and r["best_baseline"] in r["baselines"]


def test_predict_continues_the_dates_with_intervals(run, tmp_path, capsys):
    out = tmp_path / "next.csv"
    assert (
        main(["forecast", "predict", str(run), "--horizon", "8", "--csv", str(out), "--json"]) == 0
    )
    r = last_json(capsys)
    assert r["index"][0].startswith("2017-01-01") and len(r["mean"]) == 8
    assert all(lo <= hi for lo, hi in zip(r["lower"], r["upper"], strict=True))
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["index", "mean", "lower", "upper"] and len(frame) == 8


def test_eval_prints_one_object_with_every_model(run, capsys):
    assert main(["forecast", "eval", str(run), "--json"]) == 0
    r = last_json(capsys)
    assert r["data"] == "sales.csv" and r["horizon"] == 6 and r["folds"] == 1
    assert "rnn-recursive" in r["models"] and r["best"] in r["models"]
    assert set(r["models"]["ar"]) == {"mae", "rmse", "mape", "smape", "mase"}


def test_compare_runs_the_same_origins_for_every_model(csv, tmp_path, capsys):
    argv = ["forecast", "compare", "--data", str(csv), "--horizon", "6", *SMALL, "--seeds", "2"]
    argv += ["--folds", "3", "--stride", "6", "--strategies", "direct,seq2seq"]
    argv += ["--baselines", "naive,seasonal-naive,ar", "--out", str(tmp_path), "--json"]
    assert main([*argv, "--quiet"]) == 0
    r = last_json(capsys)
    assert r["origins"] == [66, 72, 78] and r["folds"] == 3
    assert set(r["models"]) == {"naive", "seasonal-naive", "ar", "rnn-direct", "rnn-seq2seq"}
    assert r["models"]["rnn-direct"]["seeds"] == 2 and "std" in r["models"]["rnn-direct"]
    for name in ("compare.md", "compare.json", "forecast.png", "errors.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert "| rnn-direct" in (tmp_path / "compare.md").read_text()


def test_covariates_go_with_direct_and_seq2seq_only(csv, tmp_path, capsys):
    argv = ["forecast", "train", "--data", str(csv), "--horizon", "6", *SMALL]
    argv += ["--covariates", "price", "--quiet"]
    assert main([*argv, "--strategy", "seq2seq"]) == 0
    assert main(argv) == 2
    assert "recursive feeds its forecasts back" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--data", "nowhere.csv"], "unknown series 'nowhere.csv'"),
        (["--data", "airpassengers", "--target", "pax"], "has no column 'pax'"),
        (["--data", "airpassengers", "--horizon", "200"], "no test of 200 steps"),
        (["--data", "airpassengers", "--strategy", "direct", "--fill", "mean"], "--fill"),
    ],
)
def test_bad_input_is_one_line(flags, message, capsys):
    try:
        code = main(["forecast", "train", *flags, "--steps", "1", "--quiet"])
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_inspect_reads_the_window_before_the_test(run, tmp_path, capsys):
    page = tmp_path / "window.html"
    assert main(["inspect", str(run), "--out", str(page), "--json"]) == 0
    assert set(last_json(capsys)["traces"]) == {"r", "z", "n", "h"}  # the default GRU


def test_resume_continues_and_refuses_another_horizon(csv, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["forecast", "train", "--data", str(csv), "--horizon", "6", *SMALL, "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    assert main([*argv, "--out", str(out), "--resume", "--steps", "40"]) == 0
    assert json.loads((out / "result.json").read_text())["steps"] == 40
    bad = [a if a != "6" else "12" for a in argv]
    assert main([*bad, "--out", str(out), "--resume", "--steps", "50"]) == 2
    assert "cannot resume with a changed --horizon: the run has 6" in capsys.readouterr().err
