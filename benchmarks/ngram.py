"""N-gram baselines on a corpus split: cross-entropy (nats/token) per order and smoothing.

    python -m benchmarks.ngram [--corpus shakespeare] [--level char] [--split 0.9,0.1,0]
                               [--orders 0-5] [--k 1 --k 0.05] [--json]

Fits interpolated modified Kneser-Ney and add-k (one column per k) for each order on
the train split and scores the validation split; prints a Markdown table (with fit and
evaluation seconds), and with --json the results as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import time

from rnnkit.baselines import NGramLM
from rnnkit.data import TextDataConfig, load_text_data


def parse_orders(text: str) -> list[int]:
    """`0-5` or `0,2,4` -> list of orders."""
    if "-" in text:
        lo, hi = (int(x) for x in text.split("-", 1))
        return list(range(lo, hi + 1))
    return [int(x) for x in text.split(",")]


def score(model: NGramLM, train, val, vocab_size: int) -> tuple[float, float]:
    """(validation nats/token, seconds to fit and evaluate)."""
    start = time.perf_counter()
    model.fit(train, vocab_size=vocab_size)
    nats = model.cross_entropy(val)
    return nats, time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="shakespeare", help="corpus name or text path")
    parser.add_argument("--level", default="char", choices=["char", "word"], help="tokens")
    parser.add_argument("--max-vocab", type=int, default=None, help="vocabulary cap")
    parser.add_argument("--split", default="0.9,0.1,0", help="train,val,test fractions")
    parser.add_argument("--orders", default="0-5", help="orders, e.g. 0-5 or 0,2,4")
    parser.add_argument("--k", type=float, action="append", help="add-k pseudo-counts")
    parser.add_argument("--json", action="store_true", help="print results as JSON last")
    args = parser.parse_args(argv)
    ks = args.k or [1.0, 0.05]
    split = tuple(float(x) for x in args.split.split(","))
    data = load_text_data(
        TextDataConfig(args.corpus, args.level, args.max_vocab, split=split)  # type: ignore[arg-type]
    )
    print(
        f"{args.corpus} ({args.level}): V={data.vocab_size}, "
        f"train {len(data.train):,} / val {len(data.val):,} tokens; val nats/token"
    )
    names = ["kn"] + [f"add_k (k={k:g})" for k in ks]
    print("| order | " + " | ".join(names) + " | seconds (kn) |")
    print("|---:|" + "---:|" * (len(names) + 1))
    results: dict[str, dict[str, float]] = {}
    for order in parse_orders(args.orders):
        kn, seconds = score(NGramLM(order), data.train, data.val, data.vocab_size)
        results[f"kn-{order}"] = {"val_loss": kn}
        row = [kn]
        for k in ks:
            nats, _ = score(
                NGramLM(order, smoothing="add_k", k=k), data.train, data.val, data.vocab_size
            )
            results[f"add_k-{order}@k={k:g}"] = {"val_loss": nats}
            row.append(nats)
        print(f"| {order} | " + " | ".join(f"{x:.3f}" for x in row) + f" | {seconds:.1f} |")
    if args.json:
        print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
