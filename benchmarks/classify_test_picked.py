"""What choosing the checkpoint on the test set would report — for comparison only.

    python -m benchmarks.classify_test_picked --data japanese-vowels --seeds 3

Trains `rnnkit classify train`'s defaults and, at every validation, also scores the test
split (recorded aside, never used for any choice). Prints, per seed, the clean result
(the checkpoint with the best validation loss, test scored once) next to the best test
accuracy over all evaluations: the number a protocol that picks checkpoints on the test
set (as several published JapaneseVowels results did) would report.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from rnnkit.models.classifier import ClassifierConfig
from rnnkit.tasks.classify import ClassifyConfig, ClassifyTask
from rnnkit.tasks.lifecycle import Run, train
from rnnkit.training import TrainConfig


def run(data: str, seed: int) -> tuple[float, float]:
    task = ClassifyTask(ClassifyConfig(data=data, baselines=False))
    presets = ClassifyTask.presets(task.config)
    model = ClassifierConfig(**{**ClassifyTask.model_defaults, **presets.get("model", {})})
    config = {**ClassifyTask.train_defaults, **presets.get("train", {}), "seed": seed}
    seen: list[float] = []
    evaluate = task.evaluate

    def spy(m: torch.nn.Module, split: str) -> dict[str, float]:
        if split == "val":  # aside: what the test accuracy is at this checkpoint
            seen.append(evaluate(m, "test")["test_accuracy"])
        return evaluate(m, split)

    task.evaluate = spy  # type: ignore[method-assign]
    result = train(task, Run(model, TrainConfig(**config)))
    return result["test_accuracy"], max(seen)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="japanese-vowels")
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(1)
    clean, picked = [], []
    for seed in range(args.seeds):
        c, t = run(args.data, seed)
        clean.append(c)
        picked.append(t)
        print(f"seed {seed}: clean {c:.4f}  test-picked {t:.4f}", flush=True)
    print(
        f"{args.data}: clean {np.mean(clean):.4f} ± {np.std(clean):.4f}  "
        f"test-picked {np.mean(picked):.4f} ± {np.std(picked):.4f}"
    )


if __name__ == "__main__":
    main()
