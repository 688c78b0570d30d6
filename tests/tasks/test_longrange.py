"""The long-range task module: batches, sharding, loading, early stop when solved."""

import pytest
import torch

from rnnkit.models.sequence import SeqBatch, SequenceConfig
from rnnkit.tasks import longrange
from rnnkit.tasks.lifecycle import Run, load, train
from rnnkit.training import RunDir, TrainConfig
from rnnkit.training import distributed as ddp
from rnnkit.training.distributed import DistInfo
from rnnkit.training.evaluation import evaluating


def adding(length: int = 10) -> longrange.AddingTask:
    return longrange.AddingTask(longrange.AddingConfig(length=length))


def test_batches_are_deterministic_per_epoch_and_shard_the_global_batch():
    task = adding()
    whole = task.batches(TrainConfig(batch_size=8, seed=3), SequenceConfig())
    first, again = next(iter(whole(0))), next(iter(whole(0)))
    assert torch.equal(first.x, again.x)
    assert not torch.equal(first.x, next(iter(whole(1))).x)
    halves = [ddp.shard_source(whole, DistInfo(rank=r, world=2)) for r in (0, 1)]
    parts = [next(iter(h(0))) for h in halves]
    assert torch.equal(torch.cat([p.x for p in parts]), first.x)


def test_stop_below_ends_training_once_solved(tmp_path):
    task = adding(5)
    config = TrainConfig(steps=400, batch_size=16, lr=1e-2, eval_every=10, stop_below=0.05)
    result = train(task, Run(SequenceConfig(hidden_size=16), config, out=tmp_path / "run"))
    assert result["stopped"] == "solved" and result["steps"] < 400
    assert result["val_loss"] < 0.05


def test_copy_evaluation_reports_recall_accuracy():
    task = longrange.CopyTask(longrange.CopyConfig(length=5, val_size=4))
    model = task.build_model(task.model_config(SequenceConfig(cell="gru", hidden_size=8)))
    with evaluating(model):
        metrics = task.evaluate(model, "val").metrics
    assert set(metrics) == {"val_loss", "val_xent", "val_accuracy"}
    assert 0.0 <= metrics["val_accuracy"] <= 1.0


def test_load_refuses_other_runs(tmp_path):
    RunDir(tmp_path).create().write_config({"task": "demo"})
    with pytest.raises(ValueError, match="not a longrange run"):
        load(tmp_path, expect=longrange.LongRangeTask)


def test_inspect_input_parsing():
    batch = adding().parse("0.5,0.25*,0.1,0.75*")
    assert isinstance(batch, SeqBatch) and batch.x.shape == (1, 4, 2)
    assert float(batch.y) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="1 to 8"):
        longrange.CopyTask(longrange.CopyConfig(length=5)).parse("123")


def test_runs_of_rnnkit_0_1_still_load(tmp_path):
    """config.json of 0.1: task "longrange", data.task, cell_options as a dict, bptt in train."""
    task = adding(6)
    model = task.build_model(task.model_config(SequenceConfig(hidden_size=4)))
    run = RunDir(tmp_path).create()
    old = {
        "task": "longrange",
        "data": {"task": "adding", "length": 6, "val_size": 500, "test_size": 2000},
        "model": {**model.config.to_dict(), "cell_options": {"forget_bias": 1.0}},
        "train": {**TrainConfig().to_dict(), "bptt": None, "bptt_random": False},
    }
    del old["train"]["stop_below"], old["train"]["diverge_factor"]
    run.write_config(old)
    from rnnkit.training.checkpoint import save_weights

    run.commit("last", lambda d: save_weights(model, d / "model.safetensors"), {"step": 1})
    loaded = load(tmp_path, expect=longrange.LongRangeTask)
    assert isinstance(loaded.task, longrange.AddingTask) and loaded.task.config.length == 6
    assert loaded.model_config.cell_options.forget_bias == 1.0
