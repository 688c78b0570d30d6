"""Per-series normalisation and the windows of a panel: exact inverses, padding of short
series, covariates in the right places, nothing of the test part read."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.data.panel import Panel, PanelSeries
from rnnkit.data.panel_scaling import SeriesScaler
from rnnkit.data.panel_windows import PreparedPanel, WindowConfig

pytest.importorskip("statsmodels")


def toy_panel(test: bool = True) -> Panel:
    rng = np.random.default_rng(0)
    pattern = np.array([0.7, 1.0, 1.4, 0.9])
    out = []
    for k, n in enumerate((40, 23, 9)):  # different lengths
        t = np.arange(n + 4)
        y = (50 + 10 * k + t) * pattern[(t + k) % 4] * np.exp(0.01 * rng.standard_normal(n + 4))
        out.append(PanelSeries(f"s{k}", y[:n], y[n:] if test else np.zeros(0), 4, 4))
    return Panel("toy", out)


def test_scaler_inverse_is_exact_and_finds_the_season():
    panel = toy_panel()
    for s in panel.series:
        sc = SeriesScaler.fit(s.values, s.season)
        z = sc.transform(s.values)
        np.testing.assert_allclose(sc.inverse(z, 0), s.values, rtol=1e-12)
        np.testing.assert_allclose(sc.inverse(sc.transform(s.test, len(s)), len(s)), s.test)
    long = SeriesScaler.fit(panel.series[0].values, 4)
    assert long.log and np.ptp(long.pattern) > 0.5  # the season found (0.7 .. 1.4)
    assert np.all(SeriesScaler.fit(panel.series[2].values, 4).pattern == 1)  # 9 < 3 m
    signed = SeriesScaler.fit(np.array([-1.0, 2.0, -3.0]), 1)
    assert not signed.log and signed.scale == pytest.approx(2.0)
    np.testing.assert_allclose(signed.inverse(signed.transform([5.0, -1.0]), 0), [5.0, -1.0])


def test_windows_unscale_back_to_the_series():
    panel = toy_panel(test=False)
    p = PreparedPanel(panel, WindowConfig(), lookback=6, horizon=4)
    pairs = p.training_pairs()
    w = p.windows(pairs, 4)
    assert w.x.shape == (len(pairs), 6, 1 + p.future_size) and w.future.shape[1:] == (4, 1)
    for k, (i, o) in enumerate(pairs):
        y = panel.series[i].values
        np.testing.assert_allclose(p.unscale(i, o, w.y[k]), y[o + 1 : o + 5], rtol=1e-5)
        np.testing.assert_allclose(w.x[k, -1, 0], 0.0)  # relative to the origin
    assert max(o for i, o in pairs if i == 2) == 9 - 1 - 4  # targets inside the series


def test_a_short_series_is_padded_and_flagged():
    p = PreparedPanel(toy_panel(), WindowConfig(), lookback=12, horizon=4)
    x, future, y = p.window(2, 8, 4)  # series s2 has 9 values: 3 padded steps
    pad = x[:, -1]
    np.testing.assert_array_equal(pad, [1, 1, 1] + [0] * 9)
    np.testing.assert_array_equal(x[:3, 0], 0.0)
    assert np.isnan(y).all()  # past its observed part: no targets
    np.testing.assert_array_equal(future[:, -1], 0.0)


def test_known_covariates_reach_the_future_and_past_ones_do_not():
    n = 12
    cov = np.stack([np.arange(n + 3.0), 100 + np.arange(n + 3.0)], 1)  # past, known
    s = PanelSeries("a", np.linspace(1, 2, n), np.linspace(2, 2.2, 3), 1, 3, covariates=cov)
    panel = Panel("cov", [s], covariate_names=("past",), known_names=("known",))
    p = PreparedPanel(panel, WindowConfig(), lookback=4, horizon=3)
    x, future, _ = p.window(0, n - 1, 3)
    std = cov[:n, 1].std()
    mean = cov[:n, 1].mean()
    np.testing.assert_allclose(future[:, 0], (cov[n : n + 3, 1] - mean) / std)  # known(o+k)
    np.testing.assert_allclose(x[:, 1], (cov[n - 3 : n + 1, 1] - mean) / std)  # known(t+1)
    np.testing.assert_allclose(x[:, -1], (cov[n - 4 : n, 0] - cov[:n, 0].mean()) / cov[:n, 0].std())
    assert p.input_size == 4 and p.future_size == 2


def test_nothing_after_the_observed_part_reaches_scaling_or_windows():
    panel = toy_panel()
    changed = toy_panel()
    for s in changed.series:
        s.test = s.test * 1000.0
    a = PreparedPanel(panel, WindowConfig(), lookback=8, horizon=4)
    b = PreparedPanel(changed, WindowConfig(), lookback=8, horizon=4)
    wa, wb = a.windows(a.training_pairs(), 4), b.windows(b.training_pairs(), 4)
    for name in ("x", "future", "y"):
        np.testing.assert_array_equal(getattr(wa, name), getattr(wb, name))
    for sa, sb in zip(a.scalers, b.scalers):
        np.testing.assert_array_equal(sa.pattern, sb.pattern)
