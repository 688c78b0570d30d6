"""Divergence: what stops training when the loss or the weights go wrong.

A mixin of :class:`rnnkit.training.trainer.Trainer`. Training stops, naming the step,
when the loss or the gradient norm is NaN or infinite, when the running mean of the
loss exceeds ``TrainConfig.diverge_factor`` times its best so far (before the optimizer
step, so the weights are not touched), or when a validation metric is not finite.
Before `last` is written the weights are verified on the batch they were last trained
on, so a checkpoint named as good never holds diverged weights.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from rnnkit.training import checkpoint as ckpt
from rnnkit.training import distributed as ddp
from rnnkit.training.errors import TrainingDiverged
from rnnkit.training.optim import clip_gradients


class DivergenceGuard:
    """Divergence checks; relies on the Trainer's attributes."""

    def _clip(self, loss: float) -> float:
        """Stop on a NaN/inf loss or gradient norm, or an exploding loss; clip; return the
        pre-clip global norm. Runs before the optimizer step: the weights stay as they were."""
        norm = clip_gradients(list(self.model.parameters()), self.config)
        for what, value in (("the loss", loss), ("the gradient norm", norm)):
            if not math.isfinite(value):
                self._diverged(self.step + 1, what, value)
        window = [*self.recent, loss][-self.recent.maxlen :]
        mean = sum(window) / len(window)
        if self._exploded(mean):
            self._diverged(self.step + 1, f"the mean loss of the last {len(window)} steps", mean)
        return norm

    def _exploded(self, loss: float) -> bool:
        """Far above the best running mean so far (TrainConfig.diverge_factor times it)."""
        factor, best = self.config.diverge_factor, self.best_mean_loss
        return factor is not None and best is not None and best > 0 and loss > factor * best

    def _diverged(self, step: int, what: str, value: float) -> None:
        saved = self.run.checkpoint("last") if self.run else None
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

    def _verify(self) -> None:
        """Before `last` is written: the weights about to be saved must give a finite,
        unexploded loss on the batch they were last trained on (so a checkpoint named as
        good never holds diverged weights). Every rank takes part."""
        if self._probe is None:
            return
        batch, state = self._probe
        model = ckpt.unwrap(self.model)
        was = model.training
        model.eval()
        try:
            with torch.no_grad():
                loss = float(model(batch, state=state).loss)
        finally:
            model.train(was)
        bad = not math.isfinite(loss) or self._exploded(loss)
        (bad_ranks,) = ddp.all_sum([float(bad)], self.dist)
        if bad_ranks:
            self._diverged(self.step, "the loss of the updated weights on their last batch", loss)

    def _check_finite(self, metrics: dict[str, Any]) -> None:
        """A NaN or infinite validation metric stops the run before anything is saved."""
        for name, value in metrics.items():
            if isinstance(value, float) and not math.isfinite(value):
                self._diverged(self.step, f"the validation metric {name}", value)
