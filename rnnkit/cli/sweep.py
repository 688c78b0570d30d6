"""`rnnkit longrange sweep`: the grid of cells x lengths, as a table and a plot."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rnnkit.analysis.plots import plot_sweep
from rnnkit.cli.common import CommandError, say
from rnnkit.cli.training import add_training_flags, progress_for, train_config
from rnnkit.tasks import longrange
from rnnkit.training import distributed as ddp
from rnnkit.training.rundir import write_json


def register_sweep(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from rnnkit.cli.longrange import DEFAULTS

    v = verbs.add_parser(
        "sweep",
        parents=[common],
        help="train every cell at every length",
        description="Train each cell at each length with the same budget; "
        "write sweep.md, sweep.json and sweep.png to --out. Re-running "
        "skips the runs already finished.",
    )
    v.add_argument("--task", choices=longrange.TASKS, default="adding", help="which task")
    v.add_argument("--cells", default="rnn,lstm,gru", help="comma-separated cells")
    v.add_argument("--lengths", default="50,100,200,400", help="comma-separated lengths T")
    v.add_argument("--hidden", type=int, default=64, help="hidden units (default: 64)")
    v.add_argument("--forget-bias", type=float, default=1.0, help="LSTM forget-gate bias")
    v.add_argument(
        "--stop-below",
        type=float,
        default=None,
        metavar="LOSS",
        help="end each run once its validation loss is below LOSS",
    )
    v.add_argument("--test-size", type=int, default=2000, help="fresh test sequences")
    add_training_flags(v, **{**DEFAULTS, "out": None})
    v.set_defaults(func=run_sweep)


def parse_list(text: str, kind: type, flag: str) -> list:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CommandError(f"{flag} must be a comma-separated list, got {text!r}") from None
    if not values:
        raise CommandError(f"{flag} is empty")
    return values


def run_sweep(args: argparse.Namespace) -> dict:
    cells = parse_list(args.cells, str, "--cells")
    for cell in cells:
        if cell not in ("rnn", "lstm", "gru"):
            raise CommandError(f"--cells: unknown cell {cell!r} (choose from rnn, lstm, gru)")
    lengths = parse_list(args.lengths, int, "--lengths")
    root = Path(args.out or f"runs/sweep-{args.task}")
    root.mkdir(parents=True, exist_ok=True)
    results_path = root / "sweep.json"
    rows = json.loads(results_path.read_text())["rows"] if results_path.exists() else []
    done = {(r["cell"], r["length"]) for r in rows}
    for length in lengths:
        for cell in cells:
            if (cell, length) in done:
                say(args, f"{cell} T={length}: already in {results_path}, skipped")
                continue
            rows.append(run_one(args, cell, length, root))
            write_outputs(root, args.task, rows)
    write_outputs(root, args.task, rows)
    say(args, (root / "sweep.md").read_text())
    say(args, f"wrote {root / 'sweep.md'}, {root / 'sweep.json'}, {root / 'sweep.png'}")
    return {"task": args.task, "rows": rows}


def run_one(args: argparse.Namespace, cell: str, length: int, root: Path) -> dict:
    task = longrange.LongRangeConfig(task=args.task, length=length, test_size=args.test_size)
    options = {"forget_bias": args.forget_bias} if cell == "lstm" else {}
    model = longrange.model_config(task, cell, args.hidden, **options)
    say(args, f"--- {args.task} {cell.upper()} T={length}")
    run = longrange.LongRangeRun(
        task,
        model,
        train_config(args),
        out=root / f"{cell}-T{length}",
        progress=progress_for(args, ddp.DistInfo(), "seq"),
        stop_below=args.stop_below,
    )
    return longrange.train(run)


def write_outputs(root: Path, task: str, rows: list[dict]) -> None:
    metric, baseline = (
        ("test_mse", "baseline_mse") if task == "adding" else ("test_xent", "baseline_xent")
    )
    write_json(root / "sweep.json", {"task": task, "rows": rows})
    (root / "sweep.md").write_text(markdown(rows, metric, baseline))
    plot_sweep(rows, metric, baseline, root / "sweep.png")


def markdown(rows: list[dict], metric: str, baseline: str) -> str:
    cells = list(dict.fromkeys(r["cell"] for r in rows))
    lengths = sorted({r["length"] for r in rows})
    by = {(r["cell"], r["length"]): r for r in rows}
    head = "| T | baseline | " + " | ".join(c.upper() for c in cells) + " |"
    lines = [
        f"{metric.replace('_', ' ')} on a fresh test set (lower is better); "
        "in brackets: training seconds, steps",
        "",
        head,
        "|---:|---:|" + "---:|" * len(cells),
    ]
    for T in lengths:
        base = next(r[baseline] for r in rows if r["length"] == T)
        vals = [cell_text(by[(c, T)], metric) if (c, T) in by else "–" for c in cells]
        lines.append(f"| {T} | {base:.4f} | " + " | ".join(vals) + " |")
    return "\n".join(lines) + "\n"


def cell_text(row: dict, metric: str) -> str:
    return f"{row[metric]:.4f} ({row['seconds']:.0f} s, {row['steps']})"
