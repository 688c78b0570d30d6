"""Images of numbers for captioning: strips of 1-4 handwritten digits and their words.

Each strip is scikit-learn's 8x8 digit images (1,797 of them, pixel values 0-16 scaled
to [0, 1]) side by side on a canvas of ``8 x 8 * max_digits`` pixels, left-aligned, the
rest blank; its caption is the number in words (num2words, "three hundred and twelve").
The digit *images* are split once (stratified by digit) into train, validation and test
pools, so every test strip is made of images never seen in training. Training strips
are drawn afresh each epoch (optionally with each digit shifted by a pixel or two);
validation and test strips are fixed by the seed and never shifted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnkit.data.optional import optional_import
from rnnkit.data.parallel import number_words


@dataclass
class DigitPools:
    """The digit images by split: images (N, 8, 8) in [0, 1] and their digits (N,)."""

    images: dict[str, np.ndarray]
    digits: dict[str, np.ndarray]


def digit_pools(*, seed: int = 0, val: float = 0.1, test: float = 0.2) -> DigitPools:
    """scikit-learn's digits, split per digit class into train/val/test images."""
    datasets = optional_import("sklearn.datasets", "classify", "the digit strips")
    d = datasets.load_digits()
    images, digits = (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for k in range(10):
        idx = rng.permutation(np.flatnonzero(digits == k))
        n_test, n_val = round(len(idx) * test), round(len(idx) * val)
        parts["test"] += idx[:n_test].tolist()
        parts["val"] += idx[n_test : n_test + n_val].tolist()
        parts["train"] += idx[n_test + n_val :].tolist()
    return DigitPools(
        {k: images[sorted(v)] for k, v in parts.items()},
        {k: digits[sorted(v)] for k, v in parts.items()},
    )


def random_numbers(rng: np.random.Generator, n: int, max_digits: int) -> list[str]:
    """``n`` numbers as digit strings: 1..max_digits digits, equally likely, no leading 0."""
    out = []
    for width in rng.integers(1, max_digits + 1, size=n):
        first = rng.integers(0 if width == 1 else 1, 10)
        rest = rng.integers(0, 10, size=width - 1)
        out.append(str(first) + "".join(map(str, rest)))
    return out


def shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """An image moved by (dy, dx) pixels; what moves in is blank."""
    out = np.zeros_like(image)
    H, W = image.shape
    out[max(0, dy) : H + min(0, dy), max(0, dx) : W + min(0, dx)] = image[
        max(0, -dy) : H - max(0, dy), max(0, -dx) : W - max(0, dx)
    ]
    return out


def compose(
    pools: DigitPools,
    split: str,
    numbers: list[str],
    rng: np.random.Generator,
    max_digits: int,
    jitter: int = 0,
) -> np.ndarray:
    """Strips (N, 8, 8 * max_digits) writing ``numbers`` with random images of ``split``,
    each digit moved by up to ``jitter`` pixels each way (augmentation)."""
    images, digits = pools.images[split], pools.digits[split]
    by_digit = [np.flatnonzero(digits == k) for k in range(10)]
    canvas = np.zeros((len(numbers), 8, 8 * max_digits), dtype=np.float32)
    for i, number in enumerate(numbers):
        for j, ch in enumerate(number):
            choices = by_digit[int(ch)]
            image = images[choices[rng.integers(len(choices))]]
            if jitter:
                image = shift(image, *rng.integers(-jitter, jitter + 1, size=2))
            canvas[i, :, 8 * j : 8 * j + 8] = image
    return canvas


def strips(
    pools: DigitPools,
    split: str,
    n: int,
    *,
    seed: int,
    max_digits: int = 4,
    lang: str = "en",
    jitter: int = 0,
) -> tuple[np.ndarray, list[str], list[str]]:
    """``n`` strips of ``split``: (images (N, 8, W), captions, numbers as digits)."""
    rng = np.random.default_rng([seed, ("train", "val", "test").index(split)])
    numbers = random_numbers(rng, n, max_digits)
    return (
        compose(pools, split, numbers, rng, max_digits, jitter),
        [number_words(int(x), lang) for x in numbers],
        numbers,
    )
