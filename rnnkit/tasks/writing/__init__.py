"""What every sequence-writing task shares (seq2seq translation, image captioning).

A writing task has an input per example (a source text, an image) and a reference
text. Its model follows the model contract for training (teacher forcing) and offers
``start(batch) -> DecoderState`` plus ``decoder.step``; this base class writes outputs
with greedy or beam search (rnnkit.generation.batched), scores them (exact match, CER,
BLEU, chrF) and reports the standard keys: ``test_exact_match``, ``test_cer``,
``test_bleu``, ``test_chrf``, ``heldout_exact_match`` (None where there is no held-out
split) and ``baseline`` (the same keys for the task's baseline).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnnkit.baselines.translation import METRICS, scores
from rnnkit.generation.batched import Hypothesis, beam_search_batch, decode_batch
from rnnkit.generation.sampling import SamplingConfig
from rnnkit.models.decoder import Decoder
from rnnkit.tasks.contract import Evaluation, Finished, Task
from rnnkit.tasks.registry import TRAINING
from rnnkit.tasks.writing.codec import Codec
from rnnkit.tasks.writing.report import table, write_figures
from rnnkit.training.batches import ShuffledBatches

EVAL_BATCH = 256


def teacher_forcing(schedule: str, step: int, steps: int, floor: float) -> float:
    """The probability of reading the true previous token at training step ``step``.

    With x = min(1, step / steps): linear 1 - x; exponential 0.001 ** x; inverse-sigmoid
    k / (k + exp(step / k)) with k = steps / 10 (Bengio et al. 2015); each rescaled from
    [0, 1] to [floor, 1]. ``none``: always 1 (teacher forcing).
    """
    if schedule == "none":
        return 1.0
    x = min(1.0, step / max(1, steps))
    if schedule == "linear":
        p = 1.0 - x
    elif schedule == "exponential":
        p = 1e-3**x
    else:
        k = max(1.0, steps / 10)
        p = k / (k + math.exp(min(50.0, step / k)))
    return floor + (1.0 - floor) * p


class ScheduledBatches:
    """Shuffled batches, each told its training step's teacher-forcing probability."""

    def __init__(self, source: ShuffledBatches, rate: Callable[[int], float]) -> None:
        self.source, self.rate = source, rate

    def __len__(self) -> int:
        return len(self.source)

    def __call__(self, epoch: int) -> Iterator[Any]:
        for i, batch in enumerate(self.source(epoch)):
            batch.teacher_forcing = self.rate(epoch * len(self.source) + i)
            yield batch


FACE: dict[str, Any] = dict(  # what both writing tasks share on the command line
    threads=1,  # small recurrent models: one thread is the fastest on a shared CPU
    describe=table,
)
TRAIN_DEFAULTS = {  # what both writing tasks train with (each sets its own steps)
    **TRAINING,
    "minutes": 10.0,
    "batch_size": 64,
    "lr": 3e-3,
    "optimizer": "adamw",
    "weight_decay": 1e-4,
    "eval_every": 250,
}


class WritingTask(Task):
    """Base of tasks whose model writes a text (see the module docstring).

    A subclass provides its inputs (``examples``, ``collate``, ``input_labels``), its
    vocabularies (``fit_codec``), what its result says of the data (``about``, ``tags``)
    and its baseline (``baseline_scores``); evaluation, the report, the pictures and the
    codec artefact are shared.
    """

    def __init__(self, config: Any, **env: Any) -> None:
        super().__init__(config, **env)
        # fitted on first use, or a trained run's
        self._codec = Codec.from_dict(self.saved("codec")) if self.saved else None

    # -- what a writing task provides ---------------------------------------------------

    def examples(self, split: str) -> tuple[list[Any], list[str]]:
        """(encoded inputs, reference texts) of a split ([], [] where it has none)."""
        raise NotImplementedError

    def collate(self, inputs: Sequence[Any], targets: Sequence[str] | None = None) -> Any:
        """A model batch of encoded inputs (and their reference texts)."""
        raise NotImplementedError

    def input_labels(self, index: int) -> list[str]:
        """The input positions of test example ``index``, as an attention map's axis."""
        raise NotImplementedError

    def fit_codec(self) -> Codec:
        """The vocabularies, from the training data."""
        raise NotImplementedError

    def about(self) -> dict[str, Any]:
        """What a result says of the data: {"data": name, "sizes": {...}}."""
        raise NotImplementedError

    def tags(self, split: str) -> list[str] | None:
        """A tag per example of a split (date format, number of digits), or None."""
        return None

    def baseline_scores(self) -> dict[str, Any]:
        """The baseline's scores on val/test/heldout, with its "name" ({} for none)."""
        return {}

    def decoding(self) -> dict[str, Any]:
        """How the final scores are written: {"beam": W, "alpha": length penalty}."""
        return {"beam": 1, "alpha": 1.0}

    # -- shared ---------------------------------------------------------------------------

    @property
    def codec(self) -> Codec:
        if self._codec is None:
            self._codec = self.fit_codec()
        return self._codec

    def decode_text(self, ids: list[int]) -> str:
        return self.codec.decode(ids)

    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        """Loss and scores of ``split``: validation written greedily, the others as
        ``decoding`` says; the outputs: the written texts."""
        settings = self.decoding() if split != "val" else {}
        return Evaluation(*self.score_split(model, split, **settings))

    @cached_property
    def _baseline(self) -> dict[str, Any]:
        return self.baseline_scores()

    def baselines(self) -> dict[str, Any]:
        return self._baseline if self.config.baselines else {}

    def report(self, run: Finished) -> dict[str, Any]:
        metrics, baselines = run.metrics, run.baselines
        out: dict[str, Any] = {
            **self.about(),
            "attention": run.config.attention,
            **metrics,
            **standard_keys(metrics, baselines),
        }
        for split in ("test", "heldout"):
            tags, outputs = self.tags(split), run.outputs(split)
            if outputs is not None and tags:
                out[f"{split}_by_tag"] = by_tag(outputs, self.examples(split)[1], tags)
        if baselines:
            out["baselines"] = {baselines["name"]: baselines}
        out["decoding"] = self.decoding()
        return out

    def figures(self, run: Finished, root: Path) -> list[Path]:
        return write_figures(self, run, root)

    def artefacts(self, run: Finished | None = None) -> dict[str, Any]:
        return {"codec": self.codec.to_dict()}

    # -- writing ------------------------------------------------------------------------

    @torch.no_grad()
    def write(
        self,
        model: nn.Module,
        inputs: Sequence[Any],
        *,
        beam: int = 1,
        alpha: float = 1.0,
        batch_size: int = EVAL_BATCH,
        sampling: SamplingConfig | None = None,
    ) -> list[Hypothesis]:
        """The best output of every input (``model`` in eval mode): greedy for ``beam ==
        1``, beam search for more; with ``sampling`` (a temperature > 0), one sampled
        output per input."""
        out: list[Hypothesis] = []
        for i in range(0, len(inputs), batch_size):
            chunk = inputs[i : i + batch_size]
            state = model.start(self.collate(chunk))
            common = dict(
                batch=len(chunk),
                bos=Decoder.BOS,
                eos=Decoder.EOS,
                max_length=model.config.max_output,
            )
            if beam == 1 or sampling is not None:
                out += decode_batch(model.decoder.step, state, sampling=sampling, **common)
            else:
                found = beam_search_batch(
                    model.decoder.step,
                    state,
                    width=beam,
                    alpha=alpha,
                    reorder=lambda s, index: s.select(index),
                    **common,
                )
                out += [hyps[0] for hyps in found]
        return out

    @torch.no_grad()
    def loss(self, model: nn.Module, inputs: Sequence[Any], targets: Sequence[str]) -> float:
        """Mean teacher-forced cross-entropy per target token."""
        total = tokens = 0.0
        for i in range(0, len(inputs), EVAL_BATCH):
            batch = self.collate(inputs[i : i + EVAL_BATCH], targets[i : i + EVAL_BATCH])
            n = float(batch.target_lengths.sum())
            total += float(model(batch).loss) * n
            tokens += n
        return total / max(1.0, tokens)

    def score_split(
        self, model: nn.Module, split: str, *, beam: int = 1, alpha: float = 1.0
    ) -> tuple[dict[str, float], list[str]]:
        """``{split}_loss`` and the scores of the written outputs, and the outputs."""
        inputs, targets = self.examples(split)
        if not inputs:
            return {}, []
        outputs = [
            self.decode_text(h.tokens) for h in self.write(model, inputs, beam=beam, alpha=alpha)
        ]
        metrics = {f"{split}_loss": self.loss(model, inputs, targets)}
        for key, value in scores(outputs, targets, level=self.codec.target_level).items():
            metrics[f"{split}_{key}"] = value
        return metrics, outputs


def standard_keys(metrics: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """The keys every writing task's result (and eval) has, None where undefined."""
    out = {f"test_{k}": metrics.get(f"test_{k}") for k in METRICS}
    out.update({f"heldout_{k}": metrics.get(f"heldout_{k}") for k in METRICS})
    base = {f"test_{k}": baseline.get(f"test_{k}") for k in METRICS}
    base.update({f"heldout_{k}": baseline.get(f"heldout_{k}") for k in METRICS})
    base["name"] = baseline.get("name")
    out["baseline"] = base
    return out


def by_tag(outputs: list[str], targets: list[str], tags: list[str]) -> dict[str, float]:
    """Exact match per tag (per date format, per number of digits ...)."""
    hit: dict[str, list[int]] = defaultdict(list)
    for o, t, tag in zip(outputs, targets, tags):
        hit[tag].append(int(o == t))
    return {tag: sum(v) / len(v) for tag, v in sorted(hit.items())}
