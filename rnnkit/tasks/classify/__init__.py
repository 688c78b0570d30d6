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

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.baselines.classify import Splits, metrics, run_baselines
from rnnkit.data.corpora import file_identity
from rnnkit.data.labelled import Labelled, balanced_weights, stratified_split
from rnnkit.data.labelled_sets import DATASETS, load_labelled
from rnnkit.models.classifier import Classifier, ClassifierConfig
from rnnkit.models.sequence import SeqBatch
from rnnkit.tasks.classify.config import PRESETS, ClassifyConfig
from rnnkit.tasks.classify.data import Encoder, collate, start_from
from rnnkit.tasks.classify.report import headline, model_name, table, write_figures
from rnnkit.tasks.contract import Evaluation, Finished, Task
from rnnkit.tasks.lifecycle import Loaded, load
from rnnkit.tasks.registry import TRAINING, register_group, register_task
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


@register_task(
    "classify",
    command=("classify", "train"),
    help="train a sequence classifier and score it next to the baselines",
    description=(
        "Train a recurrent classifier (embedding or linear input, stacked and optionally "
        "bidirectional layer, --pool last|mean|max|attention) on a stratified split; "
        "choose the checkpoint on validation, score the test split once, next to the "
        "baselines on the same split. Writes confusion.png (and attention.html for text). "
        "The registered datasets preset a few defaults of their own (docs/classify.md); "
        "flags given win."
    ),
    derived=("vocab_size", "input_size", "num_classes", "class_weights"),
    model_defaults={  # chosen by cross-validation on japanese-vowels and digits' training
        "cell": "gru",  # splits (benchmarks/classify_tuning.py; docs/classify.md)
        "hidden_size": 64,
        "bidirectional": True,
        "pool": "last",
        "dropout": 0.2,
    },
    train_defaults={
        **TRAINING,
        "steps": 2000,
        "minutes": 10.0,
        "batch_size": 32,
        "lr": 3e-3,
        "optimizer": "adamw",
        "weight_decay": 1e-2,
        "eval_every": 100,
    },
    presets=lambda config: PRESETS.get(config.data, {}),
    resumable=("baselines",),
    threads=1,  # small recurrent models: one thread is the fastest on a shared CPU
    headline=headline,
    describe=table,
)
class ClassifyTask(Task):
    """A recurrent classifier next to the baselines, on one stratified split."""

    Config = ClassifyConfig
    Model = ClassifierConfig

    def __init__(self, config: ClassifyConfig, **env: Any) -> None:
        super().__init__(config, **env)
        self._encoder = Encoder.from_dict(self.saved("encoder")) if self.saved else None

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
        if not self.loaded and self.lm is not None:
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
        """Class probabilities (N, C) of encoded examples (``model`` in eval mode)."""
        out = [
            torch.softmax(model(collate(arrays[i : i + EVAL_BATCH])).prediction, -1)
            for i in range(0, len(arrays), EVAL_BATCH)
        ]
        return torch.cat(out).double().numpy()

    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        """Loss, accuracy and macro-F1; the outputs: every metric (confusion included)."""
        items, y = self.split_items(split)
        if not items:
            return Evaluation({})
        p = self.predict(model, items)
        loss = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))
        m = metrics(y, p.argmax(1), self.encoder.classes)
        scores = {
            f"{split}_loss": loss,
            f"{split}_accuracy": m["accuracy"],
            f"{split}_macro_f1": m["macro_f1"],
        }
        return Evaluation(scores, m)

    @cached_property
    def _baselines(self) -> dict[str, Any]:
        return run_baselines(Splits(self.data, self.y, self.index))

    def baselines(self) -> dict[str, Any]:
        return self._baselines if self.config.baselines else {}

    def report(self, run: Finished) -> dict[str, Any]:
        out: dict[str, Any] = {
            "data": self.data.name,
            "model": model_name(run.config),
            "classes": self.encoder.classes,
            "sizes": {k: len(v) for k, v in self.index.items()},
            **run.metrics,
        }
        if run.outputs("test") is not None:
            out["test"] = run.outputs("test")
        if run.baselines:
            out["baselines"] = run.baselines
        return out

    def figures(self, run: Finished, root: Path) -> list[Path]:
        return write_figures(self, run, root)

    # -- runs -------------------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any] | None:
        if self.config.data in DATASETS:
            return None
        path = Path(self.config.data)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        return {"source": "ClassifyConfig.data", "files": [file_identity(p) for p in files]}

    def artefacts(self, run: Finished | None = None) -> dict[str, Any]:
        return {"encoder": self.encoder.to_dict()}

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
