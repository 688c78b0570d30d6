"""rnnkit/generation/decode.py (and its use by the language model): one step per token,
temperature -> 0 is greedy, beam width 1 is greedy."""

import pytest
import torch

from rnnkit.data import CharTokenizer
from rnnkit.generation import SamplingConfig, beam_search
from rnnkit.generation.decode import decode
from rnnkit.models.lm import LanguageModel, LMBatch, LMConfig
from rnnkit.tasks.lm.generate import beam_texts, encode_prime, generate_text

TEXT = "the quick brown fox jumps over the lazy dog\n"


@pytest.fixture(scope="module")
def lm():
    torch.manual_seed(0)
    tokenizer = CharTokenizer.fit(TEXT)
    config = LMConfig(vocab_size=tokenizer.vocab_size, hidden_size=24, num_layers=2, embed_size=8)
    model = LanguageModel(config).eval()
    with torch.no_grad():  # sharper logits than at initialisation, so choices matter
        model.head.weight.mul_(20)
    return model, tokenizer


def test_greedy_decoding_is_the_argmax_of_a_full_forward(lm):
    model, tokenizer = lm
    calls = []

    def step(token, state):
        calls.append(int(token))
        return model.step(token, state)

    prime = encode_prime(tokenizer, "the ")  # (1, T)
    logits, state = model.prime(prime)
    seen = []
    out = decode(step, logits, state, length=30, sampling=SamplingConfig(0.0), on_token=seen.append)
    assert seen == out and len(out) == 30
    assert calls == out[:-1]  # one step per new token, the prefix is never read again
    whole = torch.cat([prime, torch.tensor([out])], dim=1)  # (1, T + 30)
    full = model(LMBatch(whole)).prediction[0].argmax(-1)  # (T + 30,)
    assert full[prime.shape[1] - 1 : -1].tolist() == out


def test_low_temperature_sampling_equals_greedy(lm):
    model, tokenizer = lm
    greedy = generate_text(model, tokenizer, "the ", length=40, sampling=SamplingConfig(0.0))
    cold = generate_text(model, tokenizer, "the ", length=40, sampling=SamplingConfig(1e-4), seed=3)
    hot = generate_text(model, tokenizer, "the ", length=40, sampling=SamplingConfig(2.0), seed=3)
    assert cold == greedy != hot


def test_beam_width_one_equals_greedy(lm):
    model, tokenizer = lm
    greedy = generate_text(model, tokenizer, "a", length=25, sampling=SamplingConfig(0.0))
    [(text, log_prob)] = beam_texts(model, tokenizer, "a", length=25, width=1)
    assert text == greedy and log_prob < 0
    wide = beam_texts(model, tokenizer, "a", length=25, width=5)
    assert len(wide) == 5 and wide[0][1] >= log_prob - 1e-4  # a wider beam finds no worse


def test_seeded_sampling_is_reproducible_and_top_k_one_is_greedy(lm):
    model, tokenizer = lm
    a = generate_text(model, tokenizer, "", length=50, seed=7)
    assert a == generate_text(model, tokenizer, "", length=50, seed=7)
    assert a != generate_text(model, tokenizer, "", length=50, seed=8)
    greedy = generate_text(model, tokenizer, "", length=50, sampling=SamplingConfig(0.0))
    top1 = generate_text(model, tokenizer, "", length=50, sampling=SamplingConfig(1.0, top_k=1))
    assert top1 == greedy


def test_beam_search_uses_the_model_state_layout(lm):
    model, tokenizer = lm
    logits, state = model.prime(encode_prime(tokenizer, "fox"))
    with torch.no_grad():
        beams = beam_search(model.step, state, logits, width=3, length=10)
    assert len(beams) == 3 and beams[0].log_prob >= beams[-1].log_prob
    assert all(len(b.tokens) == 10 for b in beams)


def test_negative_length_is_an_error():
    with pytest.raises(ValueError, match="length"):
        decode(lambda t, s: (torch.zeros(1, 3), s), torch.zeros(3), None, length=-1)
