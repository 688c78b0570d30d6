"""The runner: lengths, reverse direction, capture."""

import torch

from rnnkit.cells import GRUCell, LSTMCell
from rnnkit.layers.runner import reverse_padded, run, time_mask


def test_reverse_padded_reverses_within_each_length():
    x = torch.arange(4).view(4, 1, 1).expand(4, 3, 1).float()  # (T, B, 1), value = t
    out = reverse_padded(x, torch.tensor([4, 2, 1]))
    assert out[:, 0, 0].tolist() == [3, 2, 1, 0]
    assert out[:, 1, 0].tolist() == [1, 0, 2, 3]  # padding stays in place
    assert out[:, 2, 0].tolist() == [0, 1, 2, 3]
    assert torch.equal(reverse_padded(out, torch.tensor([4, 2, 1])), x)  # an involution


def test_steps_past_length_keep_state_and_output_zero():
    torch.manual_seed(0)
    cell = LSTMCell(3, 4)
    x = torch.randn(5, 2, 3)
    lengths = torch.tensor([5, 2])
    out, (h, c), _ = run(cell, x, lengths=lengths)
    assert torch.all(out[2:, 1] == 0)
    short_out, (h2, c2), _ = run(cell, x[:2, 1:])  # the short sequence alone
    torch.testing.assert_close(h[1], h2[0])
    torch.testing.assert_close(c[1], c2[0])
    torch.testing.assert_close(out[:2, 1], short_out[:, 0])


def test_reverse_starts_at_each_sequences_own_end():
    torch.manual_seed(0)
    cell = GRUCell(3, 4)
    x = torch.randn(5, 2, 3)
    out, (h,), _ = run(cell, x, lengths=torch.tensor([5, 3]), reverse=True)
    alone, (h_alone,), _ = run(cell, x[:3, 1:].flip(0))  # read backwards from step 2
    torch.testing.assert_close(out[:3, 1], alone[:, 0].flip(0))
    torch.testing.assert_close(h[1], h_alone[0])
    assert torch.all(out[3:, 1] == 0)


def test_capture_records_every_gate_and_state():
    torch.manual_seed(0)
    cell = LSTMCell(3, 4)
    x = torch.randn(5, 2, 3)
    out, (h, c), trace = run(cell, x, lengths=torch.tensor([5, 3]), capture=True)
    assert set(trace) == {"i", "f", "g", "o", "h", "c"}
    assert all(v.shape == (5, 2, 4) for v in trace.values())
    torch.testing.assert_close(trace["h"], out)
    torch.testing.assert_close(trace["c"][2, 1], c[1])  # last true step of sequence 1
    assert torch.all(trace["f"][3:, 1] == 0)
    assert torch.all((trace["f"][:, 0] > 0) & (trace["f"][:, 0] < 1))
    _, _, empty = run(cell, x)
    assert empty == {}


def test_time_mask():
    m = time_mask(torch.tensor([2, 0, 3]), 3, torch.device("cpu"))
    assert m.shape == (3, 3, 1)
    assert m[..., 0].T.tolist() == [[True, True, False], [False, False, False], [True, True, True]]
