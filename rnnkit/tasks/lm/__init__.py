"""Language modelling: a recurrent LM on a text corpus, trained by truncated BPTT.

The tokenised corpus (rnnkit.data), the model (rnnkit.models.lm), held-out
cross-entropy, bits per token and perplexity next to n-gram baselines fitted on the
same training split and scored on the same tokens.

Run directory: config.json (with the corpus fingerprint), vocab.json (the tokenizer),
last/ and best/ checkpoints, metrics.jsonl, baselines.json and result.json. The
commands that use a trained run (sample, fill, demo) are in rnnkit.tasks.lm.commands;
``rnnkit lm eval`` is the generic one (rnnkit.tasks.commands).
"""

from __future__ import annotations

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
from rnnkit.tasks.contract import Evaluation, Finished, Task
from rnnkit.tasks.lm.data import LMStreams, best_baseline, evaluate_lm, ngram_baselines
from rnnkit.tasks.lm.generate import generate_text
from rnnkit.tasks.lm.report import PRINTED, upgrade
from rnnkit.tasks.registry import TRAINING, register_group, register_task
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


MODEL_DEFAULTS = {"hidden_size": 256, "embed_size": 64}  # measured on Shakespeare (docs/lm.md)
TRAIN_DEFAULTS = {
    **TRAINING,  # cosine measured: anneals over --minutes too; 1.470 vs 1.504 constant
    "steps": 5000,
    "minutes": 60.0,
    "batch_size": 32,
    "lr": 3e-3,
    "eval_every": 1000,
    "checkpoint_every": 250,
}


@register_task(
    "lm",
    command=("lm", "train"),
    noun="language-model",
    help="train a language model by truncated BPTT",
    description=(
        "Train on the first 90% of a corpus; report cross-entropy, bits per token and "
        "perplexity on the last 10% next to n-gram baselines. Uses one CPU thread unless "
        "--threads says otherwise: the recurrent steps are small matrix products, and on a "
        "busy machine more threads mostly wait for each other."
    ),
    derived=("vocab_size",),
    not_flags=("text.split", "text.chunk_bytes"),
    required=("text.corpus",),
    resumable=("baselines",),
    model_defaults=MODEL_DEFAULTS,
    train_defaults=TRAIN_DEFAULTS,
    threads=1,  # measured: 2 threads on 2 busy cores ran 6x slower than 1
    unit="tok",
    upgrade=upgrade,
    **PRINTED,
)
class LMTask(Task):
    """Next-token prediction on a corpus, against n-gram baselines on the same tokens."""

    Config = LMTaskConfig
    Model = LMConfig
    held_out = ("val",)  # the corpus is split 90/10: the 10% is the held-out text
    carry_state = True

    def __init__(self, config: LMTaskConfig, **env: Any) -> None:
        super().__init__(config, **env)
        self._tokenizer = tokenizer_from_json(self.saved("vocab")) if self.saved else None

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

    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        return Evaluation(evaluate_lm(model, self.held_out_tokens(split), prefix=split))

    def baselines(self) -> dict[str, Any]:
        """The n-gram baselines (a reloaded run's baselines.json when it scored the same
        tokens; a reloaded run always shows them)."""
        if not self.config.baselines and not self.loaded:
            return {}
        stored = self._stored_baselines()
        if stored is not None:
            return stored
        val = self.held_out_tokens("val")
        return ngram_baselines(self.data.train, val, self.data.vocab_size)

    def _stored_baselines(self) -> dict[str, Any] | None:
        if self.saved is None:
            return None
        try:
            stored = self.saved("baselines")
        except (OSError, ValueError):
            return None
        if isinstance(stored, dict) and stored.get("scored") == self.scored():
            return stored["baselines"]
        return None  # scored on other tokens, or of rnnkit 0.1 (no record of what it scored)

    def report(self, run: Finished) -> dict[str, Any]:
        out: dict[str, Any] = {
            "corpus": self.config.text.corpus,
            "level": self.config.text.level,
            "vocab_size": self.tokenizer.vocab_size,
            "eval_tokens": len(self.held_out_tokens("val")),
            **run.metrics,
        }
        if run.baselines:
            out["baselines"] = run.baselines
            out["best_baseline"] = best_baseline(run.baselines)
        return out

    def fingerprint(self) -> dict[str, Any]:
        source = load_corpus(self.config.text.corpus, cache_dir=cache_root(self.cache_dir))
        return {"source": "TextDataConfig.corpus", "files": source.identity()}

    def artefacts(self, run: Finished | None = None) -> dict[str, Any]:
        """vocab.json; after an evaluation also baselines.json, with the tokens it scored."""
        out: dict[str, Any] = {"vocab": self.tokenizer.to_json()}
        if run is not None and run.baselines:
            out["baselines"] = {"scored": self.scored(), "baselines": run.baselines}
        return out

    def scored(self) -> dict[str, Any]:
        """What baselines.json was scored on: the data fingerprint and the token count."""
        return {"fingerprint": self.fingerprint(), "tokens": len(self.held_out_tokens("val"))}

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
