"""The names task: encoding, batches, the n-gram baseline and generation (no faker needed)."""

import pytest
import torch

from rnnkit.generation.sampling import SamplingConfig
from rnnkit.models.conditional import ConditionalConfig, ConditionalLM
from rnnkit.tasks.names import data as names
from rnnkit.tasks.names import name_batches
from rnnkit.tasks.names.generate import generate
from rnnkit.training import distributed as ddp
from rnnkit.training.distributed import DistInfo

PAIRS = [("Rossi", "Italian"), ("Ivanov", "Russian"), ("Bianchi", "Italian"), ("Li", "Chinese")]


def encoder() -> names.Encoder:
    return names.Encoder(names.TOKENS, ["Chinese", "Italian", "Russian"])


def tiny_model(cell: str = "gru") -> ConditionalLM:
    torch.manual_seed(0)
    config = ConditionalConfig(
        cell=cell, vocab_size=len(names.TOKENS), num_classes=3, hidden_size=16
    )
    return ConditionalLM(config).eval()


def test_batch_wraps_names_in_start_and_end_tokens():
    enc = encoder()
    b = enc.batch(PAIRS)
    assert b.x.shape == b.y.shape == (4, 8)  # "Bianchi" + 1
    assert b.lengths.tolist() == [6, 7, 8, 3]
    assert b.condition.tolist() == [1, 2, 1, 0]
    assert b.x[:, 0].tolist() == [enc.bos] * 4
    assert "".join(enc.tokens[i] for i in b.x[3, 1:3]) == "Li"
    assert [enc.tokens[i] for i in b.y[3, :3]] == ["L", "i", names.EOS]
    assert b.y[3, 3:].eq(0).all() and b.x[3, 3:].eq(0).all()  # padding


def test_unknown_language_and_characters_are_errors():
    enc = encoder()
    with pytest.raises(ValueError, match="unknown language 'Klingon'; available: Chinese, "):
        enc.language("Klingon")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        enc.ids("Müller")


def test_train_batches_are_deterministic_per_epoch_and_shard():
    pairs = PAIRS * 4
    whole = name_batches(encoder(), pairs, 4, seed=1)
    first, again = list(whole(0)), list(whole(0))
    assert len(first) == 4
    assert all(torch.equal(a.x, b.x) for a, b in zip(first, again, strict=True))
    assert any(not torch.equal(a.x, b.x) for a, b in zip(first, list(whole(1)), strict=True))
    halves = [ddp.shard_source(whole, DistInfo(rank=r, world=2)) for r in (0, 1)]
    parts = [next(iter(h(0))) for h in halves]
    assert torch.equal(torch.cat([p.condition for p in parts]), first[0].condition)


def test_ngram_baseline_is_per_language():
    enc = names.Encoder(names.TOKENS, ["A", "B"])
    train = [("Abab", "A"), ("Ababab", "A"), ("Xyxy", "B"), ("Xyxyxy", "B")] * 5
    heldout = [("Abababab", "A"), ("Xyxyxyxy", "B")]
    swapped = [("Abababab", "B"), ("Xyxyxyxy", "A")]
    right = names.baseline_xent(enc, train, heldout, 2)
    assert right < 1.0 and names.baseline_xent(enc, train, swapped, 2) > 3.0
    seq, scored = names._ngram_stream(enc, heldout, "A", 2)
    assert len(seq) == 2 + 8 + 1 and scored.sum() == 9  # the name and its end are scored


def test_greedy_generation_is_deterministic_and_honours_the_prime():
    model, enc = tiny_model(), encoder()
    greedy = SamplingConfig(temperature=0)
    a = generate(model, enc, "Italian", 3, greedy, seed=0, max_length=12)
    b = generate(model, enc, "Italian", 3, greedy, seed=5, max_length=12)
    assert a == b and len(set(a)) == 1
    assert generate(model, enc, "Italian", 1, greedy, max_length=12)[0] == _greedy(
        model, enc, "Italian", "", 12
    )
    primed = generate(model, enc, "Russian", 2, greedy, prime="Iv", max_length=12)
    assert primed == [_greedy(model, enc, "Russian", "Iv", 12)] * 2
    primed = generate(model, enc, "Russian", 4, SamplingConfig(), prime="Iv", max_length=9)
    assert all(n.startswith("Iv") and len(n) <= 9 for n in primed)
    assert all(names.PAD not in n and names.BOS not in n for n in primed)


def _greedy(model: ConditionalLM, enc: names.Encoder, language: str, text: str, n: int) -> str:
    """Greedy decoding by re-running the whole prefix each step (the slow oracle)."""
    while len(text) < n:
        batch = enc.batch([(text, language)])
        logits = model(batch).prediction[0, -1]  # (V,)
        logits[[0, enc.bos]] = float("-inf")
        token = int(logits.argmax())
        if token == enc.eos:
            break
        text += enc.tokens[token]
    return text


def test_task_config_errors_name_the_field():
    with pytest.raises(ValueError, match="languages"):
        names.NamesTaskConfig(languages=("Klingon",))
    with pytest.raises(ValueError, match="per_language"):
        names.NamesTaskConfig(per_language=0)
