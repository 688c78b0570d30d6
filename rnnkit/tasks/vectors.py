"""``--embeddings SOURCE`` for the tasks with word tokens: the vectors of a vocabulary, the
model config that holds them, and the coverage a run prints and records.

A task calls :func:`task_vectors` once (its vocabulary and training token counts), sets
the model's embedding width to the vectors' (:func:`with_vectors`), and loads them into a
new model's embedding; a run read back gets them from its ``model.safetensors`` instead,
so the source is needed only to train.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnkit.data.vectors import WordVectors, load_vectors

COVERAGE = "vectors"  # the run artefact and result.json key holding the coverage


def task_vectors(
    source: str, tokens: Sequence[str], counts: np.ndarray, *, level: str, field: str, seed: int = 0
) -> tuple[WordVectors, dict[str, Any]]:
    """(vectors of ``tokens``, coverage) — or a one-line error for character-level text.

    ``field``: the config field that named the source (``ClassifyConfig.embeddings``).
    """
    if level != "word":
        raise ValueError(
            f"{field}: word vectors need word-level text; this text is read character by "
            "character (--level word, where the data allows it)"
        )
    try:
        vectors = load_vectors(source, tokens, seed=seed)
    except ValueError as e:
        raise ValueError(f"{field}: {e}") from None
    return vectors, vectors.coverage(counts)


def pair_vectors(
    source: str, codec: Any, train: tuple[list[np.ndarray], list[np.ndarray]]
) -> dict[str, tuple[WordVectors, dict[str, Any]]]:
    """{"source" / "target": (vectors, coverage)} for the word-level sides of a
    sequence-to-sequence codec; ``train``: the encoded training sources and targets."""
    out = {}
    sides = (
        ("source", codec.source_tokens, codec.source_level, train[0]),
        ("target", codec.target_tokens, codec.target_level, train[1]),
    )
    for side, tokens, level, arrays in sides:
        if level == "word":
            counts = np.bincount(np.concatenate(arrays), minlength=len(tokens))
            field = "TranslateConfig.embeddings"
            out[side] = task_vectors(source, tokens, counts, level=level, field=field)
    return out


def with_vectors(requested: Any, vectors: WordVectors | None) -> Any:
    """The model config with a pretrained embedding of the vectors' width (unchanged
    without vectors)."""
    if vectors is None:
        return requested
    return requested.replace(pretrained_vectors=True, embed_size=vectors.dim)


def coverage_line(coverage: dict[str, Any]) -> str:
    """E.g. "vectors glove-6b-50d (50d): 8,253 of 8,280 words (99.7%), 95.8% of tokens"."""
    c = coverage
    tokens = f", {c['token_coverage']:.1%} of training tokens" if "token_coverage" in c else ""
    folded = f" ({c['words_case_folded']:,} case-folded)" if c.get("words_case_folded") else ""
    return (
        f"vectors {c['source']} ({c['dim']}d): {c['words_found']:,} of {c['words']:,} words "
        f"found{folded} ({c['vocab_coverage']:.1%}){tokens}"
    )
