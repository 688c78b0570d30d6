"""The global RNN forecaster against the statistical baselines on the M3 (or M1) competition.

    python -m benchmarks.m3 --data m3-monthly [--split val|test] [--steps 2000] [--seeds 1]
        [--lookbacks 2] [--baselines autoets,autotheta,...] [--json out.json]

``--split val`` (the default) carves the last h values of every training part as a
validation split and scores there: settings are chosen on it. ``--split test`` trains on
the official training parts and scores the official test parts once. One model family
per frequency; every baseline forecasts the same series from the same origins. Prints the
table (sMAPE, MASE, MAPE, OWA against naive-2, per frequency and overall), sMAPE per step
ahead, seconds, the CPU and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Any

import numpy as np
import torch

from rnnkit.baselines.panel_baselines import PANEL_BASELINES, panel_baselines
from rnnkit.baselines.panel_metrics import by_group, by_step, panel_table, series_errors
from rnnkit.data.panel import Panel, PanelConfig
from rnnkit.data.panel_registry import load_panel
from rnnkit.data.panel_windows import WindowConfig
from rnnkit.models.global_forecaster import GlobalForecasterConfig
from rnnkit.models.panel_fit import TRAIN_DEFAULTS, EnsembleConfig, fit_ensemble
from rnnkit.training import TrainConfig
from rnnkit.training.progress import Progress


def cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def rnn_forecasts(panel: Panel, args: argparse.Namespace) -> tuple[dict[str, Any], float]:
    model = GlobalForecasterConfig(
        cell=args.cell,
        hidden_size=args.hidden,
        num_layers=args.layers,
        strategy=args.strategy,
        embedding=args.embedding,
    )
    window = WindowConfig(history=args.history)
    train = TrainConfig(**{**TRAIN_DEFAULTS, "batch_size": args.batch_size, "lr": args.lr}).replace(
        steps=args.steps or None,
        seed=args.seed,  # steps 0: default_steps, by the windows
    )
    ensemble = EnsembleConfig(lookbacks=tuple(args.lookbacks), seeds=args.seeds)
    start, out = time.perf_counter(), {}
    for name, group in panel.groups().items():
        fitted = fit_ensemble(group, model, window, train, ensemble, progress=Progress())
        out.update(fitted.forecast(group, window))
        print(f"  rnn {name}: {time.perf_counter() - start:.0f} s", flush=True)
    return out, time.perf_counter() - start


def errors_of(panel: Panel, forecasts: dict[str, np.ndarray]) -> list:
    return [
        series_errors(s.id, s.group, s.test, forecasts[s.id], s.values, s.season)
        for s in panel.series
    ]


def coverage(panel: Panel, quantiles: dict[str, np.ndarray]) -> float:
    """Share of test values inside the outer quantile levels' interval."""
    inside = [
        np.mean((s.test >= quantiles[s.id][:, 0]) & (s.test <= quantiles[s.id][:, -1]))
        for s in panel.series
    ]
    return float(np.mean(inside))


def baselines(panel: Panel, names: list[str], args: argparse.Namespace) -> tuple[dict, dict]:
    """Every baseline's forecasts, timed one by one; with ``--cache FILE`` read from (or
    written to) a JSON file, so RNN settings can be compared without refitting them."""
    if args.cache and os.path.exists(args.cache):
        with open(args.cache) as f:
            saved = json.load(f)
        forecasts = {n: {k: np.asarray(v) for k, v in saved["forecasts"][n].items()} for n in names}
        return forecasts, {n: saved["seconds"][n] for n in names}
    forecasts, seconds = {}, {}
    for name in [n for n in names if n != "comb"]:
        start = time.perf_counter()
        forecasts.update(panel_baselines(panel, [name], n_jobs=args.jobs))
        seconds[name] = time.perf_counter() - start
        print(f"  {name}: {seconds[name]:.0f} s", flush=True)
    if "comb" in names:  # the mean of three already fitted
        parts = [forecasts[n] for n in ("autoets", "autoarima", "autotheta")]
        forecasts["comb"] = {k: np.mean([p[k] for p in parts], 0) for k in parts[0]}
        seconds["comb"] = sum(seconds[n] for n in ("autoets", "autoarima", "autotheta"))
    if args.cache:
        with open(args.cache, "w") as f:
            lists = {n: {k: v.tolist() for k, v in fc.items()} for n, fc in forecasts.items()}
            json.dump({"forecasts": lists, "seconds": seconds}, f)
    return forecasts, seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="m3-monthly")
    p.add_argument("--split", choices=("val", "test"), default="val")
    p.add_argument("--steps", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--cell", default="gru")
    p.add_argument("--strategy", default="direct")
    p.add_argument("--embedding", type=int, default=0)
    p.add_argument("--history", type=int, default=0)
    p.add_argument("--lookbacks", type=float, nargs="+", default=[2.0])
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--baselines", default=",".join(PANEL_BASELINES))
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", default=None)
    p.add_argument("--cache", default=None, help="baseline forecasts: read, or written")
    p.add_argument("--plots", default=None, help="a folder for the figures")
    p.add_argument("--rnn-cache", default=None, help="the RNN's forecasts: read, or written")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{cpu()}, {os.cpu_count()} cores, load {os.getloadavg()}", flush=True)
    panel = load_panel(PanelConfig(data=args.data))
    if args.split == "val":
        panel = panel.holdout()
    names = list(dict.fromkeys([n for n in args.baselines.split(",") if n] + ["naive2"]))
    forecasts, seconds = baselines(panel, names, args)
    if args.rnn_cache and os.path.exists(args.rnn_cache):
        with open(args.rnn_cache) as f:
            saved = json.load(f)
        quantiles = {k: np.asarray(v) for k, v in saved["forecasts"].items()}
        seconds["rnn"] = saved["seconds"]
    else:
        quantiles, seconds["rnn"] = rnn_forecasts(panel, args)
    if args.rnn_cache and not os.path.exists(args.rnn_cache):
        with open(args.rnn_cache, "w") as f:
            lists = {k: v.tolist() for k, v in quantiles.items()}
            json.dump({"forecasts": lists, "seconds": seconds["rnn"], "args": vars(args)}, f)
    forecasts = {n: forecasts[n] for n in names}
    median = 1  # the 0.5 level among (0.1, 0.5, 0.9)
    forecasts["rnn"] = {k: v[:, median] for k, v in quantiles.items()}
    errors = {name: errors_of(panel, f) for name, f in forecasts.items()}
    table = panel_table(errors, errors["naive2"])
    steps = {name: by_step(e) for name, e in errors.items()}
    report(args, panel, table, steps, seconds, coverage(panel, quantiles), errors)
    if args.plots:
        plots(args, panel, forecasts, quantiles, steps)


def plots(args, panel: Panel, forecasts: dict, quantiles: dict, steps: dict) -> None:
    """sMAPE per step ahead (per frequency) and a grid of example series."""
    from pathlib import Path

    from rnnkit.analysis.forecast_plots import plot_panel_grid, plot_step_errors

    out = Path(args.plots)
    shown = [n for n in ("rnn", "autotheta", "autoets", "comb", "naive2") if n in forecasts]
    for name, group in panel.groups().items():
        errors = {n: by_step(errors_of(group, forecasts[n])) for n in shown}
        title = f"{args.data} {name} ({args.split}): sMAPE at each step ahead"
        path = out / f"{args.data}-{name}-steps.png"
        plot_step_errors(errors, path, title=title, ylabel="sMAPE %")
    pick = panel.series[:: max(len(panel) // 9, 1)][:9]
    examples = [
        {"id": f"{s.id} ({s.group})", "history": s.values, "test": s.test,
         "forecasts": {n: forecasts[n][s.id] for n in shown[:3]},
         "lower": quantiles[s.id][:, 0], "upper": quantiles[s.id][:, -1]}
        for s in pick
    ]  # fmt: skip
    plot_panel_grid(examples, out / f"{args.data}-grid.png", title=f"{args.data} ({args.split})")


def report(args, panel, table, steps, seconds, cover, errors) -> None:
    groups = list(by_group(errors["naive2"]))
    print(f"\n{args.data} ({args.split}), {len(panel)} series; sMAPE / MASE / OWA")
    print("| model | " + " | ".join(groups) + " |")
    print("|---|" + "---:|" * len(groups))
    for name in sorted(table, key=lambda n: table[n]["all"]["smape"]):
        cells = [
            f"{table[name][g]['smape']:.2f} / {table[name][g]['mase']:.3f} / "
            f"{table[name][g]['owa']:.3f}"
            for g in groups
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"rnn 80% interval coverage: {cover:.3f}")
    print("seconds:", {k: round(v) for k, v in seconds.items()}, "load", os.getloadavg())
    if args.json:
        out = {
            "args": vars(args),
            "table": table,
            "by_step": steps,
            "seconds": seconds,
            "coverage": cover,
            "cpu": cpu(),
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
