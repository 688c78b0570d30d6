"""Checkpoints of a trainer: what goes into `last` and `best`, and resuming from `last`.

A mixin of :class:`rnnkit.training.trainer.Trainer`, kept apart so the training loop
reads on its own. The resumable state is a tree (see rnnkit.training.tree): counters,
optimizer, schedule, best metric, RNG states and the carried recurrent state of every
rank, saved as safetensors + JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnnkit.training import checkpoint as ckpt
from rnnkit.training import distributed as ddp
from rnnkit.training import tree


class Checkpointing:
    """Saving and resuming; relies on the Trainer's attributes."""

    def resume(self) -> int:
        """Load the run's `last` checkpoint (weights and trainer state); return its step."""
        where = self.run.checkpoint("last") if self.run else None
        if where is None:
            root = self.run.root if self.run else "(no run directory)"
            raise FileNotFoundError(f"nothing to resume: no checkpoint in {root}")
        ckpt.load_weights(self.model, where / ckpt.MODEL_FILE)
        self._load_state(ckpt.load_tree(where, "trainer"))
        self.logs.truncate_after(self.step)
        return self.step

    def _save_last(self) -> None:
        """Write `last`. Every rank must call it (weights are verified, the carried state
        is gathered)."""
        self._verify()
        state = self._trainer_state()
        self._saved_step = self.step  # on every rank, so all take the same branches
        if not (self.run and self.dist.main):
            return

        def fill(d: Path) -> None:
            ckpt.save_weights(self.model, d / ckpt.MODEL_FILE)
            ckpt.save_tree(d, "trainer", state)

        self._commit("last", fill)

    def _save_best(self) -> None:
        if self.dist.main:
            self._commit("best", lambda d: ckpt.save_weights(self.model, d / ckpt.MODEL_FILE))

    def _commit(self, tag: str, fill: Callable[[Path], None]) -> None:
        meta = {
            "step": self.step,
            "epoch": self.epoch,
            "train": self.last,
            "eval": self.eval_metrics,
            "best": self.tracker.best,
        }
        self.saved = self.run.commit(tag, fill, meta)
        self.callbacks.fire("on_checkpoint", self)

    def _trainer_state(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "elapsed": self.elapsed,
            "tracker": self.tracker.state_dict(),
            "last_eval_step": self.last_eval_step,
            "recent": list(self.recent),
            "best_mean_loss": self.best_mean_loss,
            "eval_metrics": self.eval_metrics,
            "world": self.dist.world,
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "rng": ckpt.rng_state(),
            "carry": ddp.gather_lanes(self.carry, self.dist),
        }

    def _load_state(self, s: dict[str, Any]) -> None:
        self.step, self.epoch, self.batch_in_epoch = s["step"], s["epoch"], s["batch_in_epoch"]
        self.elapsed = s["elapsed"]
        self.tracker.load_state_dict(s["tracker"])
        self.last_eval_step, self.eval_metrics = s["last_eval_step"], s["eval_metrics"]
        self.recent.extend(s["recent"])
        self.best_mean_loss = s.get("best_mean_loss")  # absent in runs of rnnkit 0.1
        self.optimizer.load_state_dict(s["optimizer"])
        self.schedule.load_state_dict(s["schedule"])
        ckpt.set_rng_state(s["rng"])
        carry = tree.to_device(s["carry"], self.dist.device)
        self.carry = ddp.split_lanes(carry, self.dist)
