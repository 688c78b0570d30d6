"""The statsforecast baselines over a small panel of series of different lengths."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.baselines.panel_baselines import panel_baselines
from rnnkit.data.panel import Panel, PanelSeries

pytest.importorskip("statsforecast")


def toy_panel() -> Panel:
    t = np.arange(40.0)
    season = 10 + np.tile([0.0, 2.0, 5.0, 1.0], 10)
    series = [
        PanelSeries("s", season + 0.1 * t, np.zeros(0), 4, 4),
        PanelSeries("t", (season + t)[:30], np.zeros(0), 4, 4),
        PanelSeries("u", 5 + 0.5 * t[:25], np.zeros(0), 1, 3),
    ]
    return Panel("toy", series)


def test_naive_and_seasonal_naive_are_what_they_say():
    panel = toy_panel()
    out = panel_baselines(panel, ("naive", "seasonal-naive", "naive2"))
    for s in panel.series:
        np.testing.assert_allclose(out["naive"][s.id], np.full(s.horizon, s.values[-1]))
        m = s.season
        np.testing.assert_allclose(out["seasonal-naive"][s.id], np.resize(s.values[-m:], s.horizon))
        assert out["naive2"][s.id].shape == (s.horizon,)


def test_comb_is_the_mean_of_ets_arima_and_theta():
    panel = toy_panel()
    out = panel_baselines(panel, ("autoets", "autoarima", "autotheta", "comb"))
    for s in panel.series:
        parts = [out[n][s.id] for n in ("autoets", "autoarima", "autotheta")]
        np.testing.assert_allclose(out["comb"][s.id], np.mean(parts, 0))
        assert np.all(np.isfinite(out["comb"][s.id])) and len(out["comb"][s.id]) == s.horizon
    # a clean seasonal series with a slow trend: ETS follows its season
    np.testing.assert_allclose(out["autoets"]["s"], panel.series[0].values[-4:] + 0.4, atol=0.3)


def test_unknown_baseline_is_named():
    with pytest.raises(ValueError, match="unknown panel baseline 'prophet'"):
        panel_baselines(toy_panel(), ("naive", "prophet"))
