"""Scores of written sequences against references, and the rule-based baselines beside them.

* exact match: the share of outputs identical to their reference;
* character error rate: character edit distance / reference characters, over the corpus;
* BLEU and chrF: sacrebleu's corpus scores (BLEU over characters for character-level
  targets such as ISO dates, over 13a tokens for words), on sacrebleu's 0-100 scale.

Baselines: ``dateutil`` (dateutil's rule-based parser, day-first or month-first chosen
on validation) for dates, ``copy`` (the source itself) for everything else.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from rnnkit.data.optional import optional_import

METRICS = ("exact_match", "cer", "bleu", "chrf")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions of characters)."""
    if a == b:
        return 0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def scores(outputs: Sequence[str], references: Sequence[str], *, level: str) -> dict[str, float]:
    """{exact_match, cer, bleu, chrf} of ``outputs`` against ``references``."""
    if len(outputs) != len(references):
        raise ValueError(f"{len(outputs)} outputs for {len(references)} references")
    if not references:
        return {}
    sacrebleu = optional_import("sacrebleu", "seq2seq", "BLEU and chrF")
    exact = sum(o == r for o, r in zip(outputs, references)) / len(references)
    chars = sum(len(r) for r in references)
    cer = sum(edit_distance(o, r) for o, r in zip(outputs, references)) / max(1, chars)
    tokenize = "char" if level == "char" else "13a"
    with warnings.catch_warnings():  # sacrebleu warns about tokenisation of odd inputs
        warnings.simplefilter("ignore")
        bleu = sacrebleu.corpus_bleu(list(outputs), [list(references)], tokenize=tokenize).score
        chrf = sacrebleu.corpus_chrf(list(outputs), [list(references)]).score
    return {"exact_match": exact, "cer": cer, "bleu": float(bleu), "chrf": float(chrf)}


def parse_date(text: str, *, dayfirst: bool) -> str:
    """dateutil's reading of ``text`` as an ISO date, or "" where it cannot read it."""
    from dateutil import parser

    try:
        return parser.parse(text, dayfirst=dayfirst, fuzzy=True).date().isoformat()
    except (ValueError, OverflowError, TypeError):
        return ""


def dateutil_baseline(splits: dict[str, tuple[list[str], list[str]]]) -> dict[str, Any]:
    """dateutil on every split but train, its one setting (day first?) chosen on val."""
    val_sources, val_targets = splits["val"]

    def reader(dayfirst: bool) -> Callable[[str], str]:
        return lambda s: parse_date(s, dayfirst=dayfirst)

    def exact(dayfirst: bool) -> float:
        out = [reader(dayfirst)(s) for s in val_sources]
        return sum(o == t for o, t in zip(out, val_targets)) / max(1, len(val_targets))

    dayfirst = exact(True) >= exact(False)
    result = _score_all(splits, reader(dayfirst), "char")
    result["setting"] = {"dayfirst": dayfirst}
    return result


def copy_baseline(splits: dict[str, tuple[list[str], list[str]]], level: str) -> dict[str, Any]:
    """The source itself as the output."""
    return _score_all(splits, lambda s: s, level)


def _score_all(
    splits: dict[str, tuple[list[str], list[str]]], write: Callable[[str], str], level: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split, (sources, targets) in splits.items():
        if split == "train" or not sources:
            continue
        for key, value in scores([write(s) for s in sources], targets, level=level).items():
            out[f"{split}_{key}"] = value
    return out
