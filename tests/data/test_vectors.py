"""Word vectors: every format reads into the same rows, case folding, coverage, errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from rnnkit.data.vectors import load_vectors, lookup_key, source_words

WORDS = ["the", ",", "Paris", "movie", "good", "bad", "New_York"]
RNG = np.random.default_rng(0)
TABLE = RNG.normal(size=(len(WORDS), 4)).astype(np.float32)  # (N, E)
VOCAB = ["<unk>", "the", "movie", " good", "paris", "Bad", "unseen", "\n", ","]


def write_text(path: Path, *, header: bool, words: list[str] = WORDS) -> Path:
    lines = [f"{len(words)} {TABLE.shape[1]}"] if header else []
    lines += [w + " " + " ".join(repr(float(x)) for x in TABLE[i]) for i, w in enumerate(words)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_binary(path: Path, *, newline: bool) -> Path:
    out = f"{len(WORDS)} {TABLE.shape[1]}\n".encode()
    for i, w in enumerate(WORDS):
        out += w.encode() + b" " + TABLE[i].astype("<f4").tobytes() + (b"\n" if newline else b"")
    path.write_bytes(out)
    return path


def write_registered(root: Path, *, fortran: bool = False) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    np.save(root / "glove_6B_50d_emb.npy", np.asfortranarray(TABLE) if fortran else TABLE)
    pq.write_table(pa.table({"index": WORDS}), root / "glove_6B_index.parquet")
    return root


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    gz = tmp_path / "glove.txt.gz"
    gz.write_bytes(gzip.compress(write_text(tmp_path / "g.txt", header=False).read_bytes()))
    return {
        "glove": write_text(tmp_path / "glove.txt", header=False),
        "word2vec-text": write_text(tmp_path / "w2v.txt", header=True),
        "fasttext": write_text(tmp_path / "wiki.vec", header=True),
        "word2vec-bin": write_binary(tmp_path / "w2v.bin", newline=True),
        "word2vec-bin-packed": write_binary(tmp_path / "packed.bin", newline=False),
        "glove-gz": gz,
    }


def expected_rows() -> dict[int, np.ndarray]:
    """Vocabulary id -> the source row it must get."""
    return {1: TABLE[0], 2: TABLE[3], 3: TABLE[4], 4: TABLE[2], 5: TABLE[5], 8: TABLE[1]}


def test_every_format_reads_the_same_vectors(sources: dict[str, Path]) -> None:
    got = {name: load_vectors(str(p), VOCAB) for name, p in sources.items()}
    for name, v in got.items():
        assert v.dim == 4, name
        for i, row in expected_rows().items():
            np.testing.assert_array_equal(v.matrix[i], row, err_msg=f"{name} row {i}")
        assert v.found.tolist() == [False, True, True, True, True, True, False, False, True]
    first = got["glove"]
    for v in got.values():
        np.testing.assert_array_equal(v.found, first.found)
        np.testing.assert_array_equal(v.matrix[v.found], first.matrix[first.found])


@pytest.mark.parametrize("fortran", [False, True])  # the packaged GloVe is column-major
def test_registered_source_reads_the_same_rows(
    tmp_path: Path, sources: dict[str, Path], fortran: bool
) -> None:
    root = write_registered(tmp_path, fortran=fortran)
    v = load_vectors("glove-6b-50d", VOCAB, root=root)
    ref = load_vectors(str(sources["glove"]), VOCAB)
    np.testing.assert_array_equal(v.found, ref.found)
    np.testing.assert_array_equal(v.folded, ref.folded)
    np.testing.assert_array_equal(v.matrix, ref.matrix)  # the same seeded draws too


def test_case_folding_is_a_fallback_after_the_exact_word(tmp_path: Path) -> None:
    words = ["apple", "Apple", "APPLE", "pear"]
    path = tmp_path / "cased.txt"
    rows = np.arange(len(words) * 2, dtype=np.float32).reshape(-1, 2)
    path.write_text("".join(f"{w} {r[0]} {r[1]}\n" for w, r in zip(words, rows)))
    v = load_vectors(str(path), ["<unk>", "Apple", "aPPle", "PEAR", "apple"])
    np.testing.assert_array_equal(v.matrix[1], rows[1])  # exact spelling wins
    np.testing.assert_array_equal(v.matrix[2], rows[0])  # folded: the first spelling
    np.testing.assert_array_equal(v.matrix[3], rows[3])
    np.testing.assert_array_equal(v.matrix[4], rows[0])
    assert v.folded.tolist() == [False, False, True, True, False]


def test_coverage_counts_vocabulary_and_training_tokens(sources: dict[str, Path]) -> None:
    v = load_vectors(str(sources["glove"]), VOCAB)
    counts = [7, 50, 10, 5, 3, 2, 4, 30, 20]  # id 0: tokens left out of the vocabulary
    c = v.coverage(counts)
    assert c["words"] == 7  # <unk> and the newline token can have no vector
    assert c["words_found"] == 6 and c["words_case_folded"] == 2
    assert c["vocab_coverage"] == pytest.approx(6 / 7)
    found = 50 + 10 + 5 + 3 + 2 + 20
    assert c["token_coverage"] == pytest.approx(found / (found + 7 + 4))
    with pytest.raises(ValueError, match="counts"):
        v.coverage([1, 2])


def test_rows_not_found_are_drawn_on_the_scale_of_the_found_rows(tmp_path: Path) -> None:
    n, E = 400, 3
    table = np.random.default_rng(1).normal(5.0, 2.0, size=(n, E)).astype(np.float32)
    path = tmp_path / "big.txt"
    path.write_text("".join(f"w{i} " + " ".join(map(str, table[i])) + "\n" for i in range(n)))
    vocab = ["<unk>"] + [f"w{i}" for i in range(n)] + [f"x{i}" for i in range(n)]
    v = load_vectors(str(path), vocab, seed=3)
    drawn = v.matrix[~v.found]
    assert drawn.shape == (n + 1, E)
    np.testing.assert_allclose(drawn.mean(0), table.mean(0), atol=0.4)
    np.testing.assert_allclose(drawn.std(0), table.std(0), rtol=0.2)
    again = load_vectors(str(path), vocab, seed=3)
    np.testing.assert_array_equal(again.matrix, v.matrix)  # seeded


def test_a_word_with_spaces_in_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "spaced.txt"
    path.write_text("the 3 4 \nnew york 1 2\nyork 5 6\n")  # a trailing space on line 1
    v = load_vectors(str(path), ["<unk>", "new york", "york", "the"])
    np.testing.assert_array_equal(v.matrix[1:], [[1, 2], [5, 6], [3, 4]])


def test_lookup_key_strips_spaces() -> None:
    assert lookup_key(" world") == "world"
    assert lookup_key("\n\n") is None and lookup_key("  ") is None


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", "empty"),
        ("the 1 2 3\nmovie 1 2\n", "line 2: expected a word and 3 values, got 2"),
        ("the 1 2 x\n", "line 1: a value is not a number"),
        ("2 3\nthe 1 2 3\n", "ends early|no word"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / ("v.bin" if "ends" in match else "v.txt")
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_vectors(str(path), ["<unk>", "the", "movie"])


def test_unknown_source_and_no_overlap(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a word-vector file nor a registered source"):
        load_vectors(str(tmp_path / "nope.txt"), ["<unk>", "a"])
    path = write_text(tmp_path / "g.txt", header=False)
    with pytest.raises(ValueError, match="no word of the vocabulary"):
        load_vectors(str(path), ["<unk>", "zebra"])


def test_source_words_are_the_first_words_of_any_source(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    for path in sources.values():
        assert source_words(str(path), 3) == WORDS[:3]
    assert source_words("glove-6b-50d", 4, root=write_registered(tmp_path)) == WORDS[:4]
    assert source_words(str(sources["glove"]), 100) == WORDS
