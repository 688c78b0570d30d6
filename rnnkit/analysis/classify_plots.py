"""Classification pictures: the confusion matrix (PNG) and a page of coloured words (HTML).

The word page shows sentences with each token's background coloured by a weight: the
attention weight the model gave it (attention pooling), or the drop in the predicted
class's probability when the token is removed (any pooling; red: the token supported
the prediction, blue: it spoke against it). The page is self-contained.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnkit.analysis.plots import plt, save
from rnnkit.data.atomic import write_text_atomic


def plot_confusion(
    confusion: Sequence[Sequence[int]], classes: Sequence[str], path: str | Path, *, title: str
) -> Path:
    """Rows: true class, columns: predicted; cells coloured by the share of their row."""
    m = np.asarray(confusion, dtype=float)
    share = m / np.maximum(m.sum(1, keepdims=True), 1)
    n = len(classes)
    size = min(12, 2.5 + 0.45 * n)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), classes, rotation=60 if n > 6 else 0, ha="right" if n > 6 else "center")
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 25:
        for i in range(n):
            for j in range(n):
                if m[i, j]:
                    colour = "white" if share[i, j] > 0.6 else "black"
                    ax.text(
                        j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=7, color=colour
                    )
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    ax.set_title(title)
    return save(fig, path)


@dataclass
class Sentence:
    """One example on the word page."""

    tokens: list[str]
    weights: list[float]  # one per token
    true: str
    predicted: str
    probability: float  # of the predicted class


def write_word_page(
    sentences: Sequence[Sentence], path: str | Path, *, title: str, signed: bool, note: str
) -> Path:
    """The HTML page: one line per sentence, tokens coloured by their weights."""
    scale = max((abs(w) for s in sentences for w in s.weights), default=1.0) or 1.0
    rows = []
    for s in sentences:
        spans = "".join(
            f'<span style="background:{_colour(w / scale, signed)}" title="{w:+.3f}">'
            f"{html.escape(t)}</span> "
            for t, w in zip(s.tokens, s.weights, strict=True)
        )
        mark = "ok" if s.true == s.predicted else "wrong"
        rows.append(
            f'<tr class="{mark}"><td>{html.escape(s.true)}</td><td>{html.escape(s.predicted)} '
            f"({s.probability:.2f})</td><td>{spans}</td></tr>"
        )
    page = PAGE.format(title=html.escape(title), note=html.escape(note), rows="\n".join(rows))
    write_text_atomic(path, page)
    return Path(path)


def _colour(w: float, signed: bool) -> str:
    """A background for a weight in [-1, 1]: red for positive, blue for negative."""
    a = min(1.0, abs(w))
    if signed and w < 0:
        return f"rgba(33,102,172,{a:.2f})"
    return f"rgba(214,96,77,{a:.2f})" if signed else f"rgba(230,145,56,{a:.2f})"


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; }}
td {{ padding: .35em .6em; border-bottom: 1px solid #ddd; vertical-align: top; }}
td:first-child, td:nth-child(2) {{ white-space: nowrap; color: #444; }}
tr.wrong td:nth-child(2) {{ color: #b2182b; font-weight: bold; }}
span {{ padding: 0 .1em; border-radius: .2em; line-height: 1.9; }}
</style></head><body>
<h1>{title}</h1>
<p>{note} Hover over a word for its value.</p>
<table><tr><th>true</th><th>predicted (probability)</th><th>text</th></tr>
{rows}
</table></body></html>
"""
