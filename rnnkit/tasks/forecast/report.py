"""What the command line prints of a forecast run: the headline, the test result next
to the best baseline, and the comparison table (``eval``, ``compare``)."""

from __future__ import annotations

from typing import Any

from rnnkit.baselines.metrics import METRICS
from rnnkit.tasks.registry import best_baseline, trained_for


def headline(task: Any, model: Any, train: Any) -> str:
    d = task.data
    return (
        f"forecast {d.series.name}: {model.strategy} {model.cell.upper()} "
        f"H={model.hidden_size}, {d.horizon} steps after {d.cut} (windows of {d.lookback}),"
        f" up to {train.steps} steps"
    )


def describe(r: dict[str, Any]) -> str:
    line = (
        f"test ({r['horizon']} steps after {r['observed']}): MAE {r['test_mae']:.4g}  "
        f"RMSE {r['test_rmse']:.4g}  MAPE {r['test_mape']:.2f}%  MASE {r['test_mase']:.3f}"
    ) + trained_for(r)
    best = best_baseline(r)
    if best is None:
        return line
    name, b = best
    return line + f"\nbest baseline ({name}): MAE {b['mae']:.4g}  MAPE {b['mape']:.2f}%"


def markdown(result: dict[str, Any]) -> str:
    """The comparison table: one row per model, best first by MAE."""
    origins = result["origins"]
    shown = ", ".join(map(str, origins)) if len(origins) <= 6 else f"{origins[0]} … {origins[-1]}"
    lines = [
        f"{result['data']}, horizon {result['horizon']}, {result['folds']} origin(s) at "
        f"{shown} (retrain {result['retrain']}); RNN: mean ± std over seeds",
        "",
        "| model | MAE | RMSE | MAPE % | sMAPE % | MASE |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    models = result["models"]
    for name in sorted(models, key=lambda m: models[m]["mae"]):
        m = models[name]
        cells = []
        for key in METRICS:
            text = f"{m[key]:.4g}" if key in ("mae", "rmse") else f"{m[key]:.2f}"
            if "std" in m:
                std = m["std"][key]
                text += f" ± {std:.2g}" if key in ("mae", "rmse") else f" ± {std:.2f}"
            cells.append(text)
        mark = " **(best)**" if name == result["best"] else ""
        lines.append(f"| {name}{mark} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


PRINTED = dict(headline=headline, describe=describe, table=markdown)  # the CLI's printers
