"""Time and peak memory of loading pretrained vectors for a 20,000-word vocabulary.

    python -m benchmarks.vectors_load [--words 20000] [--source glove-6b-50d] [--repeats 3]

The vocabulary: the most frequent words of the fortunes (rnnkit's word tokenizer, its
leading spaces and case kept, so stripping and case folding are exercised). Each repeat
runs in a fresh process and reports the wall time of ``load_vectors`` and the peak
resident memory it adds (``ru_maxrss`` after minus before), once with pyarrow and numpy
already imported and once counting their import too; the table gives medians.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
words = json.load(open(sys.argv[1]))
source, imported = sys.argv[2], sys.argv[3] == "1"
import numpy
if imported:
    import pyarrow, pyarrow.compute, pyarrow.parquet
from rnnkit.data.vectors import load_vectors
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
v = load_vectors(source, words)
seconds = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "added_mb": (after - before) / 1024,
                  "matrix_mb": v.matrix.nbytes / 2**20, **v.coverage()}))
"""


def vocabulary(n: int) -> list[str]:
    from rnnkit.data.corpora import load_corpus
    from rnnkit.data.tokenize import WordTokenizer

    text = load_corpus("fortunes").read_text()
    return list(WordTokenizer.fit(text, max_size=n).vocab.tokens)


def cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--words", type=int, default=20000, help="vocabulary size (<unk> included)")
    p.add_argument("--source", default="glove-6b-50d", help="registered name or vector file")
    p.add_argument("--repeats", type=int, default=3, help="fresh processes per setting")
    a = p.parse_args()
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(vocabulary(a.words), f)
    print(f"{cpu()}; {a.words} words from {a.source}; median of {a.repeats} fresh processes")
    for imported in (True, False):
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", CHILD, f.name, a.source, str(int(imported))],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.splitlines()[-1]
            )
            for _ in range(a.repeats)
        ]
        s = statistics.median(r["seconds"] for r in runs)
        mb = statistics.median(r["added_mb"] for r in runs)
        what = "pyarrow imported before" if imported else "pyarrow's import counted"
        r = runs[0]
        print(
            f"  {what:26s} {s:6.2f} s  +{mb:6.1f} MB peak  (the (V, E) matrix: "
            f"{r['matrix_mb']:.1f} MB; {r['words_found']}/{r['words']} words found, "
            f"{r['words_case_folded']} by case folding)"
        )


if __name__ == "__main__":
    main()
