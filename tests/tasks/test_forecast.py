"""The forecasting task: strategies, no leakage across the origin, predictions, bad input."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit.data.series import SeriesConfig, load_series, series_from
from rnnkit.models.forecaster import ForecasterConfig, RNNForecaster
from rnnkit.tasks.forecast import ForecastConfig, ForecastTask
from rnnkit.tasks.forecast.api import Forecaster
from rnnkit.tasks.forecast.backtest import cuts
from rnnkit.tasks.lifecycle import Run, fit, train
from rnnkit.training import TrainConfig

FAST = TrainConfig(steps=150, batch_size=16, lr=1e-2, clip=1.0)


def sine(n: int = 160, period: int = 12, seed: int = 0) -> pd.Series:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.05, n)
    index = pd.date_range("2000-01-01", periods=n, freq="MS")
    return pd.Series(3 + np.sin(2 * np.pi * t / period) + noise, index=index)


def task_for(series, **config) -> ForecastTask:
    s = series_from(series, season=12)
    return ForecastTask(ForecastConfig(**{"horizon": 12, "lookback": 24, **config}), series=s)


@pytest.mark.parametrize("strategy", ["recursive", "direct", "seq2seq"])
def test_each_strategy_learns_a_sine_and_beats_naive(strategy):
    task = task_for(sine())
    result = train(task, Run(ForecasterConfig(strategy=strategy, hidden_size=16), FAST))
    assert result["test_mae"] < 0.5 * result["baselines"]["naive"]["mae"], result["test_mae"]
    assert set(result["baselines"]) >= {"mean", "naive", "seasonal-naive", "ar", "ets", "sarima"}


@pytest.mark.parametrize("strategy", ["recursive", "direct", "seq2seq"])
def test_the_last_observed_value_is_always_used(strategy):
    torch.manual_seed(0)
    task = task_for(sine())
    model = RNNForecaster(task.model_config(ForecasterConfig(strategy=strategy, hidden_size=8)))
    last = task.data.cut - 1
    before = task.forecast(model, last, 12)["mean"]
    task.data.z[last] += 0.5  # the last observation moves: every forecast moves with it
    after = task.forecast(model, last, 12)["mean"]
    assert np.all(np.abs(after - before) > 1e-3)


def test_longer_horizons_than_trained_for_recursive_and_seq2seq_but_not_direct():
    task = task_for(sine())
    for strategy in ("recursive", "seq2seq"):
        model = RNNForecaster(task.model_config(ForecasterConfig(strategy=strategy, hidden_size=8)))
        assert task.forecast(model, task.data.cut - 1, 30)["mean"].shape == (30,)
    direct = RNNForecaster(task.model_config(ForecasterConfig(strategy="direct", hidden_size=8)))
    with pytest.raises(ValueError, match="direct strategy forecasts exactly its training horizon"):
        task.forecast(direct, task.data.cut - 1, 30)


def test_nothing_after_the_origin_reaches_scaling_or_training():
    """Two series equal up to the cut and wildly different after it train the same model."""
    a = sine()
    b = a.copy()
    b.iloc[120:] = 1e6  # would dominate the scaler and the windows if anything leaked
    results = []
    for series in (a, b):
        task = task_for(series, cut=120)
        torch.manual_seed(0)
        _, run = fit(task, Run(ForecasterConfig(hidden_size=8), TrainConfig(steps=20, lr=1e-2)))
        results.append((task.data.scaler, task.forecast(run.model, 119, 12)["mean"]))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_gaussian_forecasts_carry_intervals_around_the_mean():
    task = task_for(sine())
    _, run = fit(task, Run(ForecasterConfig(hidden_size=16, distribution="gaussian"), FAST))
    f = task.forecast(run.model, task.data.cut - 1, 12)
    assert (
        np.all(f["lower"] < f["upper"])
        and np.mean((f["lower"] <= f["mean"]) & (f["mean"] <= f["upper"])) > 0.8
    )


def test_the_python_api_returns_the_kind_it_was_given():
    series = sine()
    model = Forecaster(
        ForecasterConfig(hidden_size=8), horizon=6, train_config=TrainConfig(steps=20)
    )
    out = model.fit(series).predict(9)
    assert isinstance(out, pd.Series) and len(out) == 9
    assert out.index[0] == pd.Timestamp("2013-05-01") and out.index.freqstr == "MS"
    arr = Forecaster(ForecasterConfig(hidden_size=8), horizon=6, train_config=TrainConfig(steps=20))
    assert arr.fit(series.to_numpy()).predict(4).shape == (4,)


def test_backtest_origins():
    assert cuts(100, 10, 1, 0, 30) == [90]
    assert cuts(100, 1, 30, 0, 30) == list(range(70, 100))
    assert cuts(144, 36, 5, 12, 40) == [60, 72, 84, 96, 108]
    with pytest.raises(ValueError, match="folds 9 do not fit"):
        cuts(144, 36, 9, 12, 40)


@pytest.mark.parametrize(
    "rows, message",
    [
        ("date,y\n2000-01-01,1\n2000-02-01,\n2000-03-01,3\n2000-04-01,4\n", "1 missing values"),
        ("date,y\n2000-01-01,1\n2000-02-01,x\n2000-03-01,3\n2000-04-01,4\n", "'y' is not numeric"),
        ("date,y\n2000-01-01,1\n2000-02-01,2\n2000-05-01,3\n2000-06-01,4\n", "irregular"),
        ("date,y,z\n2000-01-01,1,2\n2000-02-01,2,3\n2000-03-01,3,4\n", "say which column"),
    ],
)
def test_bad_csv_files_are_one_line_errors(tmp_path, rows, message):
    path = tmp_path / "s.csv"
    path.write_text(rows)
    with pytest.raises(ValueError, match=message):
        load_series(SeriesConfig(data=str(path)))


def test_a_csv_with_a_fill_and_covariates(tmp_path):
    path = tmp_path / "s.csv"
    dates = pd.date_range("2001-01-01", periods=6, freq="D")
    path.write_text(
        "when,y,temp\n"
        + "".join(
            f"{d.date()},{v},{t}\n"
            for d, v, t in zip(dates, [1, None, 3, 4, 5, 6], range(6), strict=True)
        )
    )
    s = load_series(SeriesConfig(data=str(path), covariates=("temp",), fill="interpolate"))
    assert s.filled == 1 and s.values[1] == 2.0 and s.covariates.shape == (6, 1)
    assert s.freq is not None and s.season == 7


def test_recursive_refuses_covariates():
    with pytest.raises(ValueError, match="recursive feeds its forecasts back"):
        ForecasterConfig(strategy="recursive", input_size=4, future_size=2)


def test_a_run_loads_predicts_and_keeps_its_scaler(tmp_path):
    from rnnkit.tasks.forecast.commands import predict

    path = tmp_path / "sine.csv"
    sine().rename("y").to_csv(path, index_label="date")
    task = ForecastTask(ForecastConfig(series=SeriesConfig(data=str(path)), horizon=12))
    train(
        task,
        Run(ForecasterConfig(hidden_size=8), TrainConfig(steps=20)),
    ) if False else None
    result = train(
        task, Run(ForecasterConfig(hidden_size=8), TrainConfig(steps=20), out=tmp_path / "run")
    )
    scaler = json.loads((tmp_path / "run" / "scaler.json").read_text())
    assert scaler == task.data.scaler.to_dict() and result["observed"] == 148
    frame = predict(tmp_path / "run", 5)
    assert list(frame.columns) == ["mean"] and len(frame) == 5
    assert frame.index[0] == pd.Timestamp("2013-05-01")
