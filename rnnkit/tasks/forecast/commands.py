"""`rnnkit forecast compare|predict|eval`: backtests, future values, a run's scores.

``compare`` runs every classic model and the RNN strategies over the same origins
(rnnkit.tasks.forecast.backtest) and writes compare.md, compare.json, forecast.png and
errors.png; ``predict`` forecasts past the end of the series with a trained run;
``eval`` scores a run's test split next to the baselines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.analysis.forecast_plots import plot_forecasts, plot_step_errors
from rnnkit.config import Config, require
from rnnkit.data.atomic import write_text_atomic
from rnnkit.tasks.commands import data_group, model_group, train_group
from rnnkit.tasks.contract import Console
from rnnkit.tasks.forecast import ForecastConfig, ForecastTask
from rnnkit.tasks.forecast.backtest import BacktestConfig, Fold, backtest
from rnnkit.tasks.forecast.report import markdown
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.registry import Command, Group, info, register_command, register_verb
from rnnkit.training.rundir import write_json


@dataclass
class CompareOutput(Config):
    """Where the comparison goes."""

    out: str | None = None  # directory for compare.md/json and the plots (None: runs/compare-DATA)


def run_compare(console: Console, *, seed: int, **configs: Any) -> dict[str, Any]:
    data: ForecastConfig = configs["data"]
    result, folds = backtest(data, configs["model"], configs["train"], configs["backtest"], console)
    out = Path(configs["output"].out or f"runs/compare-{result['data']}")
    write_outputs(out, result, folds, ForecastTask(data).series)
    console.say(markdown(result))
    console.say(f"wrote {out / 'compare.md'}, compare.json, forecast.png and errors.png")
    return result


def write_outputs(out: Path, result: dict[str, Any], folds: list[Fold], series: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "compare.json", result)
    write_text_atomic(out / "compare.md", markdown(result))
    last = folds[-1]
    shown = {name: last.forecasts[name][0] for name in _shown(result)}
    title = f"{result['data']}: {result['horizon']} steps after {last.cut}"
    plot_forecasts(series.index, series.values, last.cut, shown, out / "forecast.png", title=title)
    steps = {
        name: np.mean([np.abs(s["mean"] - f.actual) for f in folds for s in f.forecasts[name]], 0)
        for name in last.forecasts
    }
    plot_step_errors(steps, out / "errors.png", title=f"{result['data']}: error by step ahead")


def _shown(result: dict[str, Any], baselines: int = 3) -> list[str]:
    """What the forecast plot draws: every RNN (its first seed), the best few baselines."""
    models = result["models"]
    rnns = [m for m in models if m.startswith("rnn-")]
    others = sorted((m for m in models if m not in rnns), key=lambda m: models[m]["mae"])
    return others[:baselines] + rnns


# -- predict --------------------------------------------------------------------------


@dataclass
class ForecastPredictOptions(Config):
    """Which run, how far ahead, where to write."""

    run: str  # run directory of `rnnkit forecast train`
    horizon: int = 0  # steps past the end of the series (0: the run's horizon)
    csv: str | None = None  # also write the forecast to this CSV file

    def validate(self) -> None:
        require(self, "horizon", self.horizon >= 0, "an integer >= 0")


def predict(path: str | Path, horizon: int = 0) -> Any:
    """The future after the last observed step: a pandas DataFrame (mean, lower, upper)
    indexed by the next dates (or positions)."""
    import pandas as pd

    loaded = load(path, expect=ForecastTask)
    task = loaded.task
    n = len(task.series)
    steps = horizon or task.data.horizon
    forecast = task.forecast(loaded.model, n - 1, steps)
    index = task.series.future_index(n, steps)
    return pd.DataFrame(forecast, index=index)


def run_predict(console: Console, *, options: ForecastPredictOptions, seed: int) -> dict[str, Any]:
    """forecast past the end of the series with a trained run

    Forecast the steps after the last observation, with prediction intervals for a
    --distribution gaussian run; print them, and write --csv.
    """
    frame = predict(options.run, options.horizon)
    console.say(frame.to_string(float_format=lambda v: f"{v:.6g}"))
    if options.csv:
        write_text_atomic(options.csv, frame.to_csv(index_label="index"))
        console.say(f"wrote {options.csv}")
    return {
        "index": [str(i) for i in frame.index],
        **{column: frame[column].tolist() for column in frame.columns},
    }


def _register() -> None:
    entry = info(ForecastTask)
    data = data_group(entry, title="series and horizon")
    register_command(
        Command(
            path=("forecast", "compare"),
            help="every baseline and RNN strategy over the same backtest",
            description="Fit the classic models and train each RNN strategy (--seeds times) "
            "at the same origins (--folds 1: the hold-out; K: a rolling-origin backtest); "
            "write a table (markdown and JSON) and plots to --out.",
            groups=(
                data,
                model_group(entry, exclude=("strategy",)),
                train_group(entry.train_defaults),
                Group("backtest", BacktestConfig, "backtest"),
                Group("output", CompareOutput, "output"),
            ),
            run=run_compare,
        )
    )
    register_verb(("forecast", "predict"), run_predict, ForecastPredictOptions, "prediction")


_register()
