"""Forecasting baselines against hand-computed values and statsmodels; error metrics."""

import warnings

import numpy as np
import pytest

from rnnkit.baselines.forecast import (
    AR,
    BASELINES,
    ETS,
    SARIMA,
    BaselineConfig,
    Drift,
    Markov,
    Mean,
    Naive,
    SeasonalNaive,
    ar_least_squares,
)
from rnnkit.baselines.metrics import forecast_errors, naive_scale, pooled_errors

Y = np.array([3.0, 5.0, 4.0, 6.0, 5.0, 7.0, 6.0, 8.0])


def run(cls, y=Y, h=3, **config):
    model = cls(BaselineConfig(**{"horizon": h, **config}))
    return model.forecast(model.fit(y), y, h)


def test_the_simple_baselines_by_hand():
    np.testing.assert_allclose(run(Mean), [5.5, 5.5, 5.5])
    np.testing.assert_allclose(run(Naive), [8.0, 8.0, 8.0])
    np.testing.assert_allclose(run(SeasonalNaive, season=2), [6.0, 8.0, 6.0])  # y_{t+k-m}
    np.testing.assert_allclose(run(Drift), [8 + 5 / 7, 8 + 10 / 7, 8 + 15 / 7])


def test_a_fitted_baseline_conditions_on_a_longer_history_without_refitting():
    drift = Drift(BaselineConfig())
    slope = drift.fit(Y[:4])  # (6 - 3) / 3 = 1
    np.testing.assert_allclose(drift.forecast(slope, Y, 2), [9.0, 10.0])


def test_ar_recovers_the_coefficients_of_a_simulated_process():
    rng = np.random.default_rng(0)
    y = np.zeros(5000)
    for t in range(2, len(y)):
        y[t] = 0.5 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + rng.normal(0, 0.1)
    fit = ar_least_squares(y, 2)
    np.testing.assert_allclose(fit.coef, [0.5, 0.6, -0.3], atol=0.02)
    chosen = AR(BaselineConfig(horizon=1, max_lag=6)).fit(y)
    assert chosen.p >= 2  # the validation split does not pick a model too small
    assert Markov(BaselineConfig()).fit(y).p == 1


def test_ar_forecast_iterates_its_own_predictions():
    fit = ar_least_squares(Y, 1)
    c, a = fit.coef
    one = c + a * Y[-1]
    np.testing.assert_allclose(AR(BaselineConfig()).forecast(fit, Y, 2), [one, c + a * one])


def test_sarima_and_ets_are_statsmodels_models():
    sm = pytest.importorskip("statsmodels.api")
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    t = np.arange(60)
    y = 10 + 0.1 * t + np.sin(2 * np.pi * t / 12) + np.random.default_rng(1).normal(0, 0.1, 60)
    ours = run(SARIMA, y, 6, season=12)
    ref = sm.tsa.SARIMAX(np.log(y), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference fit's own starting-value notes
        expected = np.exp(ref.fit(disp=False).forecast(6))
    np.testing.assert_allclose(ours, expected, rtol=1e-6)
    model = ETS(BaselineConfig(season=12))
    spec, fitted = model.fit(y)
    ref = ExponentialSmoothing(y, **spec).fit()
    np.testing.assert_allclose(model.forecast((spec, fitted), y, 6), ref.forecast(6), rtol=1e-6)
    # a longer history with the same fitted parameters: the recursion is run, not refitted
    later = model.forecast((spec, fitted), np.append(y, [y[-12] + 1.2]), 6)
    assert later.shape == (6,) and np.all(np.isfinite(later))


def test_every_baseline_forecasts_h_finite_values():
    t = np.arange(48)
    y = 5 + np.sin(2 * np.pi * t / 12)
    for name, cls in BASELINES.items():
        out = run(cls, y, 5, season=12)
        assert out.shape == (5,) and np.all(np.isfinite(out)), name


def test_errors_by_hand():
    actual, forecast, train = np.array([2.0, 4.0]), np.array([3.0, 2.0]), np.array([1.0, 2.0, 4.0])
    e = forecast_errors(actual, forecast, train)
    assert e["mae"] == pytest.approx(1.5)
    assert e["rmse"] == pytest.approx(np.sqrt(2.5))
    assert e["mape"] == pytest.approx(100 * (0.5 + 0.5) / 2)
    assert e["smape"] == pytest.approx(200 * (1 / 5 + 2 / 6) / 2)
    assert naive_scale(train) == pytest.approx(1.5) and e["mase"] == pytest.approx(1.0)
    pooled = pooled_errors([(actual, forecast, train), (actual, actual, train)])
    assert pooled["mae"] == pytest.approx(0.75) and pooled["mase"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="does not match"):
        forecast_errors(actual, forecast[:1], train)
