import pytest

from rnnkit.data.vocab import UNK, Vocab


def test_build_orders_by_count_then_token_with_unk_first():
    vocab = Vocab.build({"b": 3, "a": 3, "c": 5, "d": 1})
    assert vocab.tokens == (UNK, "c", "a", "b", "d")
    assert vocab.index["c"] == 1


def test_caps_drop_rare_tokens():
    counts = {"a": 5, "b": 4, "c": 1}
    assert Vocab.build(counts, max_size=3).tokens == (UNK, "a", "b")
    assert Vocab.build(counts, min_count=2).tokens == (UNK, "a", "b")


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"max_size": 1}, "max_size"), ({"min_count": 0}, "min_count")]
)
def test_bad_caps_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Vocab.build({"a": 1}, **kwargs)


def test_token_list_must_start_with_unk_and_be_unique():
    with pytest.raises(ValueError, match="first token"):
        Vocab(("a", UNK))
    with pytest.raises(ValueError, match="duplicate"):
        Vocab((UNK, "a", "a"))
