import math

import numpy as np
import pytest

from rnnkit.baselines import NGramConfig, default_baselines, evaluate_baselines, loss_metrics


def test_evaluate_baselines_reports_loss_bits_and_perplexity():
    x = np.tile(np.array([0, 1, 2, 3, 2, 1]), 50)
    results = evaluate_baselines(
        x[:240],
        x[240:],
        vocab_size=5,
        configs=[*default_baselines(range(3)), NGramConfig(1, "add_k", k=0.1)],
    )
    assert list(results) == [
        "kn-0",
        "add_k-0",
        "kn-1",
        "add_k-1",
        "kn-2",
        "add_k-2",
        "add_k-1@k=0.1",
    ]
    for metrics in results.values():
        assert set(metrics) == {"val_loss", "val_bits_per_token", "val_perplexity"}
        assert metrics["val_bits_per_token"] == pytest.approx(metrics["val_loss"] / math.log(2))
        assert metrics["val_perplexity"] == pytest.approx(math.exp(metrics["val_loss"]))
    assert results["kn-2"]["val_loss"] < results["kn-0"]["val_loss"]


def test_loss_metrics_prefix():
    assert loss_metrics(0.0, prefix="test") == {
        "test_loss": 0.0,
        "test_bits_per_token": 0.0,
        "test_perplexity": 1.0,
    }
