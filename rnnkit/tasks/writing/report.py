"""What a writing run (seq2seq, caption) shows: the results table and its attention maps.

``table`` renders a result (train, eval, or the mean of ``--seeds`` runs): the model and
its baseline on the validation, test and held-out splits. ``write_figures`` writes
``attention.png`` (a few test examples) and ``attention.html`` (more of them) when the
model has attention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from rnnkit.analysis.attention_plots import AttentionMap, plot_attention, write_attention_page
from rnnkit.tasks.registry import trained_for
from rnnkit.tasks.writing.codec import split

PAGE_EXAMPLES = 12
SPLITS = ("val", "test", "heldout")


def table(r: dict[str, Any]) -> str:
    """| model | split | exact match | CER | BLEU | chrF | for the model and its baseline."""
    seeds = f" (mean ± std of {r['seeds']} seeds)" if "seeds" in r else ""
    lines = [
        f"{r.get('data', '?')}: test split scored once{seeds}",
        "",
        "| model | split | exact match | CER | BLEU | chrF |",
        "|---|---|---:|---:|---:|---:|",
    ]
    rows = [(f"rnnkit (attention {r.get('attention')})", r)]
    for name, b in r.get("baselines", {}).items():
        rows.append((name, b))
    for name, m in rows:
        for s in SPLITS:
            if m.get(f"{s}_exact_match") is None:
                continue
            cells = [_cell(m, f"{s}_{k}") for k in ("exact_match", "cer", "bleu", "chrf")]
            lines.append(f"| {name} | {s} | " + " | ".join(cells) + " |")
    if "steps" in r:
        lines.append("\n" + trained_for(r).strip())
    return "\n".join(lines)


def _cell(m: dict[str, Any], key: str) -> str:
    value = m.get(key)
    if value is None:
        return "–"
    std = m.get(f"{key}_std")
    digits = 4 if key.endswith(("exact_match", "cer")) else 1
    return f"{value:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")


# -- attention -----------------------------------------------------------------------------


@torch.no_grad()
def attention_maps(
    task: Any, model: Any, inputs: list[Any], outputs: list[str], labels: list[list[str]]
) -> list[AttentionMap]:
    """The attention of ``model`` writing ``outputs`` for ``inputs`` (teacher-forced on the
    outputs: the same weights as when they were written, one step at a time)."""
    if getattr(model.decoder, "attention", None) is None:
        return []
    batch = task.collate(inputs, outputs)
    start = model.start(batch)
    _, weights = model.decoder(batch.target_in, start, batch.target_lengths)  # (B, T, S)
    maps = []
    for i, (out, source) in enumerate(zip(outputs, labels)):
        tokens = [*split(out, task.codec.target_level), "</s>"]
        maps.append(
            AttentionMap(source, tokens, weights[i, : len(tokens), : len(source)].double().numpy())
        )
    return maps


def write_figures(task: Any, run: Any, root: Path) -> list[Path]:
    """attention.png and attention.html of the first test examples (models with attention)."""
    model, outputs = run.model, run.outputs("test")
    if not outputs or getattr(model.decoder, "attention", None) is None:
        return []
    inputs, references = task.examples("test")
    n = min(PAGE_EXAMPLES, len(inputs))
    labels = [task.input_labels(i) for i in range(n)]
    maps = attention_maps(task, model, inputs[:n], outputs[:n], labels)
    for m, ref in zip(maps, references):
        m.reference = ref
    title = f"{task.about().get('data', '')}: attention over the source"
    return [
        plot_attention(maps[:3], root / "attention.png", title=title),
        write_attention_page(maps, root / "attention.html", title=title),
    ]
