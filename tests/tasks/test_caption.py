"""Captioning's encoder pretraining: it learns the training digits, and loaded runs skip it."""

import pytest
import torch

from rnnkit.models.captioner import CaptionConfig, Captioner
from rnnkit.tasks.caption import pretrain_blocks

pytest.importorskip("sklearn")


def test_pretraining_teaches_the_block_encoder_the_digits():
    from rnnkit.data.strips import digit_pools

    torch.manual_seed(0)
    pools = digit_pools(seed=0)
    model = Captioner(CaptionConfig(hidden_size=32, target_vocab=6, channels=8))
    before = [p.detach().clone() for p in model.decoder.parameters()]
    assert pretrain_blocks(model, pools, 300) < 0.5  # chance is log(10) = 2.3
    after = list(model.decoder.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # only the encoder learns
