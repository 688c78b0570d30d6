"""Labelled sequences for classification: texts or multivariate series, and their splits.

A :class:`Labelled` set holds examples (strings, or float arrays of shape (T, F)) with a
label each, and an official test split when its source has one. :func:`load_labelled`
``rnnkit.data.labelled_sets.load_labelled`` reads a registered dataset or a user's file
(:func:`load_file`):

- ``.csv`` / ``.tsv``: a header naming the text and label columns (``text`` and
  ``label`` by default), or two columns without a header (text, label);
- a folder of per-class examples: ``DIR/<class>.txt`` (one example per line) or
  ``DIR/<class>/*.txt`` (one example per file);
- ``.npz``: arrays ``x`` (N, T, F) or (N, T), ``y`` labels and optionally ``lengths``
  (N,) to cut padded rows (read without pickle: no object arrays);
- ``.ts``: the UEA/UCR time-series format (read with aeon), channels first.

:func:`stratified_split` makes the train/validation/test indices: within each class a
seeded shuffle, the test share first (unless the set has an official test split), then
the validation share of what is left; the test split is for the final score only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from rnnkit.data.optional import optional_import

Kind = Literal["text", "series"]


@dataclass
class Labelled:
    """Examples and their labels; ``test`` holds the indices of an official test split."""

    name: str
    kind: Kind
    items: list  # str (text) or float32 arrays (T, F) (series)
    labels: list[str]
    test: list[int] | None = None  # official test split (None: carve one)
    level: Literal["word", "char"] = "word"  # text: the natural token unit
    classes: list[str] = field(init=False)  # sorted distinct labels; index = class id

    def __post_init__(self) -> None:
        if len(self.items) != len(self.labels):
            raise ValueError(
                f"{self.name}: {len(self.items)} examples but {len(self.labels)} labels"
            )
        if not self.items:
            raise ValueError(f"{self.name}: no examples")
        self.labels = [str(label) for label in self.labels]
        self.classes = sorted(set(self.labels), key=_class_key)
        if len(self.classes) < 2:
            raise ValueError(f"{self.name}: one class only ({self.classes[0]!r}); need two or more")
        if self.kind == "series":
            widths = {int(x.shape[1]) for x in self.items}
            if len(widths) != 1:
                raise ValueError(
                    f"{self.name}: series have different feature counts {sorted(widths)}"
                )

    @property
    def features(self) -> int:
        """F: features per step (series)."""
        return int(self.items[0].shape[1]) if self.kind == "series" else 0

    def targets(self) -> np.ndarray:
        """Class ids (N,)."""
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[label] for label in self.labels], dtype=np.int64)


def _class_key(label: str) -> tuple[int, float | str]:
    """Numeric labels in numeric order ("2" before "10"), others alphabetically after."""
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def stratified_split(
    data: Labelled, *, test_fraction: float, val_fraction: float, seed: int
) -> dict[str, list[int]]:
    """Indices of train, val and test: per class, a seeded shuffle, then the shares."""
    rng = np.random.default_rng(seed)
    y = np.array(data.labels)
    official = set(data.test or ())
    splits: dict[str, list[int]] = {"train": [], "val": [], "test": sorted(official)}
    for c in data.classes:
        members = np.array([i for i in np.flatnonzero(y == c) if i not in official], dtype=int)
        members = members[rng.permutation(len(members))]
        n_test = 0 if data.test is not None else _share(len(members), test_fraction)
        rest = len(members) - n_test
        n_val = _share(rest, val_fraction)
        if (
            rest - n_val < 1
            or (val_fraction > 0 and n_val < 1)
            or (data.test is None and n_test < 1)
        ):
            what = "training " if data.test is not None else ""
            raise ValueError(
                f"{data.name}: class {c!r} has {len(members)} {what}example(s): too few for "
                "a train, validation and test split (each class needs at least 3)"
            )
        splits["test"] += members[:n_test].tolist()
        splits["val"] += members[n_test : n_test + n_val].tolist()
        splits["train"] += members[n_test + n_val :].tolist()
    return {k: sorted(v) for k, v in splits.items()}


def _share(n: int, fraction: float) -> int:
    """round(n * fraction), at least 1 when the fraction is positive and n >= 3."""
    k = int(round(n * fraction))
    return max(k, 1) if fraction > 0 and n >= 3 else k


# -- user files -----------------------------------------------------------------------------


def load_file(path: Path, *, text_column: str = "text", label_column: str = "label") -> Labelled:
    """A user's labelled data: a table, a folder of per-class texts, .npz or .ts series."""
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file or directory")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_table(path, text_column, label_column)
    if suffix == ".npz":
        return _read_npz(path)
    if suffix == ".ts":
        return _read_ts(path)
    raise ValueError(f"{path}: unknown format {suffix!r} (use .csv, .tsv, .npz, .ts or a folder)")


def _read_table(path: Path, text_column: str, label_column: str) -> Labelled:
    text = _read_utf8(path)
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    rows = [
        r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    if not rows:
        raise ValueError(f"{path}: the file is empty")
    header = [c.strip() for c in rows[0]]
    later = {r[1].strip() for r in rows[1:] if len(r) > 1}
    if len(header) == 2 and text_column not in header and header[1] in later:
        t, y, first = 0, 1, 1  # no header: text, label (the first row's label recurs)
    else:
        for column in (text_column, label_column):
            if column not in header:
                raise ValueError(
                    f"{path}: no column {column!r} in the header (columns: {', '.join(header)}); "
                    "name the columns with --text-column and --label-column"
                )
        t, y, first = header.index(text_column), header.index(label_column), 2
        rows = rows[1:]
    for n, row in enumerate(rows, start=first):
        if len(row) <= max(t, y) or not row[y].strip():
            raise ValueError(f"{path}: row {n} has no label")
    if not rows:
        raise ValueError(f"{path}: a header but no examples")
    return Labelled(path.name, "text", [row[t] for row in rows], [row[y].strip() for row in rows])


def _read_folder(path: Path) -> Labelled:
    items, labels = [], []
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".txt")
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    for f in files:  # DIR/<class>.txt: one example per line
        lines = [line for line in _read_utf8(f).splitlines() if line.strip()]
        if not lines:
            raise ValueError(f"{f}: class {f.stem!r} has no examples (the file is empty)")
        items += lines
        labels += [f.stem] * len(lines)
    for d in folders:  # DIR/<class>/*.txt: one example per file
        texts = [_read_utf8(p).strip() for p in sorted(d.glob("*.txt")) if p.is_file()]
        texts = [t for t in texts if t]
        if not texts:
            raise ValueError(f"{d}: class {d.name!r} has no examples (no non-empty .txt files)")
        items += texts
        labels += [d.name] * len(texts)
    if not items:
        raise ValueError(f"{path}: no <class>.txt files or <class>/ folders of .txt files")
    return Labelled(path.name, "text", items, labels)


def load_inputs(path: Path, *, text_column: str = "text") -> tuple[Kind, list]:
    """Examples to label, with or without labels: (kind, items). A ``.npz`` needs ``x``
    (``y`` may be absent); a CSV/TSV the text column, or one column of texts."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        items, _ = _npz_series(path, labelled=False)
        return "series", items
    if suffix not in (".csv", ".tsv"):
        data = load_file(path)
        return data.kind, data.items
    rows = [r for r in _rows(path) if any(c.strip() for c in r)]
    header = [c.strip() for c in rows[0]] if rows else []
    if text_column in header:
        t, rows = header.index(text_column), rows[1:]
    elif len(header) == 1:
        t = 0  # one column without a header: every row is a text
    else:
        raise ValueError(f"{path}: no column {text_column!r} (columns: {', '.join(header)})")
    texts = [r[t] for r in rows if len(r) > t and r[t].strip()]
    if not texts:
        raise ValueError(f"{path}: no texts to label")
    return "text", texts


def _rows(path: Path) -> list[list[str]]:
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    return list(csv.reader(io.StringIO(_read_utf8(path)), delimiter=delimiter))


def _read_npz(path: Path) -> Labelled:
    items, labels = _npz_series(path, labelled=True)
    return Labelled(path.name, "series", items, labels)  # type: ignore[arg-type]


def _npz_series(path: Path, *, labelled: bool) -> tuple[list[np.ndarray], list[str] | None]:
    """(series (T, F) each, labels or None) of an .npz; ``labelled`` requires ``y``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as e:
        if "pickle" in str(e):
            raise ValueError(
                f"{path}: holds object arrays, which need pickle (not read); store x as one "
                "(N, T, F) array with lengths (N,)"
            ) from None
        raise ValueError(f"{path}: not a readable .npz file ({e})") from None
    for key in ("x", "y") if labelled else ("x",):
        if key not in arrays:
            raise ValueError(f"{path}: no array {key!r} (found: {', '.join(arrays) or 'none'})")
    x = arrays["x"]
    y = arrays.get("y") if labelled else None
    if x.ndim == 2:
        x = x[:, :, None]  # (N, T) univariate
    if x.ndim != 3 or (y is not None and len(x) != len(y)):
        raise ValueError(f"{path}: x must be (N, T, F) or (N, T) with N = len(y), got {x.shape}")
    lengths = arrays.get("lengths", np.full(len(x), x.shape[1]))
    if len(lengths) != len(x) or lengths.min() < 1 or lengths.max() > x.shape[1]:
        raise ValueError(f"{path}: lengths must be (N,) integers in [1, {x.shape[1]}]")
    items = [np.asarray(row[:n], dtype=np.float32) for row, n in zip(x, lengths.astype(int))]
    labels = [str(v) for v in y.tolist()] if y is not None else None
    return _finite(path, items), labels


def _read_ts(path: Path) -> Labelled:
    datasets = optional_import("aeon.datasets", "classify", "reading .ts files")
    try:
        x, y = datasets.load_from_ts_file(str(path))
    except Exception as e:  # aeon's parser raises IOError, ValueError, ...
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path}: not a readable .ts file ({first})") from None
    items = [np.asarray(series, dtype=np.float32).T for series in x]  # (C, L) -> (L, C)
    return Labelled(path.name, "series", _finite(path, items), [str(v) for v in y])


def _finite(path: Path, items: list[np.ndarray]) -> list[np.ndarray]:
    for i, x in enumerate(items):
        if not np.isfinite(x).all():
            raise ValueError(f"{path}: series {i} has missing or infinite values")
    return items


def _read_utf8(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: invalid UTF-8 at byte offset {e.start}") from None


def balanced_weights(counts: list[int]) -> list[float]:
    """Inverse-frequency weights with mean 1 over the classes (zero counts get 0)."""
    inv = [1.0 / n if n else 0.0 for n in counts]
    present = [w for w in inv if w] or [1.0]
    mean = sum(present) / len(present)
    return [w / mean for w in inv]
