"""N-gram baselines on a corpus split: cross-entropy (nats/token) per order and smoothing.

    python -m benchmarks.ngram [--corpus shakespeare] [--level char] [--split 0.9,0.1,0]
                               [--orders 0-5] [--k 1 --k 0.05] [--json]

Fits interpolated modified Kneser-Ney and add-k (one column per k) for each order on
the train split and scores the validation split; prints a Markdown table (with the
seconds to fit and score KN), and with --json the results as one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from rnnkit.baselines import NGramLM
from rnnkit.data import TextData, TextDataConfig, load_text_data
from rnnkit.layers.fused import cpu


def parse_orders(text: str) -> list[int]:
    """`0-5` or `0,2,4` -> list of orders."""
    if "-" in text:
        lo, hi = (int(x) for x in text.split("-", 1))
        return list(range(lo, hi + 1))
    return [int(x) for x in text.split(",")]


def score(model: NGramLM, data: TextData) -> tuple[float, float]:
    """(validation nats/token, seconds to fit and evaluate)."""
    start = time.perf_counter()
    model.fit(data.train, vocab_size=data.vocab_size)
    nats = model.cross_entropy(data.val)
    return nats, time.perf_counter() - start


def table_row(order: int, data: TextData, ks: list[float], results: dict) -> str:
    """Score KN and each add-k at one order; record them in `results`; a table row."""
    kn, seconds = score(NGramLM(order), data)
    results[f"kn-{order}"] = {"val_loss": kn}
    cells = [kn]
    for k in ks:
        nats, _ = score(NGramLM(order, smoothing="add_k", k=k), data)
        results[f"add_k-{order}@k={k:g}"] = {"val_loss": nats}
        cells.append(nats)
    return f"| {order} | " + " | ".join(f"{x:.3f}" for x in cells) + f" | {seconds:.1f} |"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="shakespeare", help="corpus name or text path")
    parser.add_argument("--level", default="char", choices=["char", "word"], help="tokens")
    parser.add_argument("--max-vocab", type=int, default=None, help="vocabulary cap")
    parser.add_argument("--split", default="0.9,0.1,0", help="train,val,test fractions")
    parser.add_argument("--orders", default="0-5", help="orders, e.g. 0-5 or 0,2,4")
    parser.add_argument("--k", type=float, action="append", help="add-k pseudo-count(s)")
    parser.add_argument("--json", action="store_true", help="print results as JSON last")
    return parser


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    ks = args.k or [1.0, 0.05]
    split = tuple(float(x) for x in args.split.split(","))
    config = TextDataConfig(args.corpus, args.level, args.max_vocab, split=split)  # type: ignore[arg-type]
    data = load_text_data(config)
    print(
        f"{args.corpus} ({args.level}): V={data.vocab_size}, train {len(data.train):,} / "
        f"val {len(data.val):,} tokens; validation nats/token, numpy {np.__version__}"
    )
    print(cpu.describe())
    names = ["kn"] + [f"add_k (k={k:g})" for k in ks]
    print("| order | " + " | ".join(names) + " | seconds (kn) |")
    print("|---:|" + "---:|" * (len(names) + 1))
    results: dict[str, dict[str, float]] = {}
    for order in parse_orders(args.orders):
        print(table_row(order, data, ks, results), flush=True)
    if args.json:
        print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
