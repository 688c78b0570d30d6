"""`rnnkit inspect RUN`: gate heatmaps and an HTML page of what each unit did."""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.analysis.inspect import record, write_report
from rnnkit.cli.common import say
from rnnkit.tasks import task_module


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "inspect",
        parents=[common],
        help="record gates and states of a trained run as a report",
        description="Run one input through a trained model's recurrent layer with the "
        "reference runner's capture; write heatmaps (PNG) and an HTML page colouring the "
        "input by a unit's activation.",
    )
    p.add_argument("run", metavar="RUN", help="run directory")
    p.add_argument(
        "--input",
        default=None,
        help="the input (text for language models; see the README per task); "
        "default: a sequence from the task's generator, chosen by --seed",
    )
    p.add_argument("--layer", default="l0", help="which layer/direction: l0, l1, l0_reverse, ...")
    p.add_argument(
        "--unit",
        type=int,
        default=None,
        help="unit to colour by (default: the one whose state varies most)",
    )
    p.add_argument("--out", default=None, help="HTML path (default: RUN/inspect.html)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    module = task_module(args.run)
    model, batch, labels = module.inspect_input(args.run, args.input, args.seed)
    rnn_input = model.features(batch.x)
    # tasks whose model starts from a computed state (names: the language) provide it
    hx = module.inspect_state(model, batch) if hasattr(module, "inspect_state") else None
    trace = record(model.rnn, rnn_input, args.layer, hx=hx)
    out = Path(args.out or Path(args.run) / "inspect.html")
    unit = trace.default_unit() if args.unit is None else args.unit
    page, png = write_report(
        trace,
        labels,
        out,
        unit=unit,
        title=f"{Path(args.run).name}: {trace.cell.upper()} {args.layer}",
    )
    say(args, f"wrote {page} and {png} (unit {unit}; gates: {', '.join(trace.values)})")
    return {"html": str(page), "png": str(png), "unit": unit, "traces": list(trace.values)}
