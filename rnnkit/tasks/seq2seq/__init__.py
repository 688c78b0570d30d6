"""`rnnkit seq2seq train`: translation with an attentional encoder-decoder.

Many-to-many, unaligned: dates in many formats and languages -> ISO, number words
between languages (num2words), or a user TSV corpus (rnnkit.data.parallel). The model
(rnnkit.models.seq2seq) is trained with teacher forcing, optionally scheduled sampling;
the checkpoint with the best validation loss is kept; the test split (and, for dates,
the held-out formats) is written once by greedy or beam search and scored next to a
baseline on the same pairs: dateutil's parser for dates, the copy of the source
otherwise. ``translate`` and ``eval`` are in rnnkit.tasks.seq2seq.commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from torch import nn

from rnnkit.baselines.translation import copy_baseline, dateutil_baseline
from rnnkit.config import Config, require
from rnnkit.data.corpora import file_identity
from rnnkit.data.parallel import Parallel, load_parallel
from rnnkit.models.seq2seq import PairBatch, Seq2Seq, Seq2SeqConfig
from rnnkit.tasks.contract import Finished
from rnnkit.tasks.registry import register_group, register_task
from rnnkit.tasks.writing import (
    FACE,
    TRAIN_DEFAULTS,
    ScheduledBatches,
    WritingTask,
    teacher_forcing,
)
from rnnkit.tasks.writing.codec import Codec, collate, split
from rnnkit.training import TrainConfig
from rnnkit.training.batches import ShuffledBatches

register_group(
    "seq2seq",
    "sequence to sequence with attention: train, translate, eval",
    "Many-to-many, unaligned: dates in many formats and languages to ISO, number words "
    "between languages, or your own TSV corpus; next to dateutil's parser or the copy "
    "baseline on the same test pairs.",
)
Schedule = Literal["none", "linear", "exponential", "inverse-sigmoid"]


@dataclass
class TranslateConfig(Config):
    """Which parallel data, how it is tokenised, decoded and scored."""

    data: str = "dates"  # dates, numbers:SRC-TGT (en, fr, de, ... or digits), or a TSV file
    source_level: Literal["char", "word"] = "char"  # source tokens: characters or words
    target_level: Literal["char", "word"] = "char"  # target tokens: characters or words
    train_size: int = 20000  # dates: training pairs generated
    eval_size: int = 2000  # dates: test and held-out pairs (validation: half as many)
    max_number: int = 9999  # numbers: the largest number written
    test_fraction: float = 0.1  # TSV: share of pairs held out for test
    val_fraction: float = 0.1  # TSV: share of the rest kept for validation
    split_seed: int = 0  # seed of the data and its split (the same for every --seed)
    max_source: int = 0  # longest source accepted, in tokens (0: twice the longest in training)
    scheduled_sampling: Schedule = "none"  # decay of teacher forcing (Bengio et al. 2015)
    sampling_steps: int = 2000  # steps over which teacher forcing decays to its floor
    teacher_forcing_floor: float = 0.5  # teacher-forcing probability at the end of the decay
    beam: int = 1  # beam width for the final test scores (1: greedy)
    length_penalty: float = 1.0  # beam search ranks log P / length ** this (0: plain sum)
    baselines: bool = True  # score the baseline on the same pairs

    def validate(self) -> None:
        for name in ("train_size", "eval_size", "max_number", "sampling_steps", "beam"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "max_source", self.max_source >= 0, "an integer >= 0")
        require(self, "split_seed", self.split_seed >= 0, "an integer >= 0")
        require(self, "test_fraction", 0 < self.test_fraction < 1, "in (0, 1)")
        require(self, "val_fraction", 0 < self.val_fraction < 1, "in (0, 1)")
        require(self, "teacher_forcing_floor", 0 <= self.teacher_forcing_floor <= 1, "in [0, 1]")
        require(self, "length_penalty", self.length_penalty >= 0, "a number >= 0")


@dataclass
class Seq2SeqEvalOptions(Config):
    """How an evaluation writes the held-out pairs."""

    beam: int | None = None  # beam width (default: the run's own --beam)

    def validate(self) -> None:
        require(self, "beam", self.beam is None or self.beam >= 1, "None or an integer >= 1")


def headline(task: Seq2SeqTask, model: Seq2SeqConfig, train: TrainConfig) -> str:
    sizes = {k: len(v) for k, v in task.data.pairs.items()}
    held = f" / {sizes['heldout']} held-out formats" if "heldout" in sizes else ""
    return (
        f"seq2seq {task.data.name}: {sizes['train']} train / {sizes['val']} val / "
        f"{sizes['test']} test{held}; {model.cell.upper()} H={model.hidden_size}, "
        f"attention {model.attention}, up to {train.steps} steps"
    )


@register_task(
    "seq2seq",
    command=("seq2seq", "train"),
    help="train an encoder-decoder with attention and score it next to a baseline",
    description=(
        "Train a recurrent encoder-decoder (--attention none|additive|dot|general, input "
        "feeding, optional --scheduled-sampling) on dates, numbers:SRC-TGT or a TSV "
        "corpus; keep the checkpoint with the best validation loss, write the test pairs "
        "once (greedy, or --beam W) and score exact match, CER, BLEU and chrF next to the "
        "baseline. Writes attention.png and attention.html."
    ),
    derived=("source_vocab", "target_vocab", "max_output"),
    model_defaults={
        "cell": "gru",
        "hidden_size": 128,
        "embed_size": 32,
        "attention": "general",
        "bidirectional": True,
        "dropout": 0.1,
    },
    train_defaults={**TRAIN_DEFAULTS, "steps": 4000},
    resumable=("baselines", "beam", "length_penalty"),
    unit="pair",
    headline=headline,
    eval_options=Seq2SeqEvalOptions,
    **FACE,
)
class Seq2SeqTask(WritingTask):
    """An attentional encoder-decoder next to a rule-based or copy baseline."""

    Config = TranslateConfig
    Model = Seq2SeqConfig
    held_out = ("val", "test", "heldout")

    # -- data -------------------------------------------------------------------------

    @cached_property
    def data(self) -> Parallel:
        c = self.config
        d = load_parallel(
            c.data,
            train_size=c.train_size,
            eval_size=c.eval_size,
            max_number=c.max_number,
            test_fraction=c.test_fraction,
            val_fraction=c.val_fraction,
            seed=c.split_seed,
        )
        d.source_level, d.target_level = c.source_level, c.target_level
        return d

    def fit_codec(self) -> Codec:
        c, train = self.config, self.data.pairs["train"]
        longest = max(len(split(s, c.source_level)) for s, _ in train)
        return Codec.fit(
            train,
            source_level=c.source_level,
            target_level=c.target_level,
            max_source=c.max_source or 2 * longest,
        )

    @cached_property
    def encoded(self) -> dict[str, tuple[list[np.ndarray], list[np.ndarray]]]:
        codec, out = self.codec, {}
        for name, pairs in self.data.pairs.items():
            sources = [codec.encode_source(s, strict=False) for s, _ in pairs]
            out[name] = (sources, [codec.encode_target(t) for _, t in pairs])
        return out

    def examples(self, split: str) -> tuple[list[Any], list[str]]:
        if split not in self.data.pairs:
            return [], []
        return self.encoded[split][0], self.data.targets(split)

    def collate(self, inputs: Any, targets: Any = None) -> PairBatch:
        if targets is None:
            return collate(inputs)
        return collate(inputs, [self.codec.encode_target(t) for t in targets])

    def input_labels(self, index: int) -> list[str]:
        """The tokens of test source ``index``, as a picture's axis shows them."""
        return self.codec.source_labels(self.data.pairs["test"][index][0])

    # -- the task contract --------------------------------------------------------------

    def model_config(self, requested: Seq2SeqConfig) -> Seq2SeqConfig:
        longest = max(len(t) for t in self.encoded["train"][1])
        return requested.replace(
            source_vocab=self.codec.source_vocab,
            target_vocab=self.codec.target_vocab,
            max_output=2 * longest + 8,
        )

    def build_model(self, config: Seq2SeqConfig) -> nn.Module:
        return Seq2Seq(config)

    def batches(self, train: TrainConfig, model: Seq2SeqConfig) -> ScheduledBatches:
        sources, targets = self.encoded["train"]

        def make(idx: list[int]) -> PairBatch:
            return collate([sources[i] for i in idx], [targets[i] for i in idx])

        c = self.config
        shuffled = ShuffledBatches(
            len(sources), min(train.batch_size, len(sources)), train.seed, make
        )
        return ScheduledBatches(
            shuffled,
            lambda step: teacher_forcing(
                c.scheduled_sampling, step, c.sampling_steps, c.teacher_forcing_floor
            ),
        )

    def decoding(self) -> dict[str, Any]:
        return {"beam": self.config.beam, "alpha": self.config.length_penalty}

    def baseline_scores(self) -> dict[str, Any]:
        splits = {k: (self.data.sources(k), self.data.targets(k)) for k in self.data.pairs}
        if self.data.name == "dates":
            return {"name": "dateutil", **dateutil_baseline(splits)}
        return {"name": "copy", **copy_baseline(splits, self.config.target_level)}

    def about(self) -> dict[str, Any]:
        return {"data": self.data.name, "sizes": {k: len(v) for k, v in self.data.pairs.items()}}

    def tags(self, split: str) -> list[str] | None:
        return self.data.tags.get(split)

    def report(self, run: Finished) -> dict[str, Any]:
        out = super().report(run)
        written = run.outputs("test")
        if written is not None:
            out["test_errors"] = [
                {"source": s, "target": t, "output": o}
                for (s, t), o in zip(self.data.pairs["test"], written)
                if o != t
            ][:20]
        return out

    # -- runs -------------------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any] | None:
        path = Path(self.config.data)
        if not path.is_file():
            return None
        return {"source": "TranslateConfig.data", "files": [file_identity(path)]}
