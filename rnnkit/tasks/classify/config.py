"""What `rnnkit classify train` reads: the data, its split, encoding and balance, and the
defaults each registered dataset presets under the flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rnnkit.config import Config, require

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
