"""Translation speed: ``rnnkit seq2seq translate`` of the dates test sources with a beam.

    rnnkit seq2seq train --data dates --steps 800 --train-size 5000 --eval-size 200 \\
        --no-baselines --out runs/dates
    python -m benchmarks.translate runs/dates [--sentences 2000] [--beam 5] [--repeats 3]

Prints sentences per second of wall time and per CPU second (of this thread), the median
of ``--repeats`` runs after a warm-up, and a SHA-256 of the written outputs, so that two
versions of rnnkit can be compared for speed and for identical outputs: run this file
as a script with ``PYTHONPATH`` pointing at the other checkout (from outside this one),
e.g. ``cd /tmp && PYTHONPATH=/path/to/old python /path/to/new/benchmarks/translate.py
runs/dates``.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

import torch

import rnnkit
from rnnkit.data.parallel import dates

try:
    from rnnkit.tasks.seq2seq.commands import translate
except ImportError:  # an rnnkit from before the task packages
    from rnnkit.tasks.seq2seq_commands import translate  # type: ignore[no-redef]

try:
    from rnnkit.layers.fused.cpu import describe
except ImportError:  # an rnnkit from before the CPU was described
    import platform

    def describe() -> str:
        return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run", help="a run directory of `rnnkit seq2seq train --data dates`")
    p.add_argument("--sentences", type=int, default=2000, help="test sources translated")
    p.add_argument("--beam", type=int, default=5, help="beam width")
    p.add_argument("--repeats", type=int, default=3, help="timed runs (median)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    sources = [s for s, _ in dates(train_size=1, eval_size=args.sentences).pairs["test"]]
    translate(args.run, sources[:50], beam=args.beam)  # warm-up: load, compile, caches
    wall, cpu_time, digest = [], [], ""
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        found = translate(args.run, sources, beam=args.beam)
        wall.append(len(sources) / (time.perf_counter() - start))
        cpu_time.append(len(sources) / (time.thread_time() - start_cpu))
        digest = hashlib.sha256("\n".join(t["output"] for t in found).encode()).hexdigest()
    print(f"{describe()}; torch {torch.__version__}, 1 thread; rnnkit from {rnnkit.__file__}")
    print(
        f"{len(sources)} dates, beam {args.beam}: {statistics.median(wall):,.0f} sentences/s "
        f"(per CPU second: {statistics.median(cpu_time):,.0f}), median of {args.repeats}; "
        f"outputs sha256 {digest[:16]}"
    )


if __name__ == "__main__":
    main()
