"""The registered classification datasets, all offline (see docs/classify.md).

- ``sentiment``: 10,568 movie-review sentences, positive or negative (the
  vaderSentiment 3.3.2 source archive);
- ``japanese-vowels``: 270 + 370 (official test) series of 12 cepstral channels, 7-29
  steps; 9 speakers (aeon, from the UEA archive);
- ``names``: about 16,400 surnames of 23 languages (faker);
- ``digits``: 1,797 8x8 images read row by row, 8 steps x 8 features; 10 classes
  (scikit-learn).

The sentiment sentences are the movie-review snippets of Hutto & Gilbert (2014), shipped
in the vaderSentiment source archive (``additional_resources/hutto_ICWSM_2014.tar.gz``):
each has the mean of 20 human ratings in [-4, 4]; positive means > 0, negative < 0 (the
37 rated exactly 0 are left out). The archive is fetched once with ``pip download``
into the cache directory and read in memory.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnkit.data.atomic import write_text_atomic
from rnnkit.data.corpora import cache_root, fetch_sdist
from rnnkit.data.labelled import Labelled
from rnnkit.data.optional import optional_import

VADER = ("vaderSentiment", "3.3.2")  # (package, version) of the source archive
VADER_INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
MOVIE_SNIPPETS = "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"


@dataclass(frozen=True)
class LabelledSet:
    load: Callable[[str | os.PathLike[str] | None], Labelled]  # cache dir -> data
    about: str  # one line for --help and the manual


def sentiment(cache_dir: str | os.PathLike[str] | None = None) -> Labelled:
    """The 10,568 rated movie-review sentences, labelled by the sign of their rating."""
    path = cache_root(cache_dir) / "sentiment" / "movie_snippets.tsv"
    if not path.is_file():
        archive = fetch_sdist(*VADER, cache_root(cache_dir) / "sdist")
        write_text_atomic(path, _snippets(archive))
    items, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        _, rating, text = line.split("\t", 2)
        r = float(rating)
        if r != 0:
            items.append(text.strip())
            labels.append("positive" if r > 0 else "negative")
    return Labelled("sentiment", "text", items, labels, level="word")


def _snippets(archive: Path) -> str:
    """The ground-truth file from the archive inside the vaderSentiment source archive."""
    try:
        with tarfile.open(archive, "r:gz") as outer:
            inner = outer.extractfile(VADER_INNER).read()  # type: ignore[union-attr]
        with tarfile.open(fileobj=io.BytesIO(inner), mode="r:gz") as tar:
            data = tar.extractfile(MOVIE_SNIPPETS).read()  # type: ignore[union-attr]
    except (tarfile.TarError, KeyError, AttributeError, OSError) as e:
        raise ValueError(
            f"{archive}: no {MOVIE_SNIPPETS} inside ({e}); delete it to download it again"
        ) from None
    rows = data.decode("utf-8").replace("\r\n", "\n").strip().split("\n")
    return "\n".join(rows) + "\n"


def japanese_vowels(cache_dir: str | os.PathLike[str] | None = None) -> Labelled:
    """The UEA JapaneseVowels series with the official 270/370 train/test split."""
    datasets = optional_import("aeon.datasets", "classify", "the japanese-vowels dataset")
    items, labels, test = [], [], []
    for split in ("train", "test"):
        x, y = datasets.load_classification("JapaneseVowels", split=split)
        start = len(items)
        items += [np.asarray(s, dtype=np.float32).T for s in x]  # (12, L) -> (L, 12)
        labels += [str(v) for v in y]
        if split == "test":
            test = list(range(start, len(items)))
    return Labelled("japanese-vowels", "series", items, labels, test=test)


def names(cache_dir: str | os.PathLike[str] | None = None) -> Labelled:
    """Surnames of 23 languages (faker); a name listed under two languages appears twice."""
    from rnnkit.data.names import LANGUAGE_LOCALES, _require_extra, language_names

    _require_extra()
    items, labels = [], []
    for language in sorted(LANGUAGE_LOCALES):
        found = language_names(language)
        items += found
        labels += [language] * len(found)
    return Labelled("names", "text", items, labels, level="char")


def digits(cache_dir: str | os.PathLike[str] | None = None) -> Labelled:
    """scikit-learn's 1,797 8x8 digits, each image read row by row (8 steps x 8)."""
    sk = optional_import("sklearn.datasets", "classify", "the digits dataset")
    d = sk.load_digits()
    items = [np.asarray(image, dtype=np.float32) for image in d.images]  # (8, 8): T x F
    return Labelled("digits", "series", items, [str(v) for v in d.target])


DATASETS: dict[str, LabelledSet] = {
    "sentiment": LabelledSet(sentiment, "movie-review sentences, positive or negative"),
    "japanese-vowels": LabelledSet(japanese_vowels, "speaker of a spoken vowel, 12 channels"),
    "names": LabelledSet(names, "surname -> one of 23 languages"),
    "digits": LabelledSet(digits, "8x8 digit images read row by row"),
}


def load_labelled(
    data: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    text_column: str = "text",
    label_column: str = "label",
) -> Labelled:
    """A registered dataset by name, else a user's file or folder (rnnkit.data.labelled)."""
    if data in DATASETS:
        return DATASETS[data].load(cache_dir)
    from rnnkit.data.labelled import load_file

    return load_file(Path(data), text_column=text_column, label_column=label_column)
