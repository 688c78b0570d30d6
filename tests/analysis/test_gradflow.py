"""Gradient flow: the tool's norms equal autograd's on a hand-unrolled loop."""

import pytest
import torch

from rnnkit.analysis.gradflow import hidden_grad_norms, orthogonal_recurrent_init
from rnnkit.data.longrange import adding_batch
from rnnkit.models.sequence import ManyToOne, SeqBatch, SequenceConfig


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_norms_equal_autograd_on_unrolled_loop(cell):
    torch.manual_seed(0)
    model = ManyToOne(SequenceConfig(cell=cell, input_size=2, hidden_size=5))
    x, y = adding_batch(3, 7, torch.Generator().manual_seed(1))
    flow = hidden_grad_norms(model, model.rnn, lambda m: m(SeqBatch(x, y)).loss)

    # oracle: unroll the cell by hand, take dL/dh_t of the summed per-example loss
    c = model.rnn.cell(0)
    state = c.initial_state(3)
    hs = []
    for t in range(7):
        _, state = c(x[:, t], state)
        hs.append(state[0])
    pred = model.head(hs[-1]).squeeze(-1)
    loss = ((pred - y) ** 2).sum()
    grads = torch.autograd.grad(loss, hs)
    expected = [float(g.norm(dim=-1).mean()) for g in grads]
    assert flow.grad_norms == pytest.approx(expected, rel=1e-4, abs=1e-9)
    assert flow.ratio_first_last == pytest.approx(expected[0] / expected[-1], rel=1e-4)
    assert all(p.grad is None for p in model.parameters())
    assert model.rnn.chosen_backend != "reference"  # the probe did not stick


def test_tanh_rnn_vanishes_and_large_relu_rnn_explodes():
    torch.manual_seed(0)
    x, y = adding_batch(16, 60, torch.Generator().manual_seed(0))
    tanh = ManyToOne(SequenceConfig(cell="rnn", input_size=2, hidden_size=32))
    flow = hidden_grad_norms(tanh, tanh.rnn, lambda m: m(SeqBatch(x, y)).loss)
    assert flow.ratio_first_last < 1e-6
    relu = ManyToOne(
        SequenceConfig(
            cell="rnn", input_size=2, hidden_size=32, cell_options={"nonlinearity": "relu"}
        )
    )
    orthogonal_recurrent_init(relu.rnn, 3.0)
    flow = hidden_grad_norms(relu, relu.rnn, lambda m: m(SeqBatch(x, y)).loss)
    assert flow.ratio_first_last > 1e3


def test_gain_refused_for_cells_without_recurrent_weights():
    import rnnkit
    from rnnkit.analysis.gradflow import orthogonal_recurrent_init

    with pytest.raises(ValueError, match="has none"):
        orthogonal_recurrent_init(rnnkit.MinGRU(2, 4), 1.5)
