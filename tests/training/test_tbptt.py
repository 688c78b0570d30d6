import numpy as np
import pytest
import torch

from rnnkit.training import Chunk, StreamBatches, TrainConfig, Trainer, chunk_lengths, detach_state
from rnnkit.training import distributed as ddp
from rnnkit.training.distributed import DistInfo
from rnnkit.training.tbptt import reset_lanes
from tests.training.helpers import Pair, stream, tiny_model


def lanes(s: torch.Tensor, b: int):
    """Reference lane split: (B, L, 1) inputs and next-step targets."""
    n = (s.shape[0] - 1) // b
    return s[: b * n].reshape(b, n, 1), s[1 : b * n + 1].reshape(b, n, 1)


def test_fixed_chunks_cover_the_stream_with_a_short_last_one():
    assert chunk_lengths(23, 10) == [10, 10, 3]
    assert chunk_lengths(20, 10) == [10, 10]


def test_random_chunk_lengths_are_seeded_and_vary():
    a = chunk_lengths(1000, 20, random=True, seed=1)
    assert sum(a) == 1000 and a == chunk_lengths(1000, 20, random=True, seed=1)
    assert a != chunk_lengths(1000, 20, random=True, seed=2)
    assert len(set(a)) > 3 and min(a[:-1]) >= 5
    assert 15 < sum(a) / len(a) < 22  # drawn around k (k/2 one time in 20)


def test_lanes_are_contiguous_pieces_of_the_stream():
    s = torch.arange(41.0).unsqueeze(-1)  # (41, 1)
    chunks = list(StreamBatches(s, lanes=4, bptt=4)(0))
    x = torch.cat([c.x for c in chunks], dim=1)  # (4, 10, 1)
    y = torch.cat([c.y for c in chunks], dim=1)
    assert [c.x.shape[1] for c in chunks] == [4, 4, 2]
    assert torch.equal(x[:, :, 0], torch.arange(40.0).reshape(4, 10))
    assert torch.equal(y, x + 1)


def test_ranks_take_their_own_lanes():
    s = torch.arange(41.0).unsqueeze(-1)
    batches = StreamBatches(s, lanes=4, bptt=4)
    full = next(iter(batches(0)))
    parts = [next(iter(ddp.shard_source(batches, DistInfo(rank=r, world=2))(0))) for r in (0, 1)]
    assert torch.equal(torch.cat([p.x for p in parts]), full.x)


def test_a_reversed_stream_reads_the_stream_backwards():
    s = torch.arange(41.0).unsqueeze(-1)  # (41, 1)
    chunks = list(StreamBatches(s, lanes=4, bptt=4, reverse=True)(0))
    x = torch.cat([c.x for c in chunks], dim=1)[:, :, 0]  # (4, 10)
    y = torch.cat([c.y for c in chunks], dim=1)[:, :, 0]
    assert torch.equal(x, (40 - torch.arange(40.0)).reshape(4, 10))
    assert torch.equal(y, x - 1)


def test_a_numpy_memmap_stream_gives_the_same_chunks(tmp_path):
    ids = np.arange(101, dtype=np.uint16) % 7
    ids.tofile(tmp_path / "ids.bin")
    mapped = np.memmap(tmp_path / "ids.bin", dtype=np.uint16, mode="r", shape=(101,))
    a = list(StreamBatches(mapped, lanes=3, bptt=8, doc_starts=[33, 40])(0))
    b = list(
        StreamBatches(torch.from_numpy(ids.astype(np.int64)), lanes=3, bptt=8, doc_starts=[33, 40])(
            0
        )
    )
    for p, q in zip(a, b, strict=True):
        assert torch.equal(p.x.long(), q.x) and torch.equal(p.y.long(), q.y)
        assert torch.equal(p.reset, q.reset)
    assert any(bool(c.reset.any()) for c in a)


def capture_grads(trainer: Trainer) -> dict[str, torch.Tensor]:
    grads = {}
    trainer.add_callback(
        "on_after_backward",
        lambda t: grads.update({n: p.grad.clone() for n, p in t.model.named_parameters()}),
    )
    trainer.fit()
    return grads


def test_tbptt_with_k_at_least_the_stream_is_full_bptt():
    s = stream(121)
    cfg = TrainConfig(steps=1, batch_size=4, lr=1e-3)
    tbptt = capture_grads(
        Trainer(tiny_model(), cfg, StreamBatches(s, lanes=4, bptt=1000), carry_state=True)
    )
    model = tiny_model()
    x, y = lanes(s, 4)
    model(Pair(x, y)).loss.backward()
    for name, p in model.named_parameters():
        assert torch.equal(tbptt[name], p.grad), name


def test_tbptt_first_step_has_the_gradients_of_the_first_chunk():
    s = stream(121)
    cfg = TrainConfig(steps=1, batch_size=4, lr=1e-3)
    short = capture_grads(
        Trainer(tiny_model(), cfg, StreamBatches(s, lanes=4, bptt=10), carry_state=True)
    )
    model = tiny_model()
    x, y = lanes(s, 4)
    model(Pair(x[:, :10], y[:, :10])).loss.backward()  # the first chunk alone: same grads
    assert all(torch.allclose(short[n], p.grad) for n, p in model.named_parameters())


def test_carried_state_gives_the_outputs_of_one_pass():
    s = stream(201)
    model = tiny_model(layers=2)
    state, outs = None, []
    for chunk in StreamBatches(s, lanes=4, bptt=7)(0):
        out = model(chunk, state=state)
        state = detach_state(out.state)
        outs.append(out.prediction)
    x, y = lanes(s, 4)
    whole = model(Pair(x, y)).prediction
    torch.testing.assert_close(torch.cat(outs, dim=1), whole, atol=1e-6, rtol=1e-6)
    assert not state[0].requires_grad


def test_document_start_resets_the_lane_state():
    s = stream(81)  # 4 lanes of 20 steps; lane 2 starts at 40; a document starts at 45
    batches = StreamBatches(s, lanes=4, bptt=5, doc_starts=[0, 45])
    chunks = list(batches(0))
    assert chunks[0].reset.tolist() == [True, False, False, False]
    assert chunks[1].reset.tolist() == [False, False, True, False]  # lane 2, step 5
    h = torch.ones(1, 4, 3)
    kept = reset_lanes((h, h), chunks[1])
    assert kept[0][0, 2].abs().sum() == 0 and kept[0][0, 1].sum() == 3
    assert reset_lanes(None, chunks[1]) is None


def test_trainer_zeroes_state_where_a_document_starts():
    s = stream(81)
    seen = []

    class Spy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = tiny_model()

        def forward(self, batch: Chunk, state=None):
            seen.append(None if state is None else state[0].detach().clone())
            return self.inner(batch, state)

    data = StreamBatches(s, lanes=4, bptt=5, doc_starts=[45])
    Trainer(Spy(), TrainConfig(steps=3, batch_size=4), data, carry_state=True).fit()
    assert seen[0] is None
    assert seen[1][0, 2].abs().sum() == 0 and seen[1][0, 1].abs().sum() > 0
    assert seen[2][0, 2].abs().sum() > 0


def test_bad_stream_arguments():
    with pytest.raises(ValueError, match="does not split over 2 ranks"):
        next(iter(ddp.shard_source(StreamBatches(stream(), lanes=3, bptt=4), DistInfo(0, 2))(0)))
    with pytest.raises(ValueError, match="too short"):
        StreamBatches(stream(3), lanes=4, bptt=4)
