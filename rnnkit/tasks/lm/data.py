"""Token streams for language modelling: TBPTT batches, held-out loss, n-gram baselines.

The training split is read as ``lanes`` contiguous lanes in chunks of ``bptt`` tokens
(rnnkit.training.tbptt). A model with a backward LM also reads the *reversed* training
split, in lanes and chunks of its own, side by side with the forward ones: batch i
holds forward chunk i and backward chunk i, and the loss is the mean of both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from rnnkit.baselines import NGramConfig, evaluate_baselines
from rnnkit.baselines.evaluate import loss_metrics
from rnnkit.models.lm import LanguageModel, LMBatch
from rnnkit.training import StreamBatches

# n-gram baselines reported next to every model: Kneser-Ney and add-k (k = 0.05, the
# best k on the validation split of both bundled corpora) at orders 3 to 5
BASELINES = [
    NGramConfig(order=o, smoothing=s, k=1.0 if s == "kn" else 0.05)
    for s in ("kn", "add_k")
    for o in (3, 4, 5)
]
EVAL_LANES, EVAL_BPTT = 16, 256  # held-out evaluation: 16 long lanes, chunks of 256


class LMStreams:
    """Epoch -> LMBatch chunks of a token stream (and of its reverse, with a backward LM).

    Global batches: every lane; the lifecycle shards the lanes over ranks. The token
    array (a memmap) is read lazily, one chunk at a time.
    """

    def __init__(
        self,
        tokens: np.ndarray,
        *,
        lanes: int,
        bptt: int,
        random: bool = False,
        seed: int = 0,
        backward: bool = False,
    ):
        options = dict(lanes=lanes, bptt=bptt, random=random, seed=seed)
        self.forward = StreamBatches(tokens, **options)
        self.backward = StreamBatches(tokens, **options, reverse=True) if backward else None

    def __call__(self, epoch: int) -> Iterator[LMBatch]:
        chunks = self.forward(epoch)
        if self.backward is None:
            for c in chunks:
                yield LMBatch(c.x.long(), c.y.long(), c.reset)
            return
        for c, b in zip(chunks, self.backward(epoch), strict=True):
            yield LMBatch(c.x.long(), c.y.long(), c.reset, b.x.long(), b.y.long())

    def __len__(self) -> int:
        return len(self.forward)


@torch.no_grad()
def stream_loss(
    model: LanguageModel,
    tokens: np.ndarray,
    *,
    backward: bool = False,
    lanes: int = EVAL_LANES,
    bptt: int = EVAL_BPTT,
) -> float:
    """Mean cross-entropy (nats/token) of one direction over a held-out token stream
    (``model`` in eval mode: the lifecycle evaluates under rnnkit.training.evaluation's
    ``evaluating``).

    The stream is read in ``lanes`` contiguous lanes (fewer if it is short), carrying
    the state from chunk to chunk, so every token but the first of each lane is
    predicted from all the text before it in its lane.
    """
    if len(tokens) < 2:
        raise ValueError("the held-out split has fewer than 2 tokens: use a longer corpus")
    lanes = max(1, min(lanes, (len(tokens) - 1) // max(bptt, 1)))
    device = next(model.parameters()).device
    total = count = 0.0
    state: Any = None
    for c in StreamBatches(tokens, lanes=lanes, bptt=bptt, reverse=backward)(0):
        logits, state = model.read(c.x.long().to(device), state, backward=backward)  # (B, T, V)
        y = c.y.long().to(device)
        total += float(
            torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum")
        )
        count += y.numel()
    return total / count


def evaluate_lm(model: LanguageModel, tokens: np.ndarray, prefix: str = "val") -> dict[str, float]:
    """``{prefix}_loss`` (nats/token), bits per token and perplexity of the forward model;
    ``{prefix}_backward_loss`` too with a backward LM."""
    metrics = loss_metrics(stream_loss(model, tokens), prefix)
    if model.config.backward_lm:
        metrics[f"{prefix}_backward_loss"] = stream_loss(model, tokens, backward=True)
    return metrics


def ngram_baselines(train: np.ndarray, val: np.ndarray, vocab_size: int) -> dict[str, dict]:
    """The n-gram baselines of BASELINES fitted on `train`, scored on `val` (same keys)."""
    return evaluate_baselines(train, val, vocab_size=vocab_size, configs=BASELINES)


def best_baseline(baselines: dict[str, dict]) -> str:
    """The name of the baseline with the lowest validation loss."""
    return min(baselines, key=lambda name: baselines[name]["val_loss"])
