"""`rnnkit caption train`: image captioning, one-to-many: a strip of digits -> the number in words.

A small CNN, shared by the image's 8-pixel column blocks and first trained to classify
the training digits (``pretrain_steps``), encodes the image (1-4 of scikit-learn's
handwritten 8x8 digits side by side, rnnkit.data.strips) to one vector, the decoder's
initial state; the decoder writes the
number in words, word by word ("three hundred and twelve"), optionally attending over
the image's columns. The test strips are made of digit images never seen in training,
and scored once next to a pipeline baseline: a logistic-regression digit classifier
(scikit-learn, its C chosen on validation) reading each 8-pixel slot, then num2words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.baselines.translation import scores
from rnnkit.config import Config, require
from rnnkit.data.parallel import check_language, number_words
from rnnkit.data.strips import DigitPools, digit_pools, strips
from rnnkit.models.captioner import CaptionConfig, Captioner, ImageBatch
from rnnkit.tasks.registry import register_group, register_task
from rnnkit.tasks.writing import FACE, TRAIN_DEFAULTS, WritingTask
from rnnkit.tasks.writing.codec import Codec, shifted
from rnnkit.training import TrainConfig

register_group(
    "caption",
    "image captioning: train, predict, eval",
    "One-to-many: a strip of 1-4 handwritten digits in, the number in words out; next to "
    "a digit-classifier pipeline baseline on the same test strips.",
)


@dataclass
class CaptionDataConfig(Config):
    """Which strips, how many, in which language."""

    max_digits: int = 4  # digits per strip at most (the canvas is 8 x 8*max_digits pixels)
    language: str = "en"  # language of the captions (num2words)
    epoch_size: int = 20000  # training strips drawn per epoch (new ones every epoch)
    jitter: int = 0  # shift each training digit by up to N pixels each way (augmentation)
    eval_size: int = 2000  # test strips (validation: half as many)
    split_seed: int = 0  # seed of the image split and the evaluation strips
    pretrain_steps: int = 1000  # first train the block encoder to classify the training digits
    baselines: bool = True  # score the digit-classifier baseline on the same strips

    def validate(self) -> None:
        require(self, "max_digits", 1 <= self.max_digits <= 6, "an integer in 1..6")
        for name in ("epoch_size", "eval_size"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "split_seed", self.split_seed >= 0, "an integer >= 0")
        require(self, "jitter", 0 <= self.jitter <= 3, "an integer in 0..3")
        require(self, "pretrain_steps", self.pretrain_steps >= 0, "an integer >= 0")


class StripBatches:
    """Epoch -> batches of freshly drawn training strips (a function of seed and epoch)."""

    def __init__(self, task: CaptionTask, batch_size: int, seed: int) -> None:
        self.task, self.batch_size, self.seed = task, batch_size, seed

    def __len__(self) -> int:
        return self.task.config.epoch_size // self.batch_size

    def __call__(self, epoch: int):
        t = self.task
        images, captions, _ = strips(
            t.pools,
            "train",
            len(self) * self.batch_size,
            seed=self.seed * 100_003 + epoch + 7,
            max_digits=t.config.max_digits,
            lang=t.config.language,
            jitter=t.config.jitter,
        )
        for i in range(0, len(captions), self.batch_size):
            yield t.collate(
                list(images[i : i + self.batch_size]), captions[i : i + self.batch_size]
            )


def headline(task: CaptionTask, model: CaptionConfig, train: TrainConfig) -> str:
    n = len(task.pools.digits["train"])
    return (
        f"caption digit strips: {n} training digit images, {task.config.eval_size} test "
        f"strips; {model.encoder.upper()} + {model.cell.upper()} H={model.hidden_size}, "
        f"attention {model.attention}, up to {train.steps} steps"
    )


@register_task(
    "caption",
    command=("caption", "train"),
    help="train an image captioner (digit strips -> number words) next to a baseline",
    description=(
        "Train a captioner: a small CNN (--encoder cnn|mlp), shared by the 8-pixel column "
        "blocks and first trained to classify the training digits (--pretrain-steps), "
        "encodes a strip of 1-4 handwritten digits to the decoder's initial state "
        "(--attention none), optionally attending over the column blocks (--attention "
        "additive|dot|general); the decoder writes the number in words. "
        "Test strips use digit images never seen in training, scored once next to a "
        "digit-classifier + num2words pipeline."
    ),
    derived=("target_vocab", "max_output", "image_height", "image_width"),
    model_defaults={
        "cell": "gru",
        "hidden_size": 128,
        "embed_size": 32,
        "attention": "none",
        "dropout": 0.1,
    },
    train_defaults={**TRAIN_DEFAULTS, "steps": 15000},
    resumable=("baselines",),
    unit="image",
    headline=headline,
    **FACE,
)
class CaptionTask(WritingTask):
    """A CNN-encoder, recurrent-decoder captioner next to a digit-classifier pipeline."""

    Config = CaptionDataConfig
    Model = CaptionConfig

    # -- data -------------------------------------------------------------------------

    @cached_property
    def pools(self) -> DigitPools:
        return digit_pools(seed=self.config.split_seed)

    @cached_property
    def evaluation(self) -> dict[str, tuple[np.ndarray, list[str], list[str]]]:
        c = self.config
        sizes = {"val": max(1, c.eval_size // 2), "test": c.eval_size}
        return {
            split: strips(
                self.pools, split, n, seed=c.split_seed, max_digits=c.max_digits, lang=c.language
            )
            for split, n in sizes.items()
        }

    def fit_codec(self) -> Codec:
        """Every caption of 0 .. 10**max_digits - 1: the output language, not the data."""
        c = self.config
        check_language(c.language)
        limit = min(10**c.max_digits, 20000)
        words = [(" ", number_words(n, c.language)) for n in range(limit)]
        return Codec.fit(words, source_level="char", target_level="word", max_source=1)

    def examples(self, split: str) -> tuple[list[Any], list[str]]:
        if split not in ("val", "test"):
            return [], []
        images, captions, _ = self.evaluation[split]
        return list(images), captions

    def collate(self, inputs: Any, targets: Any = None) -> ImageBatch:
        images = torch.from_numpy(np.stack(inputs)).float()
        if targets is None:
            return ImageBatch(images)
        return ImageBatch(images, *shifted([self.codec.encode_target(t) for t in targets]))

    def input_labels(self, index: int) -> list[str]:
        """Image columns as a picture's axis shows them: the digit slot of each column."""
        number = self.evaluation["test"][2][index]
        W = 8 * self.config.max_digits
        return [number[w // 8] if w // 8 < len(number) else "·" for w in range(W)]

    # -- the task contract --------------------------------------------------------------

    def model_config(self, requested: CaptionConfig) -> CaptionConfig:
        longest = max(len(self.codec.encode_target(t)) for t in self.evaluation["test"][1])
        return requested.replace(
            target_vocab=self.codec.target_vocab,
            max_output=2 * longest + 4,
            image_height=8,
            image_width=8 * self.config.max_digits,
        )

    def build_model(self, config: CaptionConfig) -> nn.Module:
        model = Captioner(config)
        if not self.loaded and self.config.pretrain_steps:
            pretrain_blocks(model, self.pools, self.config.pretrain_steps)
        return model

    def batches(self, train: TrainConfig, model: CaptionConfig) -> StripBatches:
        return StripBatches(self, train.batch_size, train.seed)

    def baseline_scores(self) -> dict[str, Any]:
        return digit_pipeline(self.pools, self.evaluation, self.config.language)

    def about(self) -> dict[str, Any]:
        c = self.config
        return {
            "data": f"digit strips (1-{c.max_digits} digits, {c.language})",
            "sizes": {"train images": len(self.pools.digits["train"]), "test": c.eval_size},
        }

    def tags(self, split: str) -> list[str] | None:
        if split not in self.evaluation:
            return None
        return [f"{len(n)}-digit" for n in self.evaluation[split][2]]


def pretrain_blocks(model: Captioner, pools: DigitPools, steps: int, batch: int = 64) -> float:
    """Train the block encoder (and a linear classifier on its features, then dropped) to
    tell the training split's digit images apart: the captioning counterpart of starting
    from an image classifier. Returns the last batch's cross-entropy."""
    x = torch.from_numpy(pools.images["train"])  # (N, 8, 8)
    y = torch.from_numpy(pools.digits["train"])
    block = model.config.block
    if x.shape[2] != block:
        raise ValueError(f"pretraining reads 8-pixel digits; CaptionConfig.block is {block}")
    head = nn.Linear(model.config.hidden_size, 10)
    params = [*model.blocks.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    loss = torch.zeros(())
    for _ in range(steps):
        idx = torch.randint(0, len(x), (min(batch, len(x)),))
        loss = nn.functional.cross_entropy(head(model.read_blocks(x[idx])), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss.detach())


def digit_pipeline(
    pools: DigitPools, evaluation: dict[str, tuple[np.ndarray, list[str], list[str]]], lang: str
) -> dict[str, Any]:
    """Classify each 8-pixel slot with logistic regression, then write the number out."""
    from sklearn.linear_model import LogisticRegression

    x, y = pools.images["train"].reshape(-1, 64), pools.digits["train"]
    vx, vy = pools.images["val"].reshape(-1, 64), pools.digits["val"]
    fits = {C: LogisticRegression(C=C, max_iter=2000).fit(x, y) for C in (0.1, 1.0, 10.0)}
    best_C = max(fits, key=lambda C: fits[C].score(vx, vy))
    clf = fits[best_C]
    out: dict[str, Any] = {"name": "digit-classifier", "setting": {"C": best_C}}
    for split, (images, captions, _) in evaluation.items():
        written = []
        for image in images:
            slots = [image[:, 8 * j : 8 * j + 8] for j in range(image.shape[1] // 8)]
            used = [s.reshape(64) for s in slots if s.any()]
            digits = clf.predict(np.stack(used)) if used else []
            written.append(number_words(int("".join(map(str, digits)) or 0), lang))
        for key, value in scores(written, captions, level="word").items():
            out[f"{split}_{key}"] = value
    return out
