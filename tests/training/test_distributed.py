import json
import os
import socket
import time

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

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


def test_shard_source_yields_this_rank_rows():
    source = lambda epoch: [torch.arange(4) + 10 * epoch]  # noqa: E731
    mine = ddp.shard_source(source, DistInfo(rank=1, world=2))
    assert [b.tolist() for b in mine(1)] == [[12, 13]]


def _ddp_trainer(info: DistInfo, steps: int):
    from rnnkit.training import TrainConfig, Trainer
    from tests.training.helpers import Linear, pairs

    torch.manual_seed(0)
    config = TrainConfig(steps=steps, lr=0.1, optimizer="sgd", momentum=0.9, clip=0.5)
    batches = pairs(5)  # global batches of 8 rows
    return Trainer(Linear(), config, ddp.shard_source(lambda epoch: batches, info), dist=info)


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
    )
    torch.set_num_threads(1)
    info = ddp.init(device="cpu")
    try:
        trainer = _ddp_trainer(info, steps=6)
        if rank == 1:  # only one rank asks: both must stop after the same step
            trainer.add_callback("on_step_end", lambda t: t.step == 3 and t.request_stop())
        summary = trainer.fit()
        state = {k: v.contiguous() for k, v in trainer.model.module.state_dict().items()}
        save_file(state, os.path.join(out, f"rank{rank}.safetensors"))
        with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
            json.dump(summary, f)
    finally:
        ddp.shutdown()


def test_two_processes_through_the_api_match_one_and_stop_together(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workers = mp.spawn(_worker, args=(2, port, str(tmp_path)), nprocs=2, join=False)
    deadline = time.monotonic() + 180
    while not workers.join(timeout=2):
        if time.monotonic() > deadline:  # ranks that disagree would wait for each other
            for process in workers.processes:
                process.kill()
            pytest.fail("the data-parallel workers did not finish")
    one = _ddp_trainer(DistInfo(), steps=3)
    one.fit()
    for rank in (0, 1):
        summary = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert summary["step"] == 3
        got = load_file(str(tmp_path / f"rank{rank}.safetensors"))
        for name, value in one.model.state_dict().items():
            torch.testing.assert_close(got[name], value, atol=1e-6, rtol=0)
