import numpy as np

from rnnkit.baselines.counts import count_tables, lookup, modified_kn_discounts


def test_count_tables_on_a_tiny_text():
    x = np.array([0, 1, 0, 1, 2])
    unigrams, bigrams = count_tables(x, 1, vocab_size=3)
    assert unigrams.keys.tolist() == [0, 1, 2] and unigrams.raw.tolist() == [2, 2, 1]
    # bigram keys: id(context) * V + w, ids of unigrams are 0, 1, 2
    assert bigrams.keys.tolist() == [0 * 3 + 1, 1 * 3 + 0, 1 * 3 + 2]
    assert bigrams.raw.tolist() == [2, 1, 1]
    # continuation counts of unigrams: distinct left neighbours (0 <- 1, 1 <- 0, 2 <- 1)
    assert unigrams.continuation.tolist() == [1, 1, 1]
    assert bigrams.num_contexts == 3 and bigrams.contexts.tolist() == [0, 1, 1]


def test_lookup_marks_absent_and_negative_queries():
    keys = np.array([2, 5, 9])
    assert lookup(keys, np.array([5, 3, 9, 10, -1])).tolist() == [1, -1, 2, -1, -1]
    assert lookup(keys[:0], np.array([1])).tolist() == [-1]


def test_discounts_follow_chen_goodman_and_stay_in_range():
    counts = np.array([1] * 50 + [2] * 20 + [3] * 10 + [4] * 5)
    y = 50 / (50 + 2 * 20)
    expected = [1 - 2 * y * 20 / 50, 2 - 3 * y * 10 / 20, 3 - 4 * y * 5 / 10]
    np.testing.assert_allclose(modified_kn_discounts(counts), expected)
    d = modified_kn_discounts(np.array([5, 5, 5]))
    assert np.all(d >= 0.1) and np.all(d <= np.array([0.9, 1.9, 2.9]))
