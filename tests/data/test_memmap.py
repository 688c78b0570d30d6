import numpy as np
import pytest

from rnnkit.data.corpora import load_corpus
from rnnkit.data.memmap import split_bounds, token_dtype, tokenize_to_memmap
from rnnkit.data.tokenize import CharTokenizer, WordTokenizer

TEXT = "Ünïcödé wörds, “quotes” and 😀 emoji.\nSecond line: naïve café — 日本語!\n" * 40


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return load_corpus(path)


@pytest.mark.parametrize("level", ["char", "word"])
@pytest.mark.parametrize("chunk_bytes", [1, 3, 7, 64])
def test_memmap_equals_in_memory_encoding(tmp_path, corpus, level, chunk_bytes):
    cls = CharTokenizer if level == "char" else WordTokenizer
    expected = cls.fit(TEXT)
    array = tokenize_to_memmap(
        corpus, tmp_path / f"cache{chunk_bytes}", level=level, chunk_bytes=chunk_bytes
    )
    assert isinstance(array.tokens, np.memmap) and array.tokens.dtype == np.uint8
    assert array.tokenizer.vocab.tokens == expected.vocab.tokens
    assert array.tokens.tolist() == expected.encode(TEXT).tolist()
    assert array.tokenizer.decode(array.tokens) == TEXT


def test_text_is_read_in_bounded_chunks(tmp_path, corpus, monkeypatch):
    seen = []
    original = type(corpus).chunks

    def spy(self, chunk_bytes):
        for chunk in original(self, chunk_bytes):
            seen.append(len(chunk.encode()))
            yield chunk

    monkeypatch.setattr(type(corpus), "chunks", spy)
    tokenize_to_memmap(corpus, tmp_path / "c", chunk_bytes=16)
    assert len(seen) > 100 and max(seen) <= 16 + 3  # + an incomplete character carried over


def test_cache_is_reused_then_rebuilt_when_the_file_changes(tmp_path, corpus, monkeypatch):
    first = tokenize_to_memmap(corpus, tmp_path, level="word")

    def refuse(*args, **kwargs):
        raise AssertionError("tokenised again")

    with monkeypatch.context() as m:
        m.setattr(WordTokenizer, "fit_stream", refuse)
        again = tokenize_to_memmap(corpus, tmp_path, level="word")
    assert again.path == first.path
    assert tokenize_to_memmap(corpus, tmp_path, level="char").path != first.path
    corpus.files[0].write_text("changed text\n", encoding="utf-8")
    changed = tokenize_to_memmap(load_corpus(corpus.files[0]), tmp_path, level="word")
    assert (
        changed.path != first.path and changed.tokenizer.decode(changed.tokens) == "changed text\n"
    )


def test_dtype_grows_with_the_vocabulary(tmp_path):
    words = " ".join(f"w{i}" for i in range(300))
    path = tmp_path / "words.txt"
    path.write_text(words)
    array = tokenize_to_memmap(load_corpus(path), tmp_path, level="word")
    assert array.tokens.dtype == np.uint16
    assert token_dtype(256) == np.uint8 and token_dtype(257) == np.uint16
    assert token_dtype(70_000) == np.uint32


@pytest.mark.parametrize("n", [0, 1, 7, 100, 12345])
@pytest.mark.parametrize("fractions", [(0.9, 0.05, 0.05), (0.9, 0.1, 0.0), (1 / 3, 1 / 3, 1 / 3)])
def test_split_bounds_are_contiguous_disjoint_and_covering(n, fractions):
    bounds = split_bounds(n, fractions)
    assert bounds == split_bounds(n, fractions)
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a <= b for a, b in bounds)
    assert all(b == c for (_, b), (c, _) in zip(bounds[:-1], bounds[1:], strict=True))
    assert all(abs((b - a) - f * n) <= 1 for (a, b), f in zip(bounds, fractions, strict=True))
