import pytest
import torch

from rnnkit.generation import SamplingConfig, filter_logits, sample_token


def test_greedy_is_argmax():
    logits = torch.randn(5, 11)
    assert torch.equal(sample_token(logits, SamplingConfig(temperature=0)), logits.argmax(-1))


def test_low_temperature_equals_greedy():
    torch.manual_seed(0)
    logits = torch.randn(64, 30)
    g = torch.Generator().manual_seed(1)
    cold = sample_token(logits, SamplingConfig(temperature=1e-4), generator=g)
    assert torch.equal(cold, logits.argmax(-1))


def test_top_k_keeps_k_most_likely():
    logits = torch.tensor([[0.0, 3.0, 1.0, 2.0]])
    kept = filter_logits(logits, top_k=2)
    assert torch.isfinite(kept).tolist() == [[False, True, False, True]]
    g = torch.Generator().manual_seed(0)
    draws = {sample_token(logits, SamplingConfig(top_k=2), generator=g).item() for _ in range(200)}
    assert draws == {1, 3}


def test_top_p_keeps_smallest_nucleus():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    logits = probs.log()
    assert torch.isfinite(filter_logits(logits, top_p=0.8)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=0.81)).tolist() == [[True, True, True, False]]
    # the most likely token survives even a tiny p
    assert torch.isfinite(filter_logits(logits, top_p=0.01)).tolist() == [
        [True, False, False, False]
    ]


def test_sampling_follows_distribution():
    probs = torch.tensor([0.7, 0.2, 0.1])
    logits = probs.log().expand(20000, 3)
    g = torch.Generator().manual_seed(0)
    counts = torch.bincount(sample_token(logits, generator=g), minlength=3).float() / 20000
    assert torch.allclose(counts, probs, atol=0.02)


@pytest.mark.parametrize(
    "kwargs, field",
    [({"temperature": -1}, "temperature"), ({"top_k": 0}, "top_k"), ({"top_p": 0}, "top_p")],
)
def test_bad_config(kwargs, field):
    with pytest.raises(ValueError, match=field):
        SamplingConfig(**kwargs)
