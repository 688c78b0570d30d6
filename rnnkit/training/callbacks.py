"""Callbacks: how behaviour joins the training loop without editing it.

A callback is an object with some of the event methods below, each called as
``method(trainer)`` at that point of :meth:`rnnkit.training.Trainer.fit`. The trainer's
own extensions are callbacks too, registered before the user's in this order:
truncated-BPTT state carry (``carry_state=True``), the divergence guard, progress,
metrics.jsonl and TensorBoard logs, validation with best tracking and early stopping,
checkpoints. A callback reads and writes the trainer's public state:

    model, config, dist, run, optimizer, schedule   what is being trained, and how
    step, epoch, batch_in_epoch, total_steps, elapsed   counters (finished steps, epochs)
    batch, state_in, state_out   the latest batch on the device, the state fed to the model
                                 with it (a callback may set it in on_batch_start) and the
                                 state the model returned
    loss, grad_norm              the latest loss (mean over ranks), global norm before clipping
    recent                       the last ``log_every`` training losses
    last                         the latest step's record (as written to metrics.jsonl)
    eval_metrics                 the latest evaluation's metrics ({} without validation)
    saved                        the checkpoint directory written last
    stop_reason                  set through ``trainer.request_stop(reason)``

A callback that must survive a resume returns its state from ``state_dict()`` (a dict of
JSON values and tensors whose keys join the trainer's own in ``last/trainer.json``; pick
names of your own) and takes it back in ``load_state_dict(state)``, which receives the
whole saved state and should tolerate its keys' absence (runs saved without it). Under
torchrun every rank runs every callback in the same order, so a callback may use
collectives; only rank 0 writes files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

EVENTS = (
    "on_train_start",  # fit() begins (after a resume): trainer.step is where training starts
    "on_batch_start",  # trainer.batch is on the device; set trainer.state_in to feed a state
    "on_after_backward",  # gradients ready, before clipping: trainer.grad_norm not set yet
    "on_before_optimizer_step",  # clipped; trainer.loss and trainer.grad_norm (pre-clip) set
    "on_step_end",  # after the optimizer step and, when due, its evaluation and checkpoint
    "on_epoch_end",  # a pass over the data ended: trainer.epoch counts finished epochs
    "on_eval",  # after an evaluation: trainer.eval_metrics ({} without validation data)
    "on_checkpoint",  # after `last` or `best` was written: trainer.saved is its directory
    "on_interrupt",  # SIGINT / SIGTERM: the run stops (TrainingInterrupted) after this
    "on_train_end",  # after the final evaluation and checkpoint
    "on_close",  # fit() returns or raises: release files and displays
)


class Callback:
    """Base class of callbacks: every event does nothing; override the ones you need."""

    def on_train_start(self, trainer: Any) -> None: ...

    def on_batch_start(self, trainer: Any) -> None: ...

    def on_after_backward(self, trainer: Any) -> None: ...

    def on_before_optimizer_step(self, trainer: Any) -> None: ...

    def on_step_end(self, trainer: Any) -> None: ...

    def on_epoch_end(self, trainer: Any) -> None: ...

    def on_eval(self, trainer: Any) -> None: ...

    def on_checkpoint(self, trainer: Any) -> None: ...

    def on_interrupt(self, trainer: Any) -> None: ...

    def on_train_end(self, trainer: Any) -> None: ...

    def on_close(self, trainer: Any) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """What to save in `last/` so a resumed run continues where this one stopped."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take back what :meth:`state_dict` saved (`state` is the whole trainer state)."""


class OnEvent:
    """A plain function ``fn(trainer)`` called on one event (``Trainer.add_callback``)."""

    def __init__(self, event: str, fn: Callable[[Any], None]):
        check_event(event)
        setattr(self, event, fn)


def check_event(event: str) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown callback event {event!r}; events: {', '.join(EVENTS)}")


def check_callback(callback: object) -> None:
    """A method named like an event that is none (a typo) is an error, not silence."""
    for name in dir(callback):
        if name.startswith("on_") and name not in EVENTS:
            raise ValueError(
                f"{type(callback).__name__}.{name} is not a callback event; "
                f"events: {', '.join(EVENTS)}"
            )


class Callbacks:
    """The trainer's callbacks, in order: ``fire(event, trainer)`` calls each one's method."""

    def __init__(self, callbacks: Iterable[object] = ()):
        self._all: list[object] = []
        for callback in callbacks:
            self.append(callback)

    def append(self, callback: object) -> None:
        check_callback(callback)
        self._all.append(callback)

    def add(self, event: str, fn: Callable[[Any], None]) -> None:
        self.append(OnEvent(event, fn))

    def fire(self, event: str, trainer: Any) -> None:
        for callback in self._all:
            method = getattr(callback, event, None)
            if method is not None:
                method(trainer)

    def __iter__(self) -> Iterator[object]:
        return iter(self._all)
