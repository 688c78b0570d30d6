import json

import numpy as np
import pytest
import torch

from rnnkit.data.text import TextDataConfig, load_text_data

TEXT = "the quick brown fox jumps over the lazy dog.\n" * 100


@pytest.fixture
def corpus_path(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT)
    return path


def test_splits_are_views_of_one_memmap_covering_the_corpus(tmp_path, corpus_path):
    config = TextDataConfig(corpus=str(corpus_path), split=(0.8, 0.1, 0.1))
    data = load_text_data(config, cache_dir=tmp_path / "cache")
    sizes = [len(data.train), len(data.val), len(data.test)]
    assert sum(sizes) == len(data.tokens) == len(TEXT)
    assert sizes == [3600, 450, 450]
    for part in (data.train, data.val, data.test):
        assert isinstance(part, np.memmap) and np.shares_memory(part, data.tokens)
    joined = np.concatenate([data.train, data.val, data.test])
    assert data.tokenizer.decode(joined) == TEXT


def test_splits_convert_to_tensors_without_copy_or_warning_and_protect_the_file(
    tmp_path, corpus_path
):
    data = load_text_data(TextDataConfig(corpus=str(corpus_path)), cache_dir=tmp_path)
    before = (data.cache_path / "tokens.bin").read_bytes()
    train = torch.from_numpy(data.train)  # warnings are errors: no read-only warning
    assert train.dtype == torch.uint8 and train.data_ptr() == data.train.ctypes.data
    assert torch.equal(train[:5].long(), torch.as_tensor(data.tokenizer.encode(TEXT[:5])))
    train[:10] = 0  # copy-on-write: the cache file is untouched
    assert (data.cache_path / "tokens.bin").read_bytes() == before


def test_split_is_deterministic_and_90_10_is_expressible(tmp_path, corpus_path):
    config = TextDataConfig(corpus=str(corpus_path), level="word", split=(0.9, 0.1, 0.0))
    a = load_text_data(config, cache_dir=tmp_path)
    b = load_text_data(config, cache_dir=tmp_path)
    assert len(a.test) == 0 and len(a.train) + len(a.val) == len(a.tokens)
    assert a.val.tolist() == b.val.tolist()


def test_tokenizer_is_saved_with_the_cache(tmp_path, corpus_path):
    config = TextDataConfig(corpus=str(corpus_path), max_vocab=5)
    data = load_text_data(config, cache_dir=tmp_path)
    saved = json.loads((data.cache_path / "vocab.json").read_text())
    assert saved["tokens"] == list(data.tokenizer.vocab.tokens) and len(saved["tokens"]) == 5


def test_config_round_trips_through_json():
    config = TextDataConfig(corpus="fortunes", level="word", max_vocab=1000, split=(0.9, 0.1, 0))
    back = TextDataConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back == config


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"corpus": ""}, "corpus"),
        ({"level": "byte"}, "level"),
        ({"max_vocab": 1}, "max_vocab"),
        ({"min_count": 0}, "min_count"),
        ({"split": (0.5, 0.5)}, "split"),
        ({"split": (0.5, 0.2, 0.2)}, "split"),
        ({"split": (0.0, 0.5, 0.5)}, "split"),
        ({"split": (1.1, -0.1, 0.0)}, "split"),
        ({"chunk_bytes": 0}, "chunk_bytes"),
    ],
)
def test_config_errors_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        TextDataConfig(**kwargs)


def test_unknown_config_key():
    with pytest.raises(ValueError, match="unknown TextDataConfig field"):
        TextDataConfig.from_dict({"corpus": "x", "shuffle": True})
