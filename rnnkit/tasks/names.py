"""Surnames conditioned on their language of origin: one-to-many generation.

Builds the names data (rnnkit.data.names), a `ConditionalLM` whose initial state comes
from the language, and the trainer; reports validation and test nats per character
(every letter and the end of the name) next to per-language Kneser-Ney n-gram models on
the same split; samples names one character at a time with the model's `step`.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.baselines import NGramLM
from rnnkit.data.names import NamesConfig, load_names
from rnnkit.generation.sampling import SamplingConfig
from rnnkit.models.conditional import ConditionalBatch, ConditionalConfig, ConditionalLM
from rnnkit.training import RunDir, TrainConfig, Trainer
from rnnkit.training.checkpoint import load_weights
from rnnkit.training.distributed import DistInfo
from rnnkit.training.progress import Progress
from rnnkit.training.rundir import open_run, write_json

PAD, BOS, EOS = "<pad>", "<s>", "</s>"  # ids 0, 1, 2
ALPHABET = " '-" + string.ascii_uppercase + string.ascii_lowercase  # what romanise() keeps
TOKENS = (PAD, BOS, EOS, *ALPHABET)
BASELINE_ORDERS = (1, 2, 3, 4)  # n-gram context lengths: bigram .. 5-gram
MAX_LENGTH = 30  # generation stops after this many characters


@dataclass
class NamesTaskConfig:
    """Which names: languages, split seed, and an optional cap per language (for tests)."""

    languages: tuple[str, ...] | None = None  # None: every language in LANGUAGE_LOCALES
    split_seed: int = 0  # seed of the train/val/test split
    per_language: int | None = None  # keep at most this many training names per language

    def __post_init__(self) -> None:
        if self.languages is not None:
            self.languages = tuple(self.languages)
        NamesConfig(seed=self.split_seed, languages=self.languages)  # validates both
        if self.per_language is not None and self.per_language < 1:
            raise ValueError(f"per_language must be None or >= 1, got {self.per_language}")

    def load(self) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
        """Languages (sorted) and the train/val/test (name, language) pairs."""
        data = load_names(NamesConfig(seed=self.split_seed, languages=self.languages))
        splits = dict(data.splits)
        if self.per_language is not None:
            splits = {k: _cap(v, self.per_language) for k, v in splits.items()}
        return data.languages, splits


def _cap(pairs: list[tuple[str, str]], n: int) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    out = []
    for name, language in pairs:
        seen[language] = seen.get(language, 0) + 1
        if seen[language] <= n:
            out.append((name, language))
    return out


class Encoder:
    """Characters <-> ids, and (name, language) pairs -> padded batches."""

    def __init__(self, tokens: list[str] | tuple[str, ...], languages: list[str]) -> None:
        self.tokens, self.languages = list(tokens), list(languages)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.bos, self.eos = self.index[BOS], self.index[EOS]

    def ids(self, text: str) -> list[int]:
        unknown = sorted({ch for ch in text if ch not in self.index or len(ch) != 1})
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        return [self.index[ch] for ch in text]

    def language(self, name: str) -> int:
        if name not in self.languages:
            raise ValueError(f"unknown language {name!r}; available: {', '.join(self.languages)}")
        return self.languages.index(name)

    def batch(self, pairs: list[tuple[str, str]]) -> ConditionalBatch:
        """Inputs <s> n_1 .. n_k and targets n_1 .. n_k </s>, padded to the longest."""
        seqs = [self.ids(name) for name, _ in pairs]
        lengths = torch.tensor([len(s) + 1 for s in seqs])  # (B,)
        x = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)  # (B, T) padded
        y = torch.zeros_like(x)  # (B, T)
        for i, s in enumerate(seqs):
            x[i, : len(s) + 1] = torch.tensor([self.bos, *s])
            y[i, : len(s) + 1] = torch.tensor([*s, self.eos])
        condition = torch.tensor([self.language(lang) for _, lang in pairs])  # (B,)
        return ConditionalBatch(condition, x, y, lengths)


class TrainBatches:
    """Epoch -> shuffled batches of training names: a function of (seed, epoch, rank)."""

    def __init__(self, encoder: Encoder, pairs: list, batch_size: int, seed: int, dist: DistInfo):
        if batch_size % dist.world:
            raise ValueError(f"--batch-size {batch_size} must divide over {dist.world} processes")
        self.encoder, self.pairs, self.seed, self.dist = encoder, pairs, seed, dist
        self.batch_size, self.local = batch_size, batch_size // dist.world

    def __call__(self, epoch: int) -> Iterator[ConditionalBatch]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        order = torch.randperm(len(self.pairs), generator=g).tolist()
        for start in range(0, len(order) - self.batch_size + 1, self.batch_size):
            lo = start + self.dist.rank * self.local
            yield self.encoder.batch([self.pairs[i] for i in order[lo : lo + self.local]])


@torch.no_grad()
def evaluate(model: nn.Module, batch: ConditionalBatch, prefix: str) -> dict[str, float]:
    """Mean nats per character (end of name included) and bits per character."""
    was = model.training
    model.eval()
    loss = float(model(batch).loss)
    model.train(was)
    return {f"{prefix}_loss": loss, f"{prefix}_bits_per_char": loss / math.log(2)}


def baseline_xent(encoder: Encoder, train: list, heldout: list, order: int) -> float:
    """Nats per character of per-language Kneser-Ney n-grams with `order` context tokens.

    Each language's names are concatenated as <s>^order name </s> ...; the <s> padding
    gives every name the same start context and is never scored, so the model predicts
    exactly what the network predicts: each character and the end of the name.
    """
    total = count = 0.0
    for language in encoder.languages:
        fit, _ = _ngram_stream(encoder, train, language, order)
        seq, scored = _ngram_stream(encoder, heldout, language, order)
        if len(fit) == 0 or not scored.any():
            continue
        lm = NGramLM(order, smoothing="kn").fit(fit, vocab_size=len(encoder.tokens))
        lp = lm.log_prob(seq)  # (N,)
        total, count = total - float(lp[scored].sum()), count + float(scored.sum())
    return total / count


def _ngram_stream(encoder: Encoder, pairs: list, language: str, order: int):
    """One language's names as a token stream (N,) and the mask of scored positions (N,)."""
    ids: list[int] = []
    for name, lang in pairs:
        if lang == language:
            ids += [encoder.bos] * order + encoder.ids(name) + [encoder.eos]
    seq = np.array(ids, dtype=np.int64)
    return seq, seq != encoder.bos


@dataclass
class NamesRun:
    """Everything one training run needs."""

    task: NamesTaskConfig
    model: ConditionalConfig
    train: TrainConfig
    out: str | Path | None = None
    resume: bool = False
    tensorboard: bool = False
    progress: Progress | None = None
    dist: DistInfo = field(default_factory=DistInfo)


def model_config(languages: int, cell: str, hidden: int, **kwargs: Any) -> ConditionalConfig:
    """The conditional model over this task's character vocabulary."""
    return ConditionalConfig(
        cell=cell, vocab_size=len(TOKENS), num_classes=languages, hidden_size=hidden, **kwargs
    )


def train(run: NamesRun) -> dict[str, Any]:
    """Train, evaluate the best checkpoint on val and test, compare with the n-grams."""
    languages, splits = run.task.load()
    encoder = Encoder(TOKENS, languages)
    if run.model.num_classes != len(languages) or run.model.vocab_size != len(TOKENS):
        raise ValueError("the model config does not match the task's languages / vocabulary")
    torch.manual_seed(run.train.seed)
    model = ConditionalLM(run.model)
    val = encoder.batch(splits["val"])
    rundir = prepare_run(run, encoder, splits)
    trainer = Trainer(
        model,
        run.train,
        TrainBatches(encoder, splits["train"], run.train.batch_size, run.train.seed, run.dist),
        evaluate=lambda m: evaluate(m, val, "val"),
        run=rundir,
        dist=run.dist,
        progress=run.progress,
        tensorboard=run.tensorboard,
    )
    if run.resume:
        trainer.resume()
    summary = trainer.fit()
    trainer.restore_best()
    result = report(run, summary, model, encoder, splits)
    if rundir is not None and run.dist.main:
        write_json(rundir.root / "result.json", result)
    return result


def report(run: NamesRun, summary: dict, model: nn.Module, encoder: Encoder, splits: dict) -> dict:
    """result.json: sizes, time, model and n-gram nats/char on val and test."""
    out: dict[str, Any] = {
        "task": "names",
        "cell": run.model.cell,
        "hidden": run.model.hidden_size,
        "languages": len(encoder.languages),
        "names": {k: len(v) for k, v in splits.items()},
        "steps": summary["step"],
        "seconds": summary["seconds"],
    }
    for split in ("val", "test"):
        metrics = evaluate(model, encoder.batch(splits[split]), split)
        out[f"{split}_nats_per_char"] = metrics[f"{split}_loss"]
        out[f"{split}_bits_per_char"] = metrics[f"{split}_bits_per_char"]
        out[f"baseline_{split}_nats_per_char"] = {
            f"kn-{n}": baseline_xent(encoder, splits["train"], splits[split], n)
            for n in BASELINE_ORDERS
        }
    best = min(out["baseline_val_nats_per_char"], key=out["baseline_val_nats_per_char"].get)
    out["baseline_best"] = best  # the order best on validation
    return out


def prepare_run(run: NamesRun, encoder: Encoder, splits: dict) -> RunDir | None:
    """The run directory: config.json, vocab.json (tokens and languages), names.json."""
    rundir = open_run(run.out, run.resume)
    if rundir is None:
        return None
    if run.resume and rundir.config_path.exists():
        saved = rundir.read_config()
        if saved.get("data") != _jsonable(asdict(run.task)):
            raise ValueError(f"{run.out} was trained on other data: {saved.get('data')}")
    if run.dist.main:
        rundir.create()
        rundir.write_config(
            {
                "task": "names",
                "data": asdict(run.task),
                "model": run.model.to_dict(),
                "train": run.train.to_dict(),
            }
        )
        rundir.save_artifact("vocab", {"tokens": encoder.tokens, "languages": encoder.languages})
        train = {
            lang: sorted(n for n, g in splits["train"] if g == lang) for lang in encoder.languages
        }
        rundir.save_artifact("names", {"train": train})
    return rundir


def _jsonable(d: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def load(path: str | Path, tag: str = "best") -> tuple[ConditionalLM, Encoder]:
    """A trained names model and its encoder, from a run directory."""
    rundir = RunDir(path)
    config = rundir.read_config()
    if config.get("task") != "names":
        raise ValueError(f"{path} is a {config.get('task')!r} run, not a names run")
    vocab = rundir.load_artifact("vocab")
    model = ConditionalLM(ConditionalConfig(**config["model"]))
    where = rundir.checkpoint(tag) or rundir.checkpoint("last")
    if where is None:
        raise FileNotFoundError(f"{path} has no complete checkpoint")
    load_weights(model, where / "model.safetensors")
    return model.eval(), Encoder(vocab["tokens"], vocab["languages"])


def inspect_input(
    path: str | Path, text: str | None, seed: int
) -> tuple[nn.Module, ConditionalBatch, list[str]]:
    """For `rnnkit inspect`: ``text`` is LANGUAGE:NAME (e.g. ``Russian:Smirnov``); without
    it, a name sampled greedily from the first language. The trace starts from the
    language's initial state."""
    model, encoder = load(path)
    if text is None:
        from rnnkit.tasks.names_generate import generate  # it imports this module

        language = encoder.languages[0]
        name = generate(model, encoder, language, 1, SamplingConfig(temperature=0))[0]
    else:
        language, sep, name = text.partition(":")
        if not sep or not name:
            raise ValueError(
                f"--input for names: LANGUAGE:NAME, e.g. Russian:Smirnov, got {text!r}"
            )
    batch = encoder.batch([(name, language)])
    return model, batch, [BOS, *name]


def inspect_state(model: ConditionalLM, batch: ConditionalBatch) -> Any:
    """For `rnnkit inspect`: the trace starts from the language's initial state."""
    return model.initial_state(batch.condition)
