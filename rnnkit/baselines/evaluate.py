"""Evaluate a set of n-gram baselines on the same splits and metrics as the neural models."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from rnnkit.baselines.ngram import NGramConfig, NGramLM


def loss_metrics(nats: float, prefix: str = "val") -> dict[str, float]:
    """`{prefix}_loss` (nats/token), `{prefix}_bits_per_token` and `{prefix}_perplexity`.

    A loss too large for its perplexity to be a float (the weights have diverged) is a
    one-line error, not an overflow.
    """
    if not math.isfinite(nats) or nats > 700:
        raise ValueError(
            f"the {prefix} loss is {nats:.4g} nats/token: the model has diverged (its "
            "perplexity overflows); train again with a lower --lr or with --clip"
        )
    return {
        f"{prefix}_loss": nats,
        f"{prefix}_bits_per_token": nats / math.log(2),
        f"{prefix}_perplexity": math.exp(nats),
    }


def default_baselines(orders: Iterable[int] = range(6), k: float = 1.0) -> list[NGramConfig]:
    """Kneser-Ney and add-k models for each order."""
    return [NGramConfig(order=o, smoothing=s, k=k) for o in orders for s in ("kn", "add_k")]


def evaluate_baselines(
    train: np.ndarray,
    val: np.ndarray,
    *,
    vocab_size: int,
    configs: Sequence[NGramConfig] | None = None,
) -> dict[str, dict[str, float]]:
    """Fit each configuration on `train` and score it on `val`.

    Returns `{name: {"val_loss": nats, "val_bits_per_token": ..., "val_perplexity": ...}}`
    with names such as `kn-4` or `add_k-2` (`add_k-2@k=0.05` when k is not 1).
    """
    results: dict[str, dict[str, float]] = {}
    for config in configs if configs is not None else default_baselines():
        model = NGramLM(config.order, smoothing=config.smoothing, k=config.k)
        model.fit(train, vocab_size=vocab_size)
        name = config.name
        if config.smoothing == "add_k" and config.k != 1.0:
            name += f"@k={config.k:g}"
        results[name] = loss_metrics(model.cross_entropy(val))
    return results
