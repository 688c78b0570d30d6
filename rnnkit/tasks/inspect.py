"""`rnnkit inspect RUN`: gate heatmaps and an HTML page of what each unit did.

Works for a run of any task that provides ``inspect_input`` (and, when its model starts
from a computed state, ``inspect_state``) and whose model has ``features`` and ``rnn``
(the Task contract, rnnkit.tasks.contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from torch import nn

from rnnkit.analysis.inspect import record, write_report
from rnnkit.config import Config
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.registry import info, register_verb


@runtime_checkable
class Inspectable(Protocol):
    """What a task offers `rnnkit inspect`."""

    def inspect_input(self, model: nn.Module, text: str | None, seed: int) -> tuple[Any, list[str]]:
        """One batch of one sequence and a label per step. ``text`` is the user's
        ``--input``; None: choose one by seed."""
        ...


@dataclass
class InspectOptions(Config):
    """Which run, which input, which layer and unit."""

    run: str  # run directory
    input: str | None = None  # the input (see each task's manual in docs/; None: chosen by --seed)
    layer: str = "l0"  # which layer/direction: l0, l1, l0_reverse, ...
    unit: int | None = None  # unit to colour by (None: the one whose state varies most)
    out: str | None = None  # HTML path (None: RUN/inspect.html)


def inspect_run(options: InspectOptions, seed: int = 0) -> dict[str, Any]:
    """Trace one input through a run's recurrent layer; write the page and heatmaps."""
    loaded = load(options.run)
    task, model = loaded.task, loaded.model
    if not isinstance(task, Inspectable):
        raise ValueError(f"runs of task {info(task).name!r} cannot be inspected")
    batch, labels = task.inspect_input(model, options.input, seed)
    state = getattr(task, "inspect_state", None)  # where the model starts from a computed state
    hx = state(model, batch) if state is not None else None
    trace = record(model.rnn, model.features(batch.x), options.layer, hx=hx)
    out = Path(options.out or Path(options.run) / "inspect.html")
    unit = trace.default_unit() if options.unit is None else options.unit
    title = f"{Path(options.run).name}: {trace.cell.upper()} {options.layer}"
    page, png = write_report(trace, labels, out, unit=unit, title=title)
    return {"html": str(page), "png": str(png), "unit": unit, "traces": list(trace.values)}


def run_inspect(console: Console, *, options: InspectOptions, seed: int) -> dict[str, Any]:
    """record gates and states of a trained run as a report

    Run one input through a trained model's recurrent layer with the reference runner's
    capture; write heatmaps (PNG) and an HTML page colouring the input by a unit's
    activation.
    """
    result = inspect_run(options, seed)
    console.say(
        f"wrote {result['html']} and {result['png']} (unit {result['unit']}; "
        f"gates: {', '.join(result['traces'])})"
    )
    return result


register_verb(("inspect",), run_inspect, InspectOptions, "inspect")
