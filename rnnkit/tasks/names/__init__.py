"""Surnames conditioned on their language of origin: one-to-many generation.

The names data (rnnkit.tasks.names.data), a `ConditionalLM` whose initial state comes
from the language, validation and test nats per character (every letter and the end of
the name) next to per-language Kneser-Ney n-gram models on the same split, and
`rnnkit names sample`, which draws names one character at a time with the model's
`step` (rnnkit.tasks.names.generate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from torch import nn

from rnnkit.config import Config, require
from rnnkit.generation.sampling import SamplingConfig
from rnnkit.models.conditional import ConditionalBatch, ConditionalConfig, ConditionalLM
from rnnkit.tasks.contract import Console, Evaluation, Finished, Task
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.names.data import (
    BASELINE_ORDERS,
    BOS,
    TOKENS,
    Encoder,
    NamesTaskConfig,
    baseline_xent,
)
from rnnkit.tasks.names.generate import generate
from rnnkit.tasks.registry import (
    TRAINING,
    Group,
    register_group,
    register_task,
    register_verb,
    trained_for,
)
from rnnkit.training import TrainConfig
from rnnkit.training.batches import ShuffledBatches

register_group(
    "names",
    "generate surnames conditioned on their language (one-to-many)",
    "A language embedding sets the initial state of a character-level RNN that spells "
    "surnames of that language.",
)


def name_batches(encoder: Encoder, pairs: list, batch_size: int, seed: int) -> ShuffledBatches:
    """Epoch -> shuffled global batches of training names: a function of (seed, epoch)."""
    return ShuffledBatches(
        len(pairs), batch_size, seed, lambda idx: encoder.batch([pairs[i] for i in idx])
    )


def headline(data: NamesTaskConfig, model: ConditionalConfig, train: TrainConfig) -> str:
    languages = len(data.languages or ()) or "all"
    return (
        f"names: {model.cell.upper()} H={model.hidden_size} over {languages} languages, "
        f"up to {train.steps} steps / {train.minutes} min"
    )


def describe(r: dict[str, Any]) -> str:
    """Validation and test nats per character next to the best n-gram order."""
    model = f"validation {r['val_nats_per_char']:.4f} nats/char ({r['val_bits_per_char']:.3f} bits)"
    test = f"\ntest {r['test_nats_per_char']:.4f} nats/char"
    best = r.get("baseline_best")
    if best is not None:
        model += f"; n-gram baseline {best}: {r['baseline_val_nats_per_char'][best]:.4f}"
        test += f"; n-gram {best}: {r['baseline_test_nats_per_char'][best]:.4f}"
    return model + test + trained_for(r)


@register_task(
    "names",
    command=("names", "train"),
    help="train a conditional name model",
    description=(
        "Train on faker's surnames (needs the data extra) and compare with per-language "
        "Kneser-Ney n-gram models."
    ),
    derived=("vocab_size", "num_classes"),
    model_defaults={"hidden_size": 256, "dropout": 0.1},  # docs/names.md
    train_defaults={  # about two minutes on one CPU thread (docs/names.md)
        **TRAINING,
        "steps": 2500,
        "minutes": 5.0,
        "batch_size": 64,
        "lr": 5e-3,
        "eval_every": 250,
        "checkpoint_every": 0,
    },
    unit="name",
    headline=lambda task, model, train: headline(task.config, model, train),
    describe=describe,
)
class NamesTask(Task):
    """Language -> surname: a conditional character model against per-language n-grams."""

    Config = NamesTaskConfig
    Model = ConditionalConfig

    def __init__(self, config: NamesTaskConfig, **env: Any) -> None:
        super().__init__(config, **env)
        self._encoder: Encoder | None = None
        self.training_names: dict[str, list[str]] = {}  # a reloaded run's, per language
        if self.saved is not None:
            vocab = self.saved("vocab")
            self._encoder = Encoder(vocab["tokens"], vocab["languages"])
            self.training_names = self.saved("names")["train"]

    @cached_property
    def data(self) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
        """Languages (sorted) and the train/val/test (name, language) pairs."""
        return self.config.load()

    @property
    def splits(self) -> dict[str, list[tuple[str, str]]]:
        return self.data[1]

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = Encoder(TOKENS, self.data[0])
        return self._encoder

    def model_config(self, requested: ConditionalConfig) -> ConditionalConfig:
        languages = len(self.encoder.languages)
        return requested.replace(vocab_size=len(TOKENS), num_classes=languages)

    def build_model(self, config: ConditionalConfig) -> nn.Module:
        return ConditionalLM(config)

    def batches(self, train: TrainConfig, model: ConditionalConfig) -> ShuffledBatches:
        return name_batches(self.encoder, self.splits["train"], train.batch_size, train.seed)

    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        """Mean nats per character (end of name included) and bits per character."""
        loss = float(model(self.encoder.batch(self.splits[split])).loss)
        return Evaluation({f"{split}_loss": loss, f"{split}_bits_per_char": loss / math.log(2)})

    def baselines(self) -> dict[str, Any]:
        """Per-language Kneser-Ney n-grams, nats per character on val and test."""
        train = self.splits["train"]
        return {
            split: {
                f"kn-{n}": baseline_xent(self.encoder, train, self.splits[split], n)
                for n in BASELINE_ORDERS
            }
            for split in ("val", "test")
        }

    def report(self, run: Finished) -> dict[str, Any]:
        metrics, baselines = run.metrics, run.baselines
        out: dict[str, Any] = {
            "languages": len(self.encoder.languages),
            "names": {k: len(v) for k, v in self.splits.items()},
        }
        for split in ("val", "test"):
            out[f"{split}_nats_per_char"] = metrics[f"{split}_loss"]
            out[f"{split}_bits_per_char"] = metrics[f"{split}_bits_per_char"]
            if baselines:
                out[f"baseline_{split}_nats_per_char"] = baselines[split]
        if baselines:
            val = baselines["val"]
            out["baseline_best"] = min(val, key=val.get)  # the order best on validation
        return out

    def artefacts(self, run: Finished | None = None) -> dict[str, Any]:
        """vocab.json (tokens and languages) and names.json (training names per language)."""
        enc = self.encoder
        train = {
            lang: sorted(n for n, g in self.splits["train"] if g == lang) for lang in enc.languages
        }
        vocab = {"tokens": enc.tokens, "languages": enc.languages}
        return {"vocab": vocab, "names": {"train": train}}

    def inspect_input(self, model: nn.Module, text: str | None, seed: int) -> tuple[Any, list[str]]:
        """``text`` is LANGUAGE:NAME (e.g. ``Russian:Smirnov``); without it, a name drawn
        greedily for the first language. The trace starts from the language's state."""
        if text is None:
            language = self.encoder.languages[0]
            name = generate(model, self.encoder, language, 1, SamplingConfig(temperature=0))[0]
        else:
            language, sep, name = text.partition(":")
            if not sep or not name:
                raise ValueError(
                    f"--input for names: LANGUAGE:NAME, e.g. Russian:Smirnov, got {text!r}"
                )
        return self.encoder.batch([(name, language)]), [BOS, *name]

    def inspect_state(self, model: nn.Module, batch: ConditionalBatch) -> Any:
        return model.initial_state(batch.condition)


# -- rnnkit names sample --------------------------------------------------------------


@dataclass
class NamesSampleOptions(Config):
    """Which run, which language, how many names."""

    run: str  # run directory of `rnnkit names train`
    language: str = field(metadata={"required": True})  # language of origin, e.g. Italian
    n: int = 10  # how many names
    prime: str = ""  # start every name with these characters

    def validate(self) -> None:
        require(self, "n", self.n >= 1, "an integer >= 1")


def sample(
    path: str,
    language: str,
    n: int = 10,
    sampling: SamplingConfig | None = None,
    *,
    seed: int = 0,
    prime: str = "",
) -> tuple[list[str], list[bool]]:
    """Names drawn from a run, and for each whether it is novel (not a training name)."""
    loaded = load(path, expect=NamesTask)
    task = loaded.task
    drawn = generate(
        loaded.model,
        task.encoder,
        language,
        n,
        sampling or SamplingConfig(),
        seed=seed,
        prime=prime,
    )
    known = set(task.training_names.get(language, ()))
    return drawn, [name not in known for name in drawn]


def run_sample(
    console: Console, *, options: NamesSampleOptions, sampling: SamplingConfig, seed: int
) -> dict[str, Any]:
    """sample names of a language from a trained run

    Draw names one character at a time; reports how many are novel (not training names).
    """
    drawn, novel = sample(
        options.run, options.language, options.n, sampling, seed=seed, prime=options.prime
    )
    for name, new in zip(drawn, novel):
        console.say(name if new else f"{name}  (training name)")
    console.say(f"{sum(novel)}/{len(drawn)} novel (not in the {options.language} training names)")
    return {"language": options.language, "names": drawn, "novel": sum(novel), "n": len(drawn)}


register_verb(
    ("names", "sample"),
    run_sample,
    NamesSampleOptions,
    "names",
    Group("sampling", SamplingConfig, "sampling"),
)
