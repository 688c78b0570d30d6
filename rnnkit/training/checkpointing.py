"""Checkpoints of a trainer: `last` to resume from, `best` to keep.

A callback of every :class:`rnnkit.training.trainer.Trainer`. `last` holds the weights
and the trainer's state (``Trainer.state_dict()``: counters, optimizer, schedule, RNG
states and every callback's state, saved as safetensors + JSON; rnnkit.training.tree) and
is written after every evaluation, every ``checkpoint_every`` steps, on SIGINT/SIGTERM
and at the end; `best` holds the weights of the best validation metric. Before `last` is
written the divergence guard checks the weights. Without a run directory the best
weights are kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnnkit.training import checkpoint as ckpt
from rnnkit.training.callbacks import Callback
from rnnkit.training.evaluation import Validation
from rnnkit.training.guard import DivergenceGuard
from rnnkit.training.rundir import RunDir


class Checkpointer(Callback):
    """Writes `last` and `best` (rank 0); `restore_best` loads the best weights back."""

    def __init__(self, run: RunDir | None, validation: Validation, guard: DivergenceGuard):
        self.run, self.validation, self.guard = run, validation, guard
        self.saved_step = -1  # step of the `last` checkpoint saved by this process
        self.best_weights: dict[str, Any] | None = None  # without a run directory

    def on_step_end(self, trainer: Any) -> None:
        every = trainer.config.checkpoint_every
        if every and trainer.step % every == 0 and self.saved_step != trainer.step:
            self.save_last(trainer)

    def on_eval(self, trainer: Any) -> None:
        improved = self.validation.improved
        if self.run is not None:
            self.save_last(trainer)
            if improved:
                self.save_best(trainer)
        elif improved:  # no run directory: the best weights are kept in memory
            state = trainer.model.state_dict()
            self.best_weights = {k: v.detach().clone() for k, v in state.items()}

    def on_interrupt(self, trainer: Any) -> None:
        if self.saved_step != trainer.step:
            self.save_last(trainer)

    def on_train_end(self, trainer: Any) -> None:
        if self.run is not None and self.saved_step != trainer.step:
            self.save_last(trainer)

    def save_last(self, trainer: Any) -> None:
        """Write `last`. Every rank must call it (the weights are verified and the
        carried state is gathered on all of them); rank 0 writes."""
        self.guard.verify(trainer)
        state = trainer.state_dict()
        self.saved_step = trainer.step  # on every rank, so all take the same branches
        if self.run is None or not trainer.dist.main:
            return

        def fill(d: Path) -> None:
            ckpt.save_weights(trainer.model, d / ckpt.MODEL_FILE)
            ckpt.save_tree(d, "trainer", state)

        self._commit(trainer, "last", fill)

    def save_best(self, trainer: Any) -> None:
        if trainer.dist.main:
            fill = lambda d: ckpt.save_weights(trainer.model, d / ckpt.MODEL_FILE)  # noqa: E731
            self._commit(trainer, "best", fill)

    def _commit(self, trainer: Any, tag: str, fill: Callable[[Path], None]) -> None:
        assert self.run is not None
        meta = {
            "step": trainer.step,
            "epoch": trainer.epoch,
            "train": trainer.last,
            "eval": trainer.eval_metrics,
            "best": self.validation.best,
        }
        trainer.saved = self.run.commit(tag, fill, meta)
        trainer.fire("on_checkpoint")

    def restore_best(self, trainer: Any) -> bool:
        """Load the best weights (the run's `best/`, or those kept in memory); False if none."""
        if self.run is None:
            if self.best_weights is None:
                return False
            trainer.model.load_state_dict(self.best_weights)
            return True
        best = self.run.checkpoint("best")
        if best is None:
            return False
        ckpt.load_weights(trainer.model, best / ckpt.MODEL_FILE)
        return True


def trainer_state(trainer: Any) -> dict[str, Any]:
    """``Trainer.state_dict()``: counters, optimizer, schedule, RNG states, and every
    callback's ``state_dict()`` merged in. Every rank must call it."""
    state: dict[str, Any] = {
        "step": trainer.step,
        "epoch": trainer.epoch,
        "batch_in_epoch": trainer.batch_in_epoch,
        "elapsed": trainer.elapsed,
        "recent": list(trainer.recent),
        "eval_metrics": trainer.eval_metrics,
        "world": trainer.dist.world,
        "optimizer": trainer.optimizer.state_dict(),
        "schedule": trainer.schedule.state_dict(),
        "rng": ckpt.rng_state(),
        "carry": None,  # tbptt.CarryState's, when the run carries its state
    }
    own = set(state) - {"carry"}
    for callback in trainer.callbacks:
        extra = callback.state_dict() if hasattr(callback, "state_dict") else {}
        if set(extra) & own:
            name = type(callback).__name__
            raise ValueError(f"{name}.state_dict() reuses the trainer's {sorted(set(extra) & own)}")
        state.update(extra)
    return state


def load_trainer_state(trainer: Any, s: dict[str, Any]) -> None:
    """``Trainer.load_state_dict(s)``: the inverse of :func:`trainer_state`."""
    trainer.step, trainer.epoch = s["step"], s["epoch"]
    trainer.batch_in_epoch, trainer.elapsed = s["batch_in_epoch"], s["elapsed"]
    trainer.eval_metrics = s["eval_metrics"]
    trainer.recent.extend(s["recent"])
    trainer.optimizer.load_state_dict(s["optimizer"])
    trainer.schedule.load_state_dict(s["schedule"])
    ckpt.set_rng_state(s["rng"])
    for callback in trainer.callbacks:
        if hasattr(callback, "load_state_dict"):
            callback.load_state_dict(s)


def resume(trainer: Any) -> int:
    """``Trainer.resume()``: load `last/` (weights and state); return its step."""
    run = trainer.run
    where = run.checkpoint("last") if run else None
    if where is None:
        root = run.root if run else "(no run directory)"
        raise FileNotFoundError(f"nothing to resume: no checkpoint in {root}")
    ckpt.load_weights(trainer.model, where / ckpt.MODEL_FILE)
    load_trainer_state(trainer, ckpt.load_tree(where, "trainer"))
    return trainer.step
