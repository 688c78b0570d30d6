"""The global forecaster on AirPassengers, the last 36 months held out, over 3 seeds.

    python -m benchmarks.airpassengers_global [--seeds 3] [--steps 0] [--with-m3]
        [--split val|test]

The series is a panel of one (or, with ``--with-m3``, one more series among M3's monthly
training parts: a model that learnt from many series). ``--split val`` scores the 36
months before the hold-out (months 73-108, trained on 1-72) to choose settings;
``--split test`` the hold-out (months 109-144, trained on 1-108), once.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch

from rnnkit.data.panel import Panel, PanelConfig, PanelSeries
from rnnkit.data.panel_registry import load_panel
from rnnkit.data.panel_windows import WindowConfig
from rnnkit.data.series import SeriesConfig, load_series
from rnnkit.models.global_forecaster import GlobalForecasterConfig
from rnnkit.models.panel_fit import TRAIN_DEFAULTS, EnsembleConfig, fit_ensemble
from rnnkit.training import TrainConfig

H = 36


def air_panel(split: str) -> Panel:
    y = load_series(SeriesConfig(data="airpassengers")).values
    end = len(y) if split == "test" else len(y) - H
    return Panel("airpassengers", [PanelSeries("air", y[: end - H], y[end - H : end], 12, H)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--steps", type=int, default=0, help="0: the default budget")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lookback", type=float, default=2.0)
    p.add_argument("--with-m3", action="store_true")
    p.add_argument("--split", choices=("val", "test"), default="val")
    args = p.parse_args()
    torch.set_num_threads(1)
    print("load", os.getloadavg())
    panel = air_panel(args.split)
    if args.with_m3:
        m3 = load_panel(PanelConfig(data="m3-monthly"))
        extra = [PanelSeries(s.id, s.values, s.values[-H:], 12, H) for s in m3.series]
        panel = Panel("air+m3", panel.series + [s for s in extra if len(s) > H])
    model = GlobalForecasterConfig(hidden_size=args.hidden)
    window = WindowConfig()
    mapes = []
    for seed in range(args.seeds):
        train = TrainConfig(**TRAIN_DEFAULTS).replace(steps=args.steps or None, seed=seed)
        ensemble = EnsembleConfig(lookbacks=(args.lookback,))
        fitted = fit_ensemble(panel, model, window, train, ensemble)
        f = fitted.forecast(Panel("air", panel.series[:1]), window)["air"][:, 1]
        actual = panel.series[0].test
        mapes.append(100 * float(np.mean(np.abs(f - actual) / actual)))
        print(f"seed {seed}: MAPE {mapes[-1]:.2f}%", flush=True)
    print(f"{args.split} MAPE {np.mean(mapes):.2f} ± {np.std(mapes):.2f} over {args.seeds} seeds")


if __name__ == "__main__":
    main()
