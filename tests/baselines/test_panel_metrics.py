"""The competition errors against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.baselines.panel_metrics import (
    by_step,
    mase_scale,
    naive2,
    panel_table,
    series_errors,
    smape,
    summarise,
)
from rnnkit.data.panel_scaling import seasonality_test

pytest.importorskip("statsmodels")


def test_smape_mape_mase_by_hand():
    actual, forecast = np.array([100.0, 200.0]), np.array([110.0, 150.0])
    train = np.array([10.0, 14.0, 11.0, 17.0])  # |diffs| 4, 3, 6: MASE scale 13/3
    e = series_errors("s", "g", actual, forecast, train, 1)
    # sMAPE: 200 * (10/210 + 50/350) / 2 = 19.0476...
    assert summarise([e])["smape"] == pytest.approx(100 * (10 / 210 + 50 / 350))
    assert summarise([e])["mape"] == pytest.approx(100 * (0.1 + 0.25) / 2)
    assert summarise([e])["mase"] == pytest.approx(30 / (13 / 3))
    assert smape(np.zeros(2), np.zeros(2)).tolist() == [0.0, 0.0]


def test_mase_scale_is_seasonal_and_falls_back():
    x = np.array([1.0, 5.0, 2.0, 7.0, 4.0])
    assert mase_scale(x, 2) == pytest.approx((1 + 2 + 2) / 3)  # |2-1|, |7-5|, |4-2|
    assert mase_scale(x[:2], 2) == pytest.approx(4.0)  # too short for m: m = 1
    assert mase_scale(np.ones(5), 1) == 1.0  # a constant series: scale 1, not 0


def test_panel_mean_counts_each_series_once_and_owa():
    a = series_errors("a", "x", np.array([1.0, 1.0]), np.array([1.0, 3.0]), np.arange(4.0), 1)
    b = series_errors("b", "x", np.array([2.0]), np.array([2.0]), np.arange(4.0), 1)
    assert summarise([a, b])["smape"] == pytest.approx((0 + 100) / 2 / 2)
    assert by_step([a, b]) == pytest.approx([0.0, 100.0])
    ref = [
        series_errors("a", "x", np.array([1.0, 1.0]), np.array([2.0, 2.0]), np.arange(4.0), 1),
        series_errors("b", "x", np.array([2.0]), np.array([3.0]), np.arange(4.0), 1),
    ]
    table = panel_table({"model": [a, b], "naive2": ref}, ref)
    m, r = summarise([a, b]), summarise(ref)
    expected = 0.5 * (m["smape"] / r["smape"] + m["mase"] / r["mase"])
    assert table["model"]["x"]["owa"] == pytest.approx(expected)
    assert table["naive2"]["all"]["owa"] == pytest.approx(1.0)


def test_naive2_reseasonalises_the_last_adjusted_value():
    pattern = np.array([0.8, 1.0, 1.2, 1.0])
    x = np.tile(pattern, 6) * 50.0  # a level of 50 with an exact multiplicative season
    assert seasonality_test(x, 4)
    np.testing.assert_allclose(naive2(x, 4, 6), 50.0 * np.resize(pattern, 6), rtol=1e-9)
    trend = np.arange(1.0, 25.0)  # no season: naive-2 is the naive forecast
    assert not seasonality_test(trend, 1)  # m = 1: never seasonal
    np.testing.assert_allclose(naive2(trend, 1, 3), [24.0, 24.0, 24.0])


def test_errors_refuse_a_misshapen_or_non_finite_forecast():
    with pytest.raises(ValueError, match="series 's': forecast shape"):
        series_errors("s", "g", np.ones(3), np.ones(2), np.ones(4), 1)
    with pytest.raises(ValueError, match="non-finite"):
        series_errors("s", "g", np.ones(2), np.array([1.0, np.nan]), np.ones(4), 1)
