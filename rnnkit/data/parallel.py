"""Parallel text for sequence-to-sequence models: dates, number words, or a TSV file.

* ``dates``: one calendar date written in many formats and locales with babel's CLDR
  patterns ("5 décembre 1993", "Dec 5, 1993", "05.12.1993", "Sonntag, 5. Dezember
  1993", ...) -> ISO ``1993-12-05``. The days of 1950-2049 are split into train,
  validation and test days, so no test date is ever seen in training; a few formats
  (:data:`HELDOUT_STYLES`) never appear in training at all and make the ``heldout``
  split (dates of the test days in formats the model never saw).
* ``numbers:SRC-TGT``: the numbers 0..max written by num2words in language SRC and TGT
  (``en``, ``fr``, ``de``, ... or ``digits``), e.g. ``numbers:en-de``: "twenty-one" ->
  "einundzwanzig". The numbers are split, so every test number is new.
* a TSV file ``source<TAB>target`` per line (a header line ``source\\ttarget`` is
  skipped), split at random by ``split_seed``.

Everything is deterministic in the seed and needs no download.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.data.optional import optional_import

SPLITS = ("train", "val", "test", "heldout")
FIRST_DAY, LAST_DAY = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)

# (locale, CLDR pattern or babel's short|medium|long|full). Numeric day/month orders are
# kept only where the separator tells them apart (US month/day with "/", day.month with
# ".", day-month with "-"), so no source string has two readings; two-digit years are
# read as 1950-2049.
_NAMED = ("medium", "long", "full", "d MMM y", "EEE d MMM y")
_LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_PT", "nl_NL")
STYLES: tuple[tuple[str, str], ...] = (
    *((loc, p) for loc in _LOCALES for p in _NAMED if (loc, p) != ("pt_PT", "medium")),
    ("en_US", "short"),  # 2/5/93
    ("en_US", "MM/dd/y"),  # 02/05/1993
    ("de_DE", "dd.MM.y"),  # 05.02.1993
    ("de_DE", "d.M.yy"),  # 5.2.93
    ("nl_NL", "dd-MM-y"),  # 05-02-1993
    ("en_US", "y-M-d"),  # 1993-2-5
)
HELDOUT_STYLES: tuple[tuple[str, str], ...] = (  # never in training: generalisation
    ("en_US", "MMMM d, yy"),  # February 5, 93
    ("fr_FR", "EEEE d MMM y"),  # vendredi 5 févr. 1993
    ("de_DE", "d. MMM y"),  # 5. Feb. 1993
    ("it_IT", "d MMMM yy"),  # 5 febbraio 93
    ("nl_NL", "d-M-yy"),  # 5-2-93
)


@dataclass
class Parallel:
    """Source/target pairs by split, with a tag per pair (the date format, ...)."""

    name: str
    pairs: dict[str, list[tuple[str, str]]]  # split -> [(source, target)]
    tags: dict[str, list[str]] = field(default_factory=dict)  # split -> a tag per pair
    source_level: str = "char"  # "char" or "word": the tokens the data is meant for
    target_level: str = "char"

    def sources(self, split: str) -> list[str]:
        return [s for s, _ in self.pairs.get(split, [])]

    def targets(self, split: str) -> list[str]:
        return [t for _, t in self.pairs.get(split, [])]


def clean(text: str) -> str:
    """One line of text: whitespace runs (CLDR's narrow no-break spaces too) -> one space."""
    return " ".join(text.split())


# -- dates --------------------------------------------------------------------------------


def format_date(day: datetime.date, style: tuple[str, str]) -> str:
    from babel.dates import format_date as babel_format

    locale, pattern = style
    return clean(babel_format(day, format=pattern, locale=locale))


def style_name(style: tuple[str, str]) -> str:
    return f"{style[0]}:{style[1]}"


def dates(*, train_size: int = 20000, eval_size: int = 2000, seed: int = 0) -> Parallel:
    """Dates in :data:`STYLES` (train/val/test) and :data:`HELDOUT_STYLES` (heldout)."""
    optional_import("babel.dates", "seq2seq", "the dates data")
    days = [FIRST_DAY + datetime.timedelta(n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    rng = random.Random(f"dates-{seed}")
    rng.shuffle(days)
    n = len(days) // 10
    pools = {"val": days[:n], "test": days[n : 2 * n], "train": days[2 * n :]}
    pools["heldout"] = pools["test"]
    sizes = {"train": train_size, "val": eval_size // 2, "test": eval_size, "heldout": eval_size}
    pairs: dict[str, list[tuple[str, str]]] = {}
    tags: dict[str, list[str]] = {}
    for split in SPLITS:
        styles = HELDOUT_STYLES if split == "heldout" else STYLES
        picked = [(rng.choice(pools[split]), rng.choice(styles)) for _ in range(sizes[split])]
        pairs[split] = [(format_date(d, s), d.isoformat()) for d, s in picked]
        tags[split] = [style_name(s) for _, s in picked]
    return Parallel("dates", pairs, tags)


# -- numbers ------------------------------------------------------------------------------


def number_words(n: int, lang: str) -> str:
    """``n`` written out in ``lang`` (num2words), or its digits for ``lang == "digits"``."""
    if lang == "digits":
        return str(n)
    from num2words import num2words

    return clean(num2words(n, lang=lang))


def check_language(lang: str) -> None:
    optional_import("num2words", "seq2seq", "the numbers data")
    from num2words import CONVERTER_CLASSES

    if lang != "digits" and lang not in CONVERTER_CLASSES:
        known = ", ".join(sorted(CONVERTER_CLASSES))
        raise ValueError(f"numbers: unknown language {lang!r} (digits, or one of {known})")


def numbers(source: str, target: str, *, max_number: int = 9999, seed: int = 0) -> Parallel:
    """The numbers 0..max_number: 10% test, 5% validation, the rest training."""
    for lang in (source, target):
        check_language(lang)
    values = list(range(max_number + 1))
    random.Random(f"numbers-{seed}").shuffle(values)
    n_test, n_val = max(1, len(values) // 10), max(1, len(values) // 20)
    parts = {
        "test": values[:n_test],
        "val": values[n_test : n_test + n_val],
        "train": values[n_test + n_val :],
    }
    pairs = {
        split: [(number_words(v, source), number_words(v, target)) for v in vs]
        for split, vs in parts.items()
    }
    tags = {split: [str(len(str(v))) + "-digit" for v in vs] for split, vs in parts.items()}
    return Parallel(f"numbers:{source}-{target}", pairs, tags)


# -- files --------------------------------------------------------------------------------


def read_tsv(path: str | Path) -> list[tuple[str, str]]:
    """``source<TAB>target`` lines (blank lines skipped; a ``source\\ttarget`` header too)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    pairs = []
    for number, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(
                f"{p}:{number}: expected source<TAB>target, found {len(parts) - 1} tabs"
            )
        source, target = clean(parts[0]), clean(parts[1])
        if number == 1 and (source.lower(), target.lower()) == ("source", "target"):
            continue
        if not source or not target:
            raise ValueError(f"{p}:{number}: empty {'source' if not source else 'target'}")
        pairs.append((source, target))
    if len(pairs) < 3:
        raise ValueError(f"{p}: {len(pairs)} pairs; at least 3 are needed (train, val, test)")
    return pairs


def from_tsv(
    path: str | Path, *, test_fraction: float = 0.1, val_fraction: float = 0.1, seed: int = 0
) -> Parallel:
    """A user corpus, split at random: test, then validation from the rest."""
    pairs = read_tsv(path)
    order = list(range(len(pairs)))
    random.Random(f"tsv-{seed}").shuffle(order)
    n_test = max(1, round(len(pairs) * test_fraction))
    n_val = max(1, round((len(pairs) - n_test) * val_fraction))
    parts = {
        "test": order[:n_test],
        "val": order[n_test : n_test + n_val],
        "train": order[n_test + n_val :],
    }
    return Parallel(Path(path).name, {k: [pairs[i] for i in v] for k, v in parts.items()})


def load_parallel(
    data: str,
    *,
    train_size: int = 20000,
    eval_size: int = 2000,
    max_number: int = 9999,
    test_fraction: float = 0.1,
    val_fraction: float = 0.1,
    seed: int = 0,
) -> Parallel:
    """``dates``, ``numbers:SRC-TGT`` or a TSV file (see the module docstring)."""
    if data == "dates":
        return dates(train_size=train_size, eval_size=eval_size, seed=seed)
    if data.startswith("numbers"):
        langs = data.partition(":")[2].split("-")
        if len(langs) != 2 or not all(langs):
            raise ValueError(f"data {data!r}: write numbers:SRC-TGT, e.g. numbers:en-de")
        return numbers(langs[0], langs[1], max_number=max_number, seed=seed)
    if Path(data).suffix.lower() in (".tsv", ".txt") or Path(data).exists():
        return from_tsv(data, test_fraction=test_fraction, val_fraction=val_fraction, seed=seed)
    raise ValueError(
        f"data {data!r}: not dates, numbers:SRC-TGT or a TSV file (no such file {data!r})"
    )
