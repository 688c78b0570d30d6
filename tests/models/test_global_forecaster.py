"""The global forecaster: pinball loss, quantile outputs in every strategy, no leakage of
test values into training, interval coverage, and an ensemble over a ragged panel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.data.panel import Panel, PanelSeries
from rnnkit.data.panel_windows import PreparedPanel, WindowConfig
from rnnkit.models.global_forecaster import GlobalForecaster, GlobalForecasterConfig, pinball
from rnnkit.models.panel_fit import EnsembleConfig, batch_of, fit_ensemble, train_member
from rnnkit.training import TrainConfig

pytest.importorskip("statsmodels")


def noisy_panel(n_series: int = 40, n: int = 30, h: int = 6, seed: int = 0) -> Panel:
    """Series at their own level with log-normal noise (σ = 0.1): known quantiles."""
    rng = np.random.default_rng(seed)
    series = []
    for k in range(n_series):
        length = n - k % 7  # different lengths
        y = (5 + 95 * rng.random()) * np.exp(0.1 * rng.standard_normal(length + h))
        series.append(PanelSeries(f"s{k}", y[:length], y[length:], 1, h))
    return Panel("noisy", series)


def test_pinball_is_its_definition():
    g = torch.Generator().manual_seed(0)
    pred, y = torch.randn(5, 3, 4, generator=g), torch.randn(5, 3, generator=g)
    levels = torch.tensor([0.5, 0.1, 0.9, 0.3])
    total = 0.0
    for idx in np.ndindex(5, 3):
        for j, q in enumerate(levels.tolist()):
            e = float(y[idx] - pred[idx][j])
            total += q * e if e >= 0 else (q - 1) * e
    assert float(pinball(pred, y, levels)) == pytest.approx(total / pred.numel(), rel=1e-6)


@pytest.mark.parametrize("strategy", ["recursive", "direct", "seq2seq"])
@pytest.mark.parametrize("distribution", ["quantile", "gaussian", "point"])
def test_every_strategy_gives_its_quantiles(strategy, distribution):
    p = PreparedPanel(noisy_panel(5), WindowConfig(), lookback=6, horizon=4)
    config = GlobalForecasterConfig(
        strategy=strategy, distribution=distribution, hidden_size=8, input_size=p.input_size,
        future_size=p.future_size, horizon=4, embedding=2, num_series=5,
    )  # fmt: skip
    net = GlobalForecaster(config)
    batch = batch_of(p.windows(p.training_pairs()[:7], 4))
    out = net(batch)
    assert out.prediction.shape == (7, 4) and out.loss.ndim == 0
    out.loss.backward()
    q = net.forecast_quantiles(batch)
    assert q.shape == (7, 4, 3) and torch.isfinite(q).all()
    if distribution != "point":
        assert (q[..., 0] <= q[..., 2]).all()


def test_test_values_never_reach_training():
    """Changing every test part (and, in a validation split, the steps after the cut)
    trains the same model bit for bit."""
    train = TrainConfig(steps=15, batch_size=16, lr=1e-2, log_every=100)
    model = GlobalForecasterConfig(hidden_size=8)
    weights = []
    for scale in (1.0, 50.0):
        panel = noisy_panel(8)
        for s in panel.series:
            s.test = s.test * scale
        p = PreparedPanel(panel, WindowConfig(), lookback=8, horizon=6)
        weights.append(train_member(p, model, train).state_dict())
    for name, w in weights[0].items():
        assert torch.equal(w, weights[1][name]), name


def test_intervals_cover_at_their_nominal_rate():
    panel = noisy_panel(60, n=40)
    train = TrainConfig(steps=400, batch_size=64, lr=1e-2, schedule="cosine", log_every=1000)
    model = GlobalForecasterConfig(hidden_size=16)
    fitted = fit_ensemble(panel, model, WindowConfig(), train, EnsembleConfig(lookbacks=(1.0,)))
    forecasts = fitted.forecast(panel, WindowConfig())
    inside = [
        (s.test >= forecasts[s.id][:, 0]) & (s.test <= forecasts[s.id][:, 2]) for s in panel.series
    ]
    assert 0.7 <= float(np.mean(inside)) <= 0.9  # nominal 0.8 over 360 test values


def test_an_ensemble_over_a_ragged_panel():
    series = [
        PanelSeries("long", 10 + np.sin(np.arange(48.0)) + np.arange(48.0), np.ones(4), 1, 4),
        PanelSeries("short", np.array([3.0, 3.5, 3.2, 3.9, 4.1]), np.ones(4), 1, 4),
        PanelSeries("mid", np.linspace(100, 130, 20), np.ones(4), 1, 4),
    ]
    panel = Panel("ragged", series)
    train = TrainConfig(steps=10, batch_size=8, log_every=100)
    ensemble = EnsembleConfig(lookbacks=(1.0, 3.0), seeds=2)
    fitted = fit_ensemble(
        panel, GlobalForecasterConfig(hidden_size=4), WindowConfig(), train, ensemble
    )
    assert len(fitted.members) == 4 and {L for L, _ in fitted.members} == {4, 12}
    out = fitted.forecast(panel, WindowConfig())
    for s in series:
        assert out[s.id].shape == (4, 3) and np.all(np.isfinite(out[s.id]))
    assert out["mid"][0, 1] > 50 and out["short"][0, 1] < 20  # each at its own scale


def test_quantile_levels_must_hold_the_median():
    with pytest.raises(ValueError, match="GlobalForecasterConfig.quantiles"):
        GlobalForecasterConfig(quantiles=(0.1, 0.9))
