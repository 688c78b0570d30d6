"""Scores of written sequences, by hand, and the rule-based date baseline."""

import pytest

from rnnkit.baselines.translation import (
    copy_baseline,
    dateutil_baseline,
    edit_distance,
    parse_date,
    scores,
)

pytest.importorskip("sacrebleu")


@pytest.mark.parametrize(
    ("a", "b", "d"), [("", "", 0), ("abc", "abc", 0), ("kitten", "sitting", 3), ("", "ab", 2)]
)
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


def test_scores_by_hand():
    s = scores(["abc", "abd"], ["abc", "abc"], level="char")
    assert s["exact_match"] == 0.5
    assert s["cer"] == pytest.approx(1 / 6)
    perfect = scores(["the cat sat on the mat"], ["the cat sat on the mat"], level="word")
    assert perfect["bleu"] == pytest.approx(100) and perfect["chrf"] == pytest.approx(100)
    with pytest.raises(ValueError, match="2 outputs for 1 references"):
        scores(["a", "b"], ["a"], level="char")


def test_dateutil_reads_english_and_picks_day_order_on_validation():
    assert parse_date("Dec 5, 1993", dayfirst=False) == "1993-12-05"
    assert parse_date("nonsense words", dayfirst=True) == ""
    splits = {
        "val": (["05/12/1993", "13/01/2000"], ["1993-12-05", "2000-01-13"]),
        "test": (["01/02/2003"], ["2003-02-01"]),
    }
    result = dateutil_baseline(splits)
    assert result["setting"] == {"dayfirst": True}
    assert result["test_exact_match"] == 1.0 and "train_exact_match" not in result


def test_copy_baseline_scores_the_source():
    r = copy_baseline({"test": (["abc", "xy"], ["abc", "yx"])}, "char")
    assert r["test_exact_match"] == 0.5
