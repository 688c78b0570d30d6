"""The Trainer: (truncated) BPTT with clipping, evaluation, checkpoints and resume.

It knows models only through the contract ``model(batch, state=None) -> Output``
(DESIGN.md). Batches are whatever the task's data source yields; the trainer moves
them to the device (`move`) and counts their samples or tokens (`count`) for
throughput. With ``carry_state=True`` (truncated BPTT over a stream) it feeds the
detached ``output.state`` of one batch into the next, zeroing lanes whose batch
`reset` flag says a document starts.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnnkit.training import checkpoint as ckpt
from rnnkit.training import distributed as ddp
from rnnkit.training import tree
from rnnkit.training.batches import as_source, count_items, skip
from rnnkit.training.callbacks import Callbacks
from rnnkit.training.config import TrainConfig
from rnnkit.training.errors import TrainingInterrupted
from rnnkit.training.evaluation import BestTracker, loss_sum
from rnnkit.training.guard import DivergenceGuard
from rnnkit.training.metrics import Logs
from rnnkit.training.optim import Schedule, make_optimizer
from rnnkit.training.precision import as_float32, autocast, resolve, warn
from rnnkit.training.progress import Progress
from rnnkit.training.rundir import RunDir
from rnnkit.training.signals import StopSignals
from rnnkit.training.state import Checkpointing
from rnnkit.training.tbptt import reset_lanes


class Trainer(Checkpointing, DivergenceGuard):
    """Train `model` on `train_data` as `config` says; see the module docstring.

    `train_data` / `val_data`: a callable ``epoch -> iterable of batches`` (deterministic
    in the epoch, so a resumed run sees the same batches) or a re-iterable collection.
    `evaluate`: optional ``fn(model) -> dict`` of validation metrics replacing the
    default mean validation loss. `run`: run directory for checkpoints and metrics.
    Training forward passes run under `autocast()`: bfloat16 autocast when
    ``config.precision`` resolves to bf16 on this device (rnnkit.training.precision);
    weights, optimizer state, the loss and the carried state stay float32, and
    evaluation runs in float32.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        train_data: Any,
        *,
        val_data: Any = None,
        evaluate: Callable[[nn.Module], dict] | None = None,
        run: RunDir | str | Path | None = None,
        dist: ddp.DistInfo | None = None,
        carry_state: bool = False,
        count: Callable[[Any], int] = count_items,
        move: Callable[[Any, str], Any] = tree.to_device,
        progress: Progress | None = None,
        tensorboard: bool = False,
    ):
        self.config, self.dist = config, dist or ddp.DistInfo()
        self.precision, note = resolve(config.precision, self.dist.device)  # "fp32" | "bf16"
        if note is not None and self.dist.main:
            warn(note)
        self.model = ddp.wrap(model.to(self.dist.device), self.dist)
        self.train_source, self.val_source = as_source(train_data), as_source(val_data)
        self.evaluate_fn, self.carry_state = evaluate, carry_state
        self.count, self.move = count, move
        self.run = RunDir(run) if isinstance(run, (str, Path)) else run
        self.progress = progress if progress is not None and self.dist.main else Progress()
        self.optimizer = make_optimizer(self.model.parameters(), config)
        self.total_steps = self._total_steps(train_data)
        self.schedule = Schedule(self.optimizer, config, self.total_steps)
        self.callbacks = Callbacks()
        self.logs = self._open_logs(tensorboard)
        self.step = self.epoch = self.batch_in_epoch = 0
        self.carry: Any = None  # detached recurrent state carried between batches
        self.elapsed = 0.0  # training seconds, summed over resumed sessions
        self.agreed_elapsed = 0.0  # mean of the ranks' `elapsed`: time-based schedules
        self.tracker = BestTracker(config.mode, config.patience)  # best metric, early stopping
        self._best_weights: dict[str, Any] | None = None  # without a run directory
        self.last_eval_step = -1
        self.recent: deque[float] = deque(maxlen=config.log_every)  # recent train losses
        self.last: dict[str, Any] = {}  # metrics of the latest step
        self.eval_metrics: dict[str, Any] = {}  # metrics of the latest evaluation
        self.grad_norm: float | None = None  # global gradient norm before clipping
        self.best_mean_loss: float | None = None  # lowest running-mean train loss (divergence)
        self._probe: tuple[Any, Any] | None = None  # last batch and its carried-in state
        self.saved: Path | None = None  # checkpoint directory written last
        self.stop_reason: str | None = None
        self.signals = StopSignals()  # SIGINT / SIGTERM received during fit
        self._saved_step = -1  # step of the `last` checkpoint written by this process
        self._rate = 0.0  # smoothed items per second

    # -- public API ---------------------------------------------------------------

    def add_callback(self, event: str, fn: Callable[[Trainer], None]) -> None:
        """Call ``fn(trainer)`` on `event` (see rnnkit.training.callbacks.EVENTS)."""
        self.callbacks.add(event, fn)

    def request_stop(self, reason: str = "callback") -> None:
        """Stop after the current step, as if the budget were spent (all ranks follow)."""
        self.stop_reason = reason

    def fit(self) -> dict[str, Any]:
        """Train until the budget is spent or training stops early; return final metrics."""
        if self.run and self.dist.main:
            self.run.create()
        self.progress.start(self.total_steps, self.step)
        self.callbacks.fire("on_train_start", self)
        try:
            with self.signals:
                self._loop()
            self._finish()
        finally:
            self.progress.close()
            self.logs.close()
        return self.summary()

    def evaluate(self) -> dict[str, Any]:
        """Validation metrics ({} without validation data)."""
        model = ckpt.unwrap(self.model)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                if self.evaluate_fn is not None:
                    return dict(self.evaluate_fn(model))
                return self._mean_val_loss(model) if self.val_source else {}
        finally:
            model.train(was_training)

    def autocast(self) -> Any:
        """The context forward passes run in: bfloat16 autocast if the run's precision is."""
        return autocast(self.precision, self.dist.device)

    def restore_best(self) -> bool:
        """Load the weights of the run's best checkpoint into the model, if there is one."""
        if self.run is None and self._best_weights is not None:
            self.model.load_state_dict(self._best_weights)
            return True
        best = self.run.checkpoint("best") if self.run else None
        if best is None:
            return False
        ckpt.load_weights(self.model, best / "model.safetensors")
        return True

    def summary(self) -> dict[str, Any]:
        """Final metrics: step, epoch, recent train loss, latest evaluation, best metric."""
        out: dict[str, Any] = {"step": self.step, "epoch": self.epoch}
        if self.recent:
            out["loss"] = sum(self.recent) / len(self.recent)
        out.update(self.eval_metrics)
        if self.tracker.best is not None:
            out[f"best_{self.config.metric}"] = self.tracker.best
        out["stopped"] = self.stop_reason or "done"
        out["precision"] = self.precision
        out["seconds"] = round(self.elapsed, 3)
        return out

    # -- the loop -----------------------------------------------------------------

    def _loop(self) -> None:
        while not self._budget_spent():
            batches = iter(self.train_source(self.epoch))
            skip(batches, self.batch_in_epoch)  # resuming mid-epoch
            seen = self.batch_in_epoch
            for batch in batches:
                seen += 1
                self._train_step(batch)
                self._after_step()
                if self._budget_spent() or self.stop_reason:
                    return
            if seen == 0:
                raise ValueError(
                    f"epoch {self.epoch} has no training batches: the data is smaller than "
                    f"one batch (TrainConfig.batch_size {self.config.batch_size})"
                )
            self.epoch, self.batch_in_epoch, self.carry = self.epoch + 1, 0, None
            if self.config.eval_every == 0:
                self._evaluate_and_checkpoint()
            if self.stop_reason:
                return

    def _train_step(self, batch: Any) -> None:
        t0 = time.perf_counter()
        self.model.train()
        batch = self.move(batch, self.dist.device)
        budget = self.config.minutes * 60 if self.config.minutes else None
        lr = self.schedule.apply(self.step, self.agreed_elapsed / budget if budget else None)
        state_in = self._carry_in(batch)
        self._probe = (batch, state_in)
        with self.autocast():
            out = self.model(batch, state=state_in)
        if out.loss is None:
            raise ValueError("the model returned no loss for a training batch")
        self.optimizer.zero_grad(set_to_none=True)
        out.loss.float().backward()
        self.callbacks.fire("on_after_backward", self)
        signalled = float(self.signals.received > 0)
        loss, items, signalled = ddp.all_sum(
            [out.loss.item(), float(self.count(batch)), signalled], self.dist
        )
        loss /= self.dist.world
        self.grad_norm = self._clip(loss)
        self.optimizer.step()
        if self.carry_state:
            self.carry = as_float32(tree.detach_state(out.state))
        if signalled and not self.signals.received:
            self.signals.received = signal.SIGTERM  # another rank was signalled
        self._record_step(loss, lr, items, time.perf_counter() - t0)

    def _record_step(self, loss: float, lr: float, items: float, seconds: float) -> None:
        self.step, self.batch_in_epoch = self.step + 1, self.batch_in_epoch + 1
        self.elapsed += seconds
        self._rate = _smooth(self._rate, items / max(seconds, 1e-9))
        self.recent.append(loss)
        mean = sum(self.recent) / len(self.recent)
        if self.best_mean_loss is None or mean < self.best_mean_loss:
            self.best_mean_loss = mean
        self.last = {
            "split": "train",
            "step": self.step,
            "epoch": self.epoch,
            "loss": loss,
            "grad_norm": self.grad_norm,
            "lr": lr,
            "items": int(items),
            "items_per_s": self._rate,
            "time": round(self.elapsed, 4),
        }
        self.logs.write(self.last)
        shown = dict(self.last)
        eta = self._eta()
        if eta is not None:
            shown["eta_s"] = eta
        self.progress.update(self.step, shown)
        self.callbacks.fire("on_step_end", self)

    def _eta(self) -> float | None:
        """Seconds left: by the step count, or the time budget if that ends first."""
        candidates = []
        if self.total_steps:
            candidates.append((self.total_steps - self.step) * self.elapsed / self.step)
        if self.config.minutes is not None:
            candidates.append(max(0.0, self.config.minutes * 60 - self.elapsed))
        return min(candidates) if candidates else None

    def _after_step(self) -> None:
        cfg = self.config
        if cfg.eval_every and self.step % cfg.eval_every == 0:
            self._evaluate_and_checkpoint()
        elif cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
            self._save_last()
        if self.signals.received:
            if self._saved_step != self.step:
                self._save_last()
            saved = str(self.run.root / "last") if self.run else None
            raise TrainingInterrupted(self.signals.received, self.step, saved)

    def _finish(self) -> None:
        if self.last_eval_step != self.step:
            self._evaluate_and_checkpoint()
        elif self.run and self._saved_step != self.step:
            self._save_last()
        self.callbacks.fire("on_train_end", self)

    def _budget_spent(self) -> bool:
        cfg = self.config
        if cfg.steps is not None:
            if self.step >= cfg.steps:
                return True
        elif cfg.epochs is not None or cfg.minutes is None:
            if self.epoch >= (cfg.epochs or 1):  # neither steps nor a time budget: one epoch
                return True
        time_up = cfg.minutes is not None and self.elapsed >= cfg.minutes * 60
        # ranks agree: any rank out of time, or asked to stop, stops them all
        # and they share one clock for time-based schedules (the mean of their times)
        time_up, asked, elapsed = ddp.all_sum(
            [float(time_up), float(self.stop_reason is not None), self.elapsed], self.dist
        )
        self.agreed_elapsed = elapsed / self.dist.world
        if time_up:
            self.stop_reason = self.stop_reason or "time"
            return True
        if asked and self.stop_reason is None:
            self.stop_reason = "stopped on another rank"
        return False

    # -- evaluation and early stopping --------------------------------------------

    def _evaluate_and_checkpoint(self) -> None:
        self.last_eval_step = self.step
        metrics = self.evaluate()
        improved = False
        if metrics:
            self._check_finite(metrics)
            self.eval_metrics = metrics
            self.logs.write({"split": "val", "step": self.step, "epoch": self.epoch, **metrics})
            improved = self._observe(metrics)
            self.progress.message(
                "eval "
                + "  ".join(
                    f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in metrics.items()
                )
            )
            self.callbacks.fire("on_eval", self)
        if self.run:
            self._save_last()
            if improved:
                self._save_best()
        elif improved:  # no run directory: the best weights are kept in memory
            self._best_weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def _observe(self, metrics: dict[str, Any]) -> bool:
        """Track the best metric and early stopping; True when it improved."""
        if self.config.metric not in metrics:
            raise ValueError(
                f"TrainConfig.metric {self.config.metric!r} is not among the "
                f"evaluation metrics {sorted(metrics)}"
            )
        value = float(metrics[self.config.metric])
        self.schedule.observe(value)
        improved = self.tracker.update(value)
        if self.tracker.exhausted:
            self.stop_reason = "early_stop"
        if self.config.stop_below is not None and value < self.config.stop_below:
            self.stop_reason = "solved"
        return improved

    def _mean_val_loss(self, model: nn.Module) -> dict[str, float]:
        sums = loss_sum(
            model,
            self.val_source(0),
            move=self.move,
            count=self.count,
            device=self.dist.device,
            carry_state=self.carry_state,
        )
        total, weight = ddp.all_sum(list(sums), self.dist)
        return {"val_loss": total / max(weight, 1.0)}

    # -- helpers ------------------------------------------------------------------

    def _carry_in(self, batch: Any) -> Any:
        return reset_lanes(self.carry, batch) if self.carry_state else None

    def _open_logs(self, tensorboard: bool) -> Logs:
        if tensorboard and self.run is None:
            raise ValueError("--tensorboard needs a run directory (--out RUN)")
        if not (self.run and self.dist.main):
            return Logs(None)
        return Logs(self.run.metrics_path, self.run.root / "tensorboard" if tensorboard else None)

    def _total_steps(self, train_data: Any) -> int | None:
        cfg = self.config
        if cfg.steps is not None:
            return cfg.steps
        if cfg.epochs is None and cfg.minutes is not None:
            return None  # until the time is up
        try:
            return (cfg.epochs or 1) * len(train_data)
        except TypeError:
            return None


def _smooth(average: float, value: float) -> float:
    """Exponential moving average (0.9), starting at the first value."""
    return value if average == 0 else 0.9 * average + 0.1 * value
