"""Parallel text and digit strips: splits that never leak, sources with one reading."""

import numpy as np
import pytest

from rnnkit.data.parallel import (
    HELDOUT_STYLES,
    STYLES,
    dates,
    format_date,
    from_tsv,
    load_parallel,
    numbers,
    style_name,
)
from rnnkit.data.strips import compose, digit_pools, random_numbers, shift, strips

pytest.importorskip("babel")


@pytest.fixture(scope="module")
def data():
    return dates(train_size=3000, eval_size=600, seed=0)


def test_no_test_date_is_a_training_date(data):
    train = set(data.targets("train"))
    assert not train & set(data.targets("test"))
    assert not train & set(data.targets("val"))
    assert not train & set(data.targets("heldout"))


def test_held_out_formats_never_appear_in_training(data):
    held = {style_name(s) for s in HELDOUT_STYLES}
    assert not held & set(data.tags["train"]) and set(data.tags["heldout"]) <= held
    assert not held & {style_name(s) for s in STYLES}


def test_every_source_has_one_reading():
    import datetime

    seen = {}
    day = datetime.date(1950, 1, 1)
    for n in range(0, 36500, 7):
        d = day + datetime.timedelta(n)
        for style in STYLES + HELDOUT_STYLES:
            text = format_date(d, style)
            assert seen.setdefault(text, d) == d, (text, style)


def test_dates_are_deterministic_by_seed(data):
    again = dates(train_size=3000, eval_size=600, seed=0)
    assert again.pairs == data.pairs
    assert dates(train_size=3000, eval_size=600, seed=1).pairs != data.pairs


def test_numbers_split_disjoint_and_reordered_in_german():
    pytest.importorskip("num2words")
    d = numbers("digits", "de", max_number=999)
    splits = [set(d.sources(k)) for k in ("train", "val", "test")]
    assert sum(map(len, splits)) == 1000 and not (splits[0] & splits[2])
    assert (
        dict(load_parallel("numbers:en-de", max_number=30).pairs["train"]).get(
            "twenty-one", "einundzwanzig"
        )
        == "einundzwanzig"
    )
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        numbers("en", "xx")
    with pytest.raises(ValueError, match="numbers:SRC-TGT"):
        load_parallel("numbers:en")


def test_tsv_header_split_and_errors(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("source\ttarget\n" + "".join(f"a{i}\tb{i}\n" for i in range(20)) + "\n")
    d = from_tsv(path, test_fraction=0.25, val_fraction=0.2, seed=0)
    sizes = {k: len(v) for k, v in d.pairs.items()}
    assert sizes == {"test": 5, "val": 3, "train": 12}
    assert ("source", "target") not in d.pairs["train"]
    path.write_text("a\t\n")
    with pytest.raises(ValueError, match="empty target"):
        from_tsv(path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_parallel(str(tmp_path / "missing.tsv"))


def test_shift_moves_and_blanks():
    a = np.arange(16.0).reshape(4, 4)
    assert shift(a, 0, 0).tolist() == a.tolist()
    moved = shift(a, 1, -1)
    assert moved[1:, :3].tolist() == a[:3, 1:].tolist()
    assert moved[0].sum() == 0 and moved[:, 3].sum() == 0


def test_strips_use_their_own_split_and_write_the_number():
    pytest.importorskip("sklearn")
    pools = digit_pools(seed=0)
    flat = {k: {v.tobytes() for v in pools.images[k]} for k in pools.images}
    assert not flat["train"] & flat["test"]
    images, captions, digits = strips(pools, "test", 50, seed=3, max_digits=3)
    assert images.shape == (50, 8, 24)
    for image, number in zip(images, digits):
        for j in range(3):
            block = image[:, 8 * j : 8 * j + 8]
            assert block.any() == (j < len(number))
            if j < len(number):
                assert block.tobytes() in flat["test"]
    rng = np.random.default_rng(0)
    assert all(len(n) == 1 or n[0] != "0" for n in random_numbers(rng, 200, 4))
    jittered = compose(pools, "train", ["7"], np.random.default_rng(1), 1, jitter=1)
    assert jittered.shape == (1, 8, 8)
