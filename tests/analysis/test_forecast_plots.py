"""Forecast figures: a one-step forecast is drawn (a line of one point is not)."""

from __future__ import annotations

import numpy as np

from rnnkit.analysis import forecast_plots


def test_a_one_step_forecast_is_marked(monkeypatch, tmp_path):
    figures = []
    monkeypatch.setattr(forecast_plots, "save", lambda fig, path: figures.append(fig) or path)
    forecasts = {"ar": {"mean": np.array([3.0])}, "rnn": {"mean": np.array([2.5]),
                 "lower": np.array([2.0]), "upper": np.array([3.0])}}  # fmt: skip
    forecast_plots.plot_forecasts(
        np.arange(20), np.arange(20.0), 19, forecasts, tmp_path / "f.png", title="h=1"
    )
    lines = {line.get_label(): line for line in figures[0].axes[0].get_lines()}
    for name in forecasts:
        assert lines[name].get_marker() not in (None, "None", "", " ")
        assert len(lines[name].get_xdata()) == 1


def test_a_grid_of_panel_series(tmp_path):
    examples = [
        {"id": f"s{k}", "history": np.arange(10.0) + k, "test": np.arange(10.0, 13.0),
         "forecasts": {"rnn": np.full(3, 11.0), "naive": np.full(3, 9.0)},
         "lower": np.full(3, 10.0), "upper": np.full(3, 12.0)}
        for k in range(4)
    ]  # fmt: skip
    path = forecast_plots.plot_panel_grid(examples, tmp_path / "grid.png", title="four")
    assert path.stat().st_size > 1000
