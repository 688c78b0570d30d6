"""Sequence classification (many-to-one): sentences, names and signals to one label.

``rnnkit classify train`` reads a registered dataset or a user's file
(rnnkit.data.labelled_sets), splits it per class into train / validation / test (an
official test split is kept; validation is always carved from the training part),
trains rnnkit.models.classifier on the training split, keeps the checkpoint with the
best validation loss, scores the test split once, and fits every applicable baseline
(rnnkit.baselines.classify) on the same splits. Predictions, evaluation and the
pictures are in rnnkit.tasks.classify.commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from rnnkit.baselines.classify import Splits, metrics, run_baselines
from rnnkit.config import Config, require
from rnnkit.data.corpora import file_identity
from rnnkit.data.labelled import Labelled, balanced_weights, stratified_split
from rnnkit.data.labelled_sets import DATASETS, load_labelled
from rnnkit.models.classifier import Classifier, ClassifierConfig
from rnnkit.models.sequence import SeqBatch
from rnnkit.tasks.classify.data import Encoder, collate
from rnnkit.tasks.classify.report import table, write_figures
from rnnkit.tasks.contract import Task
from rnnkit.tasks.lifecycle import Loaded, load
from rnnkit.tasks.registry import register_group, register_task
from rnnkit.training import TrainConfig
from rnnkit.training.batches import ShuffledBatches

register_group(
    "classify",
    "sequence classification: train, predict, eval",
    "Many-to-one: sentiment of sentences, the language of a surname, the speaker of a "
    "vowel, digits read row by row, or your own data; next to majority, TF-IDF logistic "
    "regression, VADER, character n-gram naive Bayes and 1-NN (Euclidean, DTW) baselines.",
)
EVAL_BATCH = 256
PRESETS: dict[str, dict[str, dict[str, Any]]] = {  # a dataset's own defaults (under the flags),
    # chosen on its training and validation splits (docs/classify.md)
    "names": {"model": {"hidden_size": 128}, "train": {"steps": 8000}},  # 23 classes, 12k names
    "japanese-vowels": {"model": {"noise": 0.8}, "train": {"steps": 1000, "keep": "last"}},
    "digits": {"model": {"noise": 0.5}},
    "sentiment": {"model": {"pool": "attention"}},  # the best pooling on validation
}


@dataclass
class ClassifyConfig(Config):
    """Which data, how it is split, encoded and balanced."""

    data: str = "sentiment"  # sentiment, japanese-vowels, names, digits, or a file or folder
    level: Literal["word", "char"] | None = None  # text tokens (None: the dataset's own)
    max_vocab: int = 20000  # tokens kept, <unk> included; the rest read as <unk>
    min_count: int = 2  # tokens seen fewer times in training read as <unk>
    lowercase: bool = True  # fold text to lower case
    max_length: int = 0  # keep the first N tokens or steps of each example (0: all)
    text_column: str = "text"  # CSV/TSV column holding the text
    label_column: str = "label"  # CSV/TSV column holding the label
    test_fraction: float = 0.2  # share of each class held out as the test split (no official one)
    val_fraction: float = 0.1  # share of each class's training examples kept for validation
    split_seed: int = 0  # seed of the split (the same for every --seed)
    balance: Literal["none", "weights", "sampling"] = "weights"  # for imbalanced classes
    baselines: bool = True  # fit and score the baselines on the same splits
    pretrained: str | None = None  # an `rnnkit lm train` run to start from (its tokenizer too)

    def validate(self) -> None:
        require(self, "max_vocab", self.max_vocab >= 2, "an integer >= 2")
        for name in ("min_count", "max_length", "split_seed"):
            require(self, name, getattr(self, name) >= 0, "an integer >= 0")
        require(self, "test_fraction", 0 < self.test_fraction < 1, "in (0, 1)")
        require(self, "val_fraction", 0 < self.val_fraction < 1, "in (0, 1)")


@register_task
class ClassifyTask(Task):
    """A recurrent classifier next to the baselines, on one stratified split."""

    name = "classify"
    command = ("classify", "train")
    help = "train a sequence classifier and score it next to the baselines"
    description = (
        "Train a recurrent classifier (embedding or linear input, stacked and optionally "
        "bidirectional layer, --pool last|mean|max|attention) on a stratified split; "
        "choose the checkpoint on validation, score the test split once, next to the "
        "baselines on the same split. Writes confusion.png (and attention.html for text). "
        "The registered datasets preset a few defaults of their own (docs/classify.md); "
        "flags given win."
    )
    Config = ClassifyConfig
    Model = ClassifierConfig
    derived = ("vocab_size", "input_size", "num_classes", "class_weights")
    model_defaults = {  # chosen by cross-validation on japanese-vowels and digits' training
        "cell": "gru",  # splits (benchmarks/classify_tuning.py; docs/classify.md)
        "hidden_size": 64,
        "bidirectional": True,
        "pool": "last",
        "dropout": 0.2,
    }
    train_defaults = {
        "steps": 2000,
        "minutes": 10.0,
        "batch_size": 32,
        "lr": 3e-3,
        "optimizer": "adamw",
        "weight_decay": 1e-2,
        "schedule": "cosine",
        "clip": 1.0,
        "eval_every": 100,
        "log_every": 100,
    }
    resumable = ("baselines",)
    threads = 1  # small recurrent models: one thread is the fastest on a shared CPU
    unit = "seq"

    def __init__(self, config: ClassifyConfig, **env: Any) -> None:
        super().__init__(config, **env)
        self._encoder: Encoder | None = None
        self._restored = False  # a loaded run: its weights come from its checkpoint
        self.test_metrics: dict[str, Any] | None = None  # the last test evaluation, in full

    @classmethod
    def presets(cls, config: ClassifyConfig) -> dict[str, dict[str, Any]]:
        return PRESETS.get(config.data, {})

    # -- data -------------------------------------------------------------------------

    @cached_property
    def data(self) -> Labelled:
        c = self.config
        d = load_labelled(
            c.data, cache_dir=self.cache_dir, text_column=c.text_column, label_column=c.label_column
        )
        if c.level is not None:
            d.level = c.level
        return d

    @cached_property
    def index(self) -> dict[str, list[int]]:
        c = self.config
        return stratified_split(
            self.data, test_fraction=c.test_fraction, val_fraction=c.val_fraction, seed=c.split_seed
        )

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            c, d = self.config, self.data
            self._encoder = Encoder.fit(
                d.kind,
                d.classes,
                [d.items[i] for i in self.index["train"]],
                level=d.level,
                lowercase=c.lowercase,
                max_vocab=c.max_vocab,
                min_count=c.min_count,
                max_length=c.max_length,
                tokenizer=self.lm.task.tokenizer.to_json() if self.lm is not None else None,
            )
        return self._encoder

    @cached_property
    def lm(self) -> Loaded | None:
        """The pretrained language model run (``--pretrained``), or None."""
        if self.config.pretrained is None:
            return None
        from rnnkit.tasks.lm import LMTask

        loaded = load(self.config.pretrained, expect=LMTask)
        if self.data.kind != "text":
            raise ValueError(f"--pretrained starts a text classifier; {self.data.name} is series")
        return loaded

    @cached_property
    def encoded(self) -> list[np.ndarray]:
        return [self.encoder.encode(item) for item in self.data.items]

    @cached_property
    def y(self) -> np.ndarray:
        return self.data.targets()

    def split_items(self, split: str) -> tuple[list[np.ndarray], np.ndarray]:
        idx = self.index[split]
        return [self.encoded[i] for i in idx], self.y[idx]

    # -- the task contract --------------------------------------------------------------

    def model_config(self, requested: ClassifierConfig) -> ClassifierConfig:
        enc, c = self.encoder, self.config
        counts = np.bincount(self.y[self.index["train"]], minlength=len(enc.classes)).tolist()
        if 0 in counts:
            empty = enc.classes[counts.index(0)]
            raise ValueError(f"{self.data.name}: class {empty!r} has no training examples")
        weights = tuple(balanced_weights(counts)) if c.balance == "weights" else None
        if self.lm is not None:  # the pretrained model's shape
            lm = self.lm.model_config
            requested = requested.replace(
                cell=lm.cell,
                hidden_size=lm.hidden_size,
                num_layers=lm.num_layers,
                embed_size=lm.embed,
                cell_options=lm.cell_options,
            )
        return requested.replace(
            vocab_size=enc.vocab_size,
            input_size=max(1, enc.features),
            num_classes=len(enc.classes),
            class_weights=weights,
        )

    def build_model(self, config: ClassifierConfig) -> nn.Module:
        model = Classifier(config)
        if not self._restored and self.lm is not None:
            start_from(model, self.lm.model)
        return model

    def batches(self, train: TrainConfig, model: ClassifierConfig) -> ShuffledBatches:
        items, y = self.split_items("train")

        def make(idx: list[int]) -> SeqBatch:
            return collate([items[i] for i in idx], y[idx])

        weights = None
        if self.config.balance == "sampling":
            counts = np.bincount(y, minlength=len(self.encoder.classes))
            weights = (1.0 / counts[y]).tolist()
        return ShuffledBatches(
            len(items), min(train.batch_size, len(items)), train.seed, make, weights
        )

    @torch.no_grad()
    def predict(self, model: nn.Module, arrays: list[np.ndarray]) -> np.ndarray:
        """Class probabilities (N, C) of encoded examples."""
        was = model.training
        model.eval()
        try:
            out = [
                torch.softmax(model(collate(arrays[i : i + EVAL_BATCH])).prediction, -1)
                for i in range(0, len(arrays), EVAL_BATCH)
            ]
        finally:
            model.train(was)
        return torch.cat(out).double().numpy()

    def evaluate(self, model: nn.Module, split: str) -> dict[str, float]:
        items, y = self.split_items(split)
        if not items:
            return {}
        p = self.predict(model, items)
        loss = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))
        m = metrics(y, p.argmax(1), self.encoder.classes)
        if split == "test":
            self.test_metrics = m
        return {
            f"{split}_loss": loss,
            f"{split}_accuracy": m["accuracy"],
            f"{split}_macro_f1": m["macro_f1"],
        }

    @cached_property
    def _baselines(self) -> dict[str, Any]:
        return run_baselines(Splits(self.data, self.y, self.index))

    def baselines(self) -> dict[str, Any]:
        return self._baselines if self.config.baselines else {}

    def report(
        self, summary: dict[str, Any], metrics: dict[str, float], baselines: dict[str, Any]
    ) -> dict[str, Any]:
        d = self.data
        out: dict[str, Any] = {
            "data": d.name,
            "model": model_name(self.model.config) if self.model is not None else "classifier",
            "classes": self.encoder.classes,
            "sizes": {k: len(v) for k, v in self.index.items()},
            **metrics,
        }
        if self.test_metrics is not None:
            out["test"] = self.test_metrics
        if baselines:
            out["baselines"] = baselines
        return out

    def figures(self, result: dict[str, Any], root: Path) -> list[Path]:
        return write_figures(self, result, root)

    # -- runs -------------------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any] | None:
        if self.config.data in DATASETS:
            return None
        path = Path(self.config.data)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        return {"source": "ClassifyConfig.data", "files": [file_identity(p) for p in files]}

    def artefacts(self) -> dict[str, Any]:
        return {"encoder": self.encoder.to_dict()}

    def restore(self, artefact: Callable[[str], Any]) -> None:
        self._encoder = Encoder.from_dict(artefact("encoder"))
        self._restored = True

    @staticmethod
    def describe(r: dict[str, Any]) -> str:
        return table(r)

    def headline(self, model: ClassifierConfig, train: TrainConfig) -> str:
        d, sizes = self.data, {k: len(v) for k, v in self.index.items()}
        what = model_name(model)
        return (
            f"classify {d.name}: {len(d.classes)} classes, {sizes['train']} train / "
            f"{sizes['val']} val / {sizes['test']} test; {what} H={model.hidden_size}, "
            f"up to {train.steps} steps"
        )

    def inspect_input(self, model: nn.Module, text: str | None, seed: int) -> tuple[Any, list[str]]:
        """``--input``: a text for text runs, else the number of a test example (by seed)."""
        enc = self.encoder
        if enc.kind == "text" and text is not None:
            ids = enc.encode(text)
            return collate([ids]), enc.step_labels(ids)
        test = self.index["test"]
        if text is not None and not text.isdigit():
            raise ValueError(f"--input for a series run is a test example's number, got {text!r}")
        n = int(text) if text is not None else seed % len(test)
        if n >= len(test):
            raise ValueError(f"--input {n}: the test split has {len(test)} examples")
        x = self.encoded[test[n]]
        return collate([x]), enc.step_labels(x)


def model_name(config: ClassifierConfig) -> str:
    """E.g. "max-pooled biGRU"."""
    return f"{config.pool}-pooled {'bi' if config.bidirectional else ''}{config.cell.upper()}"


def start_from(model: Classifier, lm: nn.Module) -> list[str]:
    """Copy a language model's embedding and layers into the classifier: the forward LM
    into the forward direction, a backward LM into the reverse one; parameters whose shapes
    differ (the upper layers of a bidirectional stack read 2H) keep their initialisation.
    Returns the names of the parameters copied."""
    source = {"embed.weight": lm.embedding.weight}
    for name, p in lm.rnn.named_parameters():
        source[f"rnn.{name}"] = p
    if getattr(lm, "rnn_backward", None) is not None:
        for name, p in lm.rnn_backward.named_parameters():
            source[f"rnn.{name}_reverse"] = p
    copied = []
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in source and source[name].shape == p.shape:
                p.copy_(source[name])
                copied.append(name)
    return copied
