"""Attention maps of written sequences: a PNG per example, and a self-contained HTML page.

Rows are the output tokens, columns the source tokens (or image columns); a cell's
shade is the attention weight the decoder gave that source position when it wrote
that output token (each row sums to 1).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnkit.analysis.plots import plt, save
from rnnkit.data.atomic import write_text_atomic


@dataclass
class AttentionMap:
    """One example: its source and output tokens and the weights (outputs x sources)."""

    source: list[str]
    output: list[str]
    weights: np.ndarray  # (len(output), len(source))
    reference: str | None = None  # the correct output, where known


def _shown(tokens: Sequence[str]) -> list[str]:
    return ["␣" if t == " " else t for t in tokens]


def plot_attention(maps: Sequence[AttentionMap], path: str | Path, *, title: str) -> Path:
    """One heat map per example, side by side (at most 4)."""
    maps = list(maps)[:4]
    widths = [max(3.0, 0.28 * len(m.source) + 1.5) for m in maps]
    height = max(3.0, 0.28 * max(len(m.output) for m in maps) + 1.8)
    fig, axes = plt.subplots(1, len(maps), figsize=(sum(widths), height), squeeze=False)
    for ax, m in zip(axes[0], maps):
        ax.imshow(m.weights, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(m.source)), _shown(m.source), fontsize=8)
        ax.set_yticks(range(len(m.output)), _shown(m.output), fontsize=8)
        ax.set_xlabel("source")
        ax.set_ylabel("output")
        ax.tick_params(axis="x", labelrotation=0)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def _text(tokens: Sequence[str]) -> str:
    """Tokens back to text: characters joined, words with spaces."""
    return "".join(tokens) if all(len(t) == 1 for t in tokens) else " ".join(tokens)


def _table(m: AttentionMap) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for t in _shown(m.source))
    rows = []
    for token, row in zip(_shown(m.output), m.weights):
        cells = "".join(
            f'<td style="background:rgba(30,60,160,{w:.3f})" title="{w:.3f}"></td>' for w in row
        )
        rows.append(f"<tr><th>{html.escape(token)}</th>{cells}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def write_attention_page(maps: Sequence[AttentionMap], path: str | Path, *, title: str) -> Path:
    """A page with each example's source, output and attention table."""
    parts = []
    for m in maps:
        source, output = (
            _text(m.source),
            _text(m.output[:-1] if m.output[-1:] == ["</s>"] else m.output),
        )
        verdict = ""
        if m.reference is not None:
            ok = output == m.reference
            verdict = " ✓" if ok else f" ✗ (reference: {html.escape(m.reference)})"
        parts.append(f"<h3>{html.escape(source)} → {html.escape(output)}{verdict}</h3>{_table(m)}")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em} table{border-collapse:collapse;margin-bottom:1em}"
        "td{width:16px;height:16px;border:1px solid #eee} th{font-weight:normal;font-size:12px;"
        "padding:0 3px;font-family:monospace}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Rows: output tokens; columns: source tokens; "
        "darker: more attention when that output token was written.</p>"
        f"{''.join(parts)}</body></html>"
    )
    path = Path(path)
    write_text_atomic(path, page)
    return path
