"""Divergence: what stops training when the loss or the weights go wrong.

A callback of every :class:`rnnkit.training.trainer.Trainer`. Training stops, naming the
step, when the loss or the gradient norm is NaN or infinite, when the running mean of the
loss exceeds ``TrainConfig.diverge_factor`` times its best so far (before the optimizer
step, so the weights are not touched), or when a validation metric is not finite (before
anything is logged or saved). Before `last` is written the checkpointer asks
:meth:`DivergenceGuard.verify` to check the weights on the batch they were last trained
on, so a checkpoint named as good never holds diverged weights.
"""

from __future__ import annotations

import math
from typing import Any

from rnnkit.training import checkpoint as ckpt
from rnnkit.training import distributed as ddp
from rnnkit.training.callbacks import Callback
from rnnkit.training.config import TrainConfig
from rnnkit.training.errors import TrainingDiverged
from rnnkit.training.evaluation import evaluating


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


class DivergenceGuard(Callback):
    """Divergence checks; keeps the best running-mean training loss (resumable)."""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.best_mean_loss: float | None = None  # lowest running mean of the train loss

    def on_before_optimizer_step(self, trainer: Any) -> None:
        """A NaN/inf loss or gradient norm, or an exploding loss: stop before the update."""
        for what, value in (("the loss", trainer.loss), ("the gradient norm", trainer.grad_norm)):
            if not math.isfinite(value):
                self.diverged(trainer, trainer.step + 1, what, value)
        window = [*trainer.recent, trainer.loss][-trainer.recent.maxlen :]
        mean = _mean(window)
        if self.exploded(mean):
            what = f"the mean loss of the last {len(window)} steps"
            self.diverged(trainer, trainer.step + 1, what, mean)

    def on_step_end(self, trainer: Any) -> None:
        mean = _mean(list(trainer.recent))
        if self.best_mean_loss is None or mean < self.best_mean_loss:
            self.best_mean_loss = mean

    def on_eval(self, trainer: Any) -> None:
        """A NaN or infinite validation metric stops the run before anything is saved."""
        for name, value in trainer.eval_metrics.items():
            if isinstance(value, float) and not math.isfinite(value):
                self.diverged(trainer, trainer.step, f"the validation metric {name}", value)

    def exploded(self, loss: float) -> bool:
        """Far above the best running mean so far (TrainConfig.diverge_factor times it)."""
        factor, best = self.config.diverge_factor, self.best_mean_loss
        return factor is not None and best is not None and best > 0 and loss > factor * best

    def verify(self, trainer: Any) -> None:
        """Before `last` is written: the weights about to be saved must give a finite,
        unexploded loss on the batch they were last trained on. Every rank takes part."""
        if trainer.batch is None:
            return  # no step in this session: the weights are those loaded
        model = ckpt.unwrap(trainer.model)
        with evaluating(model):
            loss = float(model(trainer.batch, state=trainer.state_in).loss)
        bad = not math.isfinite(loss) or self.exploded(loss)
        (bad_ranks,) = ddp.all_sum([float(bad)], trainer.dist)
        if bad_ranks:
            what = "the loss of the updated weights on their last batch"
            self.diverged(trainer, trainer.step, what, loss)

    def diverged(self, trainer: Any, step: int, what: str, value: float) -> None:
        saved = trainer.run.checkpoint("last") if trainer.run else None
        detail = None
        if math.isfinite(value) and self.best_mean_loss is not None:
            detail = (
                f"over {self.config.diverge_factor:g} x its best {self.best_mean_loss:.4g} "
                "(TrainConfig.diverge_factor)"
            )
        raise TrainingDiverged(
            step,
            what,
            value,
            str(saved) if saved else None,
            clipping=self.config.clip is not None,
            detail=detail,
        )

    def state_dict(self) -> dict[str, Any]:
        return {"best_mean_loss": self.best_mean_loss}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_mean_loss = state.get("best_mean_loss")  # absent in runs of rnnkit 0.1
