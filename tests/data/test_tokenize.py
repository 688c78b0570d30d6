import random

import numpy as np
import pytest

from rnnkit.data.tokenize import (
    CharTokenizer,
    WordTokenizer,
    load_tokenizer,
    make_tokenizer,
    tokenizer_from_json,
)

TEXT = (
    "Hello, world!  Ça va?\n\n  Naïve café -- 日本語 don't\tstop.\r\n"
    "Emoji 🙂 and ß; numbers 3.14 and snake_case.\n"
)
TOKENIZERS = [CharTokenizer, WordTokenizer]


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_round_trip_including_unicode(cls):
    tok = cls.fit(TEXT)
    ids = tok.encode(TEXT)
    assert ids.dtype == np.int64 and ids.ndim == 1
    assert 0 not in ids  # everything is in the vocabulary
    assert tok.decode(ids) == TEXT


def test_char_tokens_are_code_points():
    tok = CharTokenizer.fit(TEXT)
    assert len(tok.encode(TEXT)) == len(TEXT)
    assert "🙂" in tok.vocab.index and "日" in tok.vocab.index


def test_word_split_keeps_a_leading_space_with_words_and_punctuation():
    tok = WordTokenizer.fit("x")
    assert tok.split("Hello, world!  Bye\n") == ["Hello", ",", " world", "!", " ", " Bye", "\n"]
    assert tok.split("don't") == ["don", "'", "t"]


def test_unknown_tokens_map_to_unk():
    word = WordTokenizer.fit("the cat the dog the")
    ids = word.encode("the bird")
    assert ids.tolist() == [word.vocab.index["the"], 0]
    assert word.decode(ids) == "the<unk>"
    char = CharTokenizer.fit("abc")
    assert char.encode("abz").tolist() == [char.vocab.index["a"], char.vocab.index["b"], 0]
    assert char.decode(char.encode("abz")) == "ab\ufffd"


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_capped_vocabulary_keeps_the_most_frequent(cls):
    text = "aaaa bbb cc d " * 3
    tok = cls.fit(text, max_size=3)
    assert tok.vocab_size == 3
    ids = tok.encode(text)
    assert (ids == 0).any() and (ids > 0).any()
    assert len(tok.decode(ids)) > 0


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_json_save_load_round_trip(cls, tmp_path):
    tok = cls.fit(TEXT, max_size=20, min_count=1)
    tok.save(tmp_path / "vocab.json")
    back = load_tokenizer(tmp_path / "vocab.json")
    assert type(back) is cls
    assert back.vocab.tokens == tok.vocab.tokens and back.max_size == 20
    assert back.encode(TEXT).tolist() == tok.encode(TEXT).tolist()


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_streaming_equals_whole_text_at_any_chunk_boundary(cls):
    tok = cls.fit(TEXT)
    whole = tok.encode(TEXT)
    rng = random.Random(0)
    for _ in range(100):
        cuts = sorted(rng.sample(range(1, len(TEXT)), rng.randint(1, 12)))
        chunks = [TEXT[a:b] for a, b in zip([0, *cuts], [*cuts, len(TEXT)], strict=True)]
        assert np.concatenate(list(tok.encode_stream(chunks))).tolist() == whole.tolist()
        assert cls.fit_stream(chunks).vocab.tokens == tok.vocab.tokens


def test_bad_inputs_are_one_line_value_errors(tmp_path):
    with pytest.raises(ValueError, match="level must be one of"):
        make_tokenizer("byte")
    with pytest.raises(ValueError, match="format"):
        tokenizer_from_json({"tokens": ["<unk>"]})
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_tokenizer(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="out of range"):
        CharTokenizer.fit("ab").decode([7])
