"""The Trainer: a small loop of (truncated) BPTT steps that callbacks extend.

It knows models only through the contract ``model(batch, state=None) -> Output``
(DESIGN.md). Batches are whatever the task's data source yields; the trainer moves them
to the device (`move`) and counts their samples or tokens (`count`) for throughput.
Everything else joins the loop as a callback (rnnkit.training.callbacks): the state
carry of truncated BPTT (tbptt.CarryState), the divergence guard (guard), progress,
metrics.jsonl and TensorBoard (metrics), validation with best tracking and early
stopping (evaluation.Validation), and checkpoints (checkpointing) — then the caller's.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from torch import nn

from rnnkit.training import budget, checkpointing, evaluation, tree
from rnnkit.training import distributed as ddp
from rnnkit.training.batches import as_source, count_items, skip
from rnnkit.training.callbacks import Callbacks
from rnnkit.training.checkpointing import Checkpointer
from rnnkit.training.config import TrainConfig
from rnnkit.training.errors import TrainingInterrupted
from rnnkit.training.evaluation import Validation
from rnnkit.training.guard import DivergenceGuard
from rnnkit.training.metrics import MetricsLog, TensorBoardLog
from rnnkit.training.optim import Schedule, clip_gradients, make_optimizer
from rnnkit.training.precision import autocast, resolve, warn
from rnnkit.training.progress import Progress
from rnnkit.training.rundir import RunDir
from rnnkit.training.signals import StopSignals
from rnnkit.training.tbptt import CarryState


class Trainer:
    """Train `model` on `train_data` as `config` says; see the module docstring.

    `train_data` / `val_data`: a callable ``epoch -> iterable of batches`` (deterministic
    in the epoch, so a resumed run sees the same batches) or a re-iterable collection.
    `evaluate`: optional ``fn(model) -> dict`` of validation metrics replacing the
    default mean validation loss. `run`: run directory for checkpoints and metrics, whose
    writer lock the trainer (rank 0) holds from `fit()` on (rnnkit.training.lock).
    `carry_state`: carry the recurrent state from batch to batch (truncated BPTT over a
    stream). `callbacks`: objects with event methods (rnnkit.training.callbacks), called
    after the built-in ones. Training forward passes run under `autocast()`
    (rnnkit.training.precision); weights, optimizer state, the loss and the carried state
    stay float32, and evaluation runs in float32.
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
        callbacks: Iterable[object] = (),
    ):
        self.config, self.dist = config, dist or ddp.DistInfo()
        self.precision, note = resolve(config.precision, self.dist.device)  # "fp32" | "bf16"
        if note is not None and self.dist.main:
            warn(note)
        if tensorboard and run is None:
            raise ValueError("--tensorboard needs a run directory (--out RUN)")
        self.run = RunDir(run) if isinstance(run, (str, Path)) else run
        self.model = ddp.wrap(model.to(self.dist.device), self.dist)
        self.train_source, self.val_source = as_source(train_data), as_source(val_data)
        self.evaluate_fn, self.carry_state = evaluate, carry_state
        self.count, self.move = count, move
        self.optimizer = make_optimizer(self.model.parameters(), config)
        self.total_steps = budget.total_steps(config, train_data)
        self.schedule = Schedule(self.optimizer, config, self.total_steps)
        self.step = self.epoch = self.batch_in_epoch = 0
        self.elapsed = 0.0  # training seconds, summed over resumed sessions
        self.agreed_elapsed = 0.0  # mean of the ranks' `elapsed`: time-based schedules
        self.batch: Any = None  # the latest batch, on the device
        self.state_in: Any = None  # the state fed to the model with it
        self.state_out: Any = None  # the state the model returned for it
        self.loss, self.grad_norm = 0.0, 0.0  # latest loss (mean over ranks), pre-clip norm
        self.recent: deque[float] = deque(maxlen=config.log_every)  # recent train losses
        self.last: dict[str, Any] = {}  # the latest step's record
        self.eval_metrics: dict[str, Any] = {}  # metrics of the latest evaluation
        self.saved: Path | None = None  # checkpoint directory written last
        self.stop_reason: str | None = None
        self.signals = StopSignals()  # SIGINT / SIGTERM received during fit
        self._rate = 0.0  # smoothed items per second
        self.validation = Validation(config)  # best metric, early stopping
        self.callbacks = Callbacks([*self._builtin(progress, tensorboard), *callbacks])

    # -- public API ---------------------------------------------------------------

    def add_callback(self, event: str, fn: Callable[[Trainer], None]) -> None:
        """Call ``fn(trainer)`` on `event` (see rnnkit.training.callbacks.EVENTS)."""
        self.callbacks.add(event, fn)

    def fire(self, event: str) -> None:
        """Call every callback's `event` method (the built-ins fire on_eval, on_checkpoint)."""
        self.callbacks.fire(event, self)

    def request_stop(self, reason: str = "callback") -> None:
        """Stop after the current step, as if the budget were spent (all ranks follow)."""
        self.stop_reason = reason

    def fit(self) -> dict[str, Any]:
        """Train until the budget is spent or a callback stops it; return `summary()`."""
        if self.run is not None and self.dist.main:
            self.run.create()  # takes the run's writer lock first
        failed = True
        try:
            self.fire("on_train_start")
            with self.signals:
                self._loop()
            self.fire("on_train_end")
            failed = False
        finally:
            self.fire("on_close")
            if failed and self.run is not None:
                self.run.unlock()  # nothing more is written: another process may go on
        return self.summary()

    # -- the loop -----------------------------------------------------------------

    def _loop(self) -> None:
        while not budget.spent(self):
            batches = iter(self.train_source(self.epoch))
            skip(batches, self.batch_in_epoch)  # resuming mid-epoch
            seen = self.batch_in_epoch
            for batch in batches:
                seen += 1
                self._train_step(batch)
                if self.signals.received:
                    self.fire("on_interrupt")
                    saved = str(self.run.root / "last") if self.run else None
                    raise TrainingInterrupted(self.signals.received, self.step, saved)
                if budget.spent(self) or self.stop_reason:
                    return
            if seen == 0:
                raise ValueError(
                    f"epoch {self.epoch} has no training batches: the data is smaller than "
                    f"one batch (TrainConfig.batch_size {self.config.batch_size})"
                )
            self.epoch, self.batch_in_epoch = self.epoch + 1, 0
            self.fire("on_epoch_end")
            if self.stop_reason:
                return

    def _train_step(self, batch: Any) -> None:
        t0 = time.perf_counter()
        self.model.train()
        self.batch, self.state_in = self.move(batch, self.dist.device), None
        lr = self.schedule.apply(self.step, budget.time_fraction(self))
        self.fire("on_batch_start")
        with self.autocast():
            out = self.model(self.batch, state=self.state_in)
        if out.loss is None:
            raise ValueError("the model returned no loss for a training batch")
        self.optimizer.zero_grad(set_to_none=True)
        out.loss.float().backward()
        self.fire("on_after_backward")
        signalled = float(self.signals.received > 0)
        loss, items, signalled = ddp.all_sum(
            [out.loss.item(), float(self.count(self.batch)), signalled], self.dist
        )
        self.loss, self.state_out = loss / self.dist.world, out.state
        self.grad_norm = clip_gradients(list(self.model.parameters()), self.config)
        self.fire("on_before_optimizer_step")
        self.optimizer.step()
        if signalled and not self.signals.received:
            self.signals.received = signal.SIGTERM  # another rank was signalled
        self._record(lr, items, time.perf_counter() - t0)
        self.fire("on_step_end")

    def _record(self, lr: float, items: float, seconds: float) -> None:
        self.step, self.batch_in_epoch = self.step + 1, self.batch_in_epoch + 1
        self.elapsed += seconds
        self._rate = _smooth(self._rate, items / max(seconds, 1e-9))
        self.recent.append(self.loss)
        self.last = {
            "split": "train",
            "step": self.step,
            "epoch": self.epoch,
            "loss": self.loss,
            "grad_norm": self.grad_norm,
            "lr": lr,
            "items": int(items),
            "items_per_s": self._rate,
            "time": round(self.elapsed, 4),
        }

    # -- evaluation, state, results -----------------------------------------------

    def evaluate(self) -> dict[str, Any]:
        """Validation metrics ({} without validation data), in eval mode, in float32."""
        return evaluation.evaluate(self)

    def autocast(self) -> Any:
        """The context forward passes run in: bfloat16 autocast if the run's precision is."""
        return autocast(self.precision, self.dist.device)

    def state_dict(self) -> dict[str, Any]:
        """What `last/` keeps to resume: counters, optimizer, schedule, RNG states and every
        callback's state. Every rank must call it (carried states are gathered)."""
        return checkpointing.trainer_state(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        checkpointing.load_trainer_state(self, state)

    def resume(self) -> int:
        """Load the run's `last` checkpoint (weights and trainer state); return its step."""
        return checkpointing.resume(self)

    def restore_best(self) -> bool:
        """Load the best weights into the model (of `best/`, or kept in memory without a
        run directory); False when there are none."""
        return self.checkpointer.restore_best(self)

    def summary(self) -> dict[str, Any]:
        """Final metrics: step, epoch, recent train loss, latest evaluation, best metric."""
        out: dict[str, Any] = {"step": self.step, "epoch": self.epoch}
        if self.recent:
            out["loss"] = sum(self.recent) / len(self.recent)
        out.update(self.eval_metrics)
        if self.validation.best is not None:
            out[f"best_{self.config.metric}"] = self.validation.best
        out["stopped"] = self.stop_reason or "done"
        out["precision"] = self.precision
        out["seconds"] = round(self.elapsed, 3)
        return out

    def _builtin(self, progress: Progress | None, tensorboard: bool) -> list[object]:
        """The trainer's own callbacks, in the order they run (module docstring)."""
        guard = DivergenceGuard(self.config)
        self.checkpointer = Checkpointer(self.run, self.validation, guard)
        shown = progress if progress is not None and self.dist.main else Progress()
        builtin: list[object] = [CarryState(self.dist)] if self.carry_state else []
        builtin += [guard, shown]
        if self.run is not None and self.dist.main:  # only rank 0 writes
            builtin.append(MetricsLog(self.run.metrics_path))
            if tensorboard:
                builtin.append(TensorBoardLog(self.run.root / "tensorboard"))
        return [*builtin, self.validation, self.checkpointer]


def _smooth(average: float, value: float) -> float:
    """Exponential moving average (0.9), starting at the first value."""
    return value if average == 0 else 0.9 * average + 0.1 * value
