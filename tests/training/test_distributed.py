import pytest
import torch

from rnnkit.training import distributed as ddp
from rnnkit.training.distributed import DistInfo


def test_single_process_without_torchrun(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    info = ddp.init(device="cpu")
    assert info == DistInfo() and info.main
    model = torch.nn.Linear(2, 2)
    assert ddp.wrap(model, info) is model
    assert ddp.all_sum([1.0, 2.0], info) == [1.0, 2.0]


def test_each_rank_takes_its_rows_of_the_global_batch():
    batch = {"x": torch.arange(8).reshape(4, 2), "y": torch.arange(4)}
    parts = [ddp.shard(batch, DistInfo(rank=r, world=2)) for r in (0, 1)]
    assert torch.equal(torch.cat([p["x"] for p in parts]), batch["x"])
    assert parts[1]["y"].tolist() == [2, 3]
    with pytest.raises(ValueError, match="does not split"):
        ddp.shard({"x": torch.zeros(3)}, DistInfo(rank=0, world=2))


def test_lane_split_takes_the_batch_dimension_of_states():
    state = (torch.arange(24.0).reshape(1, 4, 6), torch.zeros(4, 6))  # (L, B, H), (B, H)
    part = ddp.split_lanes(state, DistInfo(rank=1, world=2))
    assert torch.equal(part[0], state[0][:, 2:]) and part[1].shape == (2, 6)
    assert ddp.gather_lanes(state, DistInfo()) is state
