"""Language modelling: a recurrent LM on a text corpus, trained by truncated BPTT.

The tokenised corpus (rnnkit.data), the model (rnnkit.models.lm), held-out
cross-entropy, bits per token and perplexity next to n-gram baselines fitted on the
same training split and scored on the same tokens.

Run directory: config.json (with the corpus fingerprint), vocab.json (the tokenizer),
last/ and best/ checkpoints, metrics.jsonl, baselines.json and result.json. The
commands that use a trained run (sample, eval, fill, demo) are in rnnkit.tasks.lm.commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.config import Config, require
from rnnkit.data import TextData, TextDataConfig, Tokenizer, load_corpus, load_text_data
from rnnkit.data.corpora import cache_root
from rnnkit.data.tokenize import tokenizer_from_json
from rnnkit.models.lm import LanguageModel, LMBatch, LMConfig
from rnnkit.tasks.contract import Task
from rnnkit.tasks.lm.data import LMStreams, best_baseline, evaluate_lm, ngram_baselines
from rnnkit.tasks.lm.generate import generate_text
from rnnkit.tasks.registry import register_group, register_task
from rnnkit.training import TrainConfig
from rnnkit.training.tbptt import TBPTTConfig

SPLIT = (0.9, 0.1, 0.0)  # train / held-out fractions, as in docs/data.md's n-gram table

register_group(
    "lm",
    "language models: train, sample, eval, fill, demo",
    "Character- or word-level recurrent language models on a text corpus.",
)


@dataclass
class LMTaskConfig(Config):
    """The corpus, how it is read for training, and how much of it is scored."""

    text: TextDataConfig = field(default_factory=lambda: TextDataConfig(split=SPLIT))  # corpus
    tbptt: TBPTTConfig = field(default_factory=TBPTTConfig)  # chunks of the training text
    eval_tokens: int = 1_000_000  # held-out tokens scored per evaluation (0: the whole split)
    baselines: bool = True  # fit and report the n-gram baselines after training

    def validate(self) -> None:
        require(self, "eval_tokens", self.eval_tokens >= 0, "an integer >= 0")


def load_data(config: TextDataConfig, cache_dir: Any = None) -> TextData:
    """The tokenised corpus; too little text for a held-out split is a clear error."""
    data = load_text_data(config, cache_dir=cache_dir)
    if len(data.val) < 2 or len(data.train) < 2:
        raise ValueError(
            f"{config.corpus}: {len(data.tokens)} tokens is too little text to hold out "
            "a validation split; use a longer corpus"
        )
    return data


@register_task
class LMTask(Task):
    """Next-token prediction on a corpus, against n-gram baselines on the same tokens."""

    name = "lm"
    command = ("lm", "train")
    noun = "language-model"
    help = "train a language model by truncated BPTT"
    description = (
        "Train on the first 90% of a corpus; report cross-entropy, bits per token and "
        "perplexity on the last 10% next to n-gram baselines. Uses one CPU thread unless "
        "--threads says otherwise: the recurrent steps are small matrix products, and on a "
        "busy machine more threads mostly wait for each other."
    )
    Config = LMTaskConfig
    Model = LMConfig
    derived = ("vocab_size",)
    not_flags = ("text.split", "text.chunk_bytes")
    required = ("text.corpus",)
    resumable = ("baselines",)
    held_out = ("val",)  # the corpus is split 90/10: the 10% is the held-out text
    model_defaults = {"hidden_size": 256, "embed_size": 64}  # measured on Shakespeare (docs/lm.md)
    train_defaults = {
        "steps": 5000,
        "minutes": 60.0,
        "batch_size": 32,
        "lr": 3e-3,
        "schedule": "cosine",  # measured: anneals over --minutes too; 1.470 vs 1.504 constant
        "clip": 1.0,
        "eval_every": 1000,
        "log_every": 100,
        "checkpoint_every": 250,
    }
    threads = 1  # measured: 2 threads on 2 busy cores ran 6x slower than 1
    unit = "tok"
    carry_state = True

    def __init__(self, config: LMTaskConfig, **env: Any) -> None:
        super().__init__(config, **env)
        self._tokenizer: Tokenizer | None = None
        self._baselines: dict[str, Any] | None = None

    @cached_property
    def data(self) -> TextData:
        return load_data(self.config.text, self.cache_dir)

    @property
    def tokenizer(self) -> Tokenizer:
        return self._tokenizer or self.data.tokenizer

    def held_out_tokens(self, split: str) -> np.ndarray:
        """The tokens scored on ``split``: its first ``eval_tokens`` (all with 0)."""
        tokens = self.data.splits[split]
        n = self.config.eval_tokens
        return tokens[:n] if n else tokens

    def model_config(self, requested: LMConfig) -> LMConfig:
        return requested.replace(vocab_size=self.data.vocab_size)

    def build_model(self, config: LMConfig) -> nn.Module:
        return LanguageModel(config)

    def batches(self, train: TrainConfig, model: LMConfig) -> LMStreams:
        tbptt = self.config.tbptt
        return LMStreams(
            self.data.train,
            lanes=train.batch_size,
            bptt=tbptt.bptt,
            random=tbptt.bptt_random,
            seed=train.seed,
            backward=model.backward_lm,
        )

    def evaluate(self, model: nn.Module, split: str) -> dict[str, float]:
        return evaluate_lm(model, self.held_out_tokens(split), prefix=split)

    def baselines(self) -> dict[str, Any]:
        if not self.config.baselines:
            return {}
        val = self.held_out_tokens("val")
        self._baselines = ngram_baselines(self.data.train, val, self.data.vocab_size)
        return self._baselines

    def report(
        self, summary: dict[str, Any], metrics: dict[str, float], baselines: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "corpus": self.config.text.corpus,
            "level": self.config.text.level,
            "vocab_size": self.tokenizer.vocab_size,
            "eval_tokens": len(self.held_out_tokens("val")),
            **metrics,
        }
        if baselines:
            out["baselines"] = baselines
            out["best_baseline"] = best_baseline(baselines)
        return out

    def fingerprint(self) -> dict[str, Any]:
        source = load_corpus(self.config.text.corpus, cache_dir=cache_root(self.cache_dir))
        return {"source": "TextDataConfig.corpus", "files": source.identity()}

    def artefacts(self) -> dict[str, Any]:
        """vocab.json; after training also baselines.json, with the tokens it scored."""
        out: dict[str, Any] = {"vocab": self.tokenizer.to_json()}
        if self._baselines is not None:
            out["baselines"] = {"scored": self.scored(), "baselines": self._baselines}
        return out

    def scored(self) -> dict[str, Any]:
        """What baselines.json was scored on: the data fingerprint and the token count."""
        return {"fingerprint": self.fingerprint(), "tokens": len(self.held_out_tokens("val"))}

    def restore(self, artefact: Callable[[str], Any]) -> None:
        self._tokenizer = tokenizer_from_json(artefact("vocab"))

    @classmethod
    def upgrade(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Runs of rnnkit 0.1: data was the TextDataConfig, bptt lived in the train config."""
        data = config["data"]
        if "text" in data:
            return config
        train = config.get("train", {})
        tbptt = {"bptt": train.get("bptt") or 64, "bptt_random": train.get("bptt_random", False)}
        return {**config, "data": {"text": data, "tbptt": tbptt}}

    def headline(self, model: LMConfig, train: TrainConfig) -> str:
        if train.steps and train.minutes:
            budget = f"{train.steps} steps (at most {train.minutes:g} min)"
        elif train.steps:
            budget = f"{train.steps} steps"
        else:
            budget = f"{train.epochs or 1} epoch(s)"
            if train.minutes:
                budget = f"{train.minutes:g} min of training"
        both = " + backward LM" if model.backward_lm else ""
        text = self.config.text
        return (
            f"lm: {model.cell.upper()} H={model.hidden_size} x{model.num_layers}{both} on "
            f"{text.corpus} ({text.level} level), {budget}, {train.batch_size} lanes x "
            f"{self.config.tbptt.bptt} tokens"
        )

    @staticmethod
    def describe(r: dict[str, Any]) -> str:
        """The held-out result next to the best n-gram baseline, in one or two lines."""
        unit = "char" if r.get("level", "char") == "char" else "token"
        line = (
            f"validation: {r['val_loss']:.3f} nats/{unit}, {r['val_bits_per_token']:.3f} "
            f"bits/{unit}, perplexity {r['val_perplexity']:.2f}  after {r['steps']} steps "
            f"({r['seconds']:.0f} s)"
        )
        if "baselines" in r:
            name = r["best_baseline"]
            b = r["baselines"][name]
            line += (
                f"\nbest n-gram baseline ({name}): {b['val_loss']:.3f} nats/{unit}, "
                f"{b['val_bits_per_token']:.3f} bits/{unit}, perplexity {b['val_perplexity']:.2f}"
            )
        return line

    def inspect_input(self, model: nn.Module, text: str | None, seed: int) -> tuple[Any, list[str]]:
        """One text as token ids and each token's text; without ``text``, 200 tokens the
        model writes itself (sampled with ``seed``)."""
        tokenizer = self.tokenizer
        if text is None:
            text = generate_text(model, tokenizer, "", length=200, seed=seed)
        ids = tokenizer.encode(text)
        if len(ids) == 0:
            raise ValueError("--input: give some text to read")
        labels = [tokenizer.decode([int(i)]) for i in ids]
        return LMBatch(torch.as_tensor(ids).unsqueeze(0)), labels  # x (1, T)
