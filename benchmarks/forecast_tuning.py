"""How the forecaster's defaults were chosen: validation splits that end before the test.

    python -m benchmarks.forecast_tuning [--variants base,trend,lstm] [--seeds 3] [--json]

Each variant (settings over the defaults) is trained on AirPassengers at origins whose
test windows all end before month 108 — 36 steps after 72, 24 after 84, 12 after 96 —
and scored by MAPE, the mean over seeds; the mean over those splits is the validation
score that chose the defaults. The 36 steps after 108 (the hold-out of
`rnnkit forecast compare --data airpassengers --horizon 36`) are printed too, as the
last column, but never enter the choice.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np
import torch

from rnnkit.data.series import SeriesConfig
from rnnkit.models.forecaster import ForecasterConfig
from rnnkit.tasks.forecast import ForecastConfig, ForecastTask
from rnnkit.tasks.lifecycle import Run, train
from rnnkit.training import TrainConfig

VALIDATION = [(72, 36), (84, 24), (96, 12)]  # (observed steps, horizon): all end by 108
TEST = (108, 36)
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    # name: (ForecastConfig, ForecasterConfig, TrainConfig) changes
    "base": ({}, {}, {}),
    "lookback-24": ({"lookback": 24}, {}, {}),
    "trend": ({"trend": True}, {}, {}),
    "lstm": ({}, {"cell": "lstm"}, {}),
    "hidden-32": ({}, {"hidden_size": 32}, {}),
    "gaussian": ({}, {"distribution": "gaussian"}, {}),
    "direct": ({}, {"strategy": "direct"}, {}),
    "seq2seq": ({}, {"strategy": "seq2seq"}, {}),
    "steps-4000": ({}, {}, {"steps": 4000}),
}


def score(variant: str, cut: int, horizon: int, seeds: int) -> float:
    fc, mc, tc = VARIANTS[variant]
    mapes = []
    for seed in range(seeds):
        config = ForecastConfig(
            series=SeriesConfig(data="airpassengers"), horizon=horizon, cut=cut, **fc
        )
        train_config = TrainConfig(**{**ForecastTask.train_defaults, **tc, "seed": seed})
        result = train(ForecastTask(config), Run(ForecasterConfig(**mc), train_config))
        mapes.append(result["test_mape"])
    return float(np.mean(mapes))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(1)
    rows = []
    print(
        "| variant | "
        + " | ".join(f"{c}+{h}" for c, h in VALIDATION)
        + " | validation | test 108+36 |"
    )
    print("|---|" + "---:|" * (len(VALIDATION) + 2))
    for variant in args.variants.split(","):
        val = [score(variant, c, h, args.seeds) for c, h in VALIDATION]
        test = score(variant, *TEST, args.seeds)
        rows.append(
            {"variant": variant, "splits": val, "validation": float(np.mean(val)), "test": test}
        )
        cells = " | ".join(f"{v:.2f}" for v in val)
        print(f"| {variant} | {cells} | {np.mean(val):.2f} | {test:.2f} |", flush=True)
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
