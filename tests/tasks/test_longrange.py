"""The long-range task module: batches, sharding, loading, early stop when solved."""

import pytest
import torch

from rnnkit.models.sequence import SeqBatch
from rnnkit.tasks import longrange
from rnnkit.training import RunDir
from rnnkit.training.distributed import DistInfo


def test_batches_are_deterministic_per_epoch_and_shard_the_global_batch():
    task = longrange.LongRangeConfig("adding", 10)
    whole = longrange.TrainBatches(task, 8, seed=3, dist=DistInfo())
    first, again = next(iter(whole(0))), next(iter(whole(0)))
    assert torch.equal(first.x, again.x)
    assert not torch.equal(first.x, next(iter(whole(1))).x)
    halves = [longrange.TrainBatches(task, 8, 3, DistInfo(rank=r, world=2)) for r in (0, 1)]
    parts = [next(iter(h(0))) for h in halves]
    assert torch.equal(torch.cat([p.x for p in parts]), first.x)


def test_stop_when_solved_requests_a_stop():
    class FakeTrainer:
        eval_metrics = {"val_loss": 0.0005}
        reason = None

        def request_stop(self, reason):
            self.reason = reason

    t = FakeTrainer()
    longrange.stop_when_solved(t, 0.001)
    assert t.reason == "solved"
    t.eval_metrics = {"val_loss": 0.1}
    t.reason = None
    longrange.stop_when_solved(t, 0.001)
    assert t.reason is None


def test_copy_evaluation_reports_recall_accuracy():
    task = longrange.LongRangeConfig("copy", 5)
    model = longrange.build_model(task, longrange.model_config(task, "gru", 8))
    batch = task.batch(4, torch.Generator().manual_seed(0))
    metrics = longrange.evaluate(model, task, batch, "val")
    assert set(metrics) == {"val_loss", "val_xent", "val_accuracy"}
    assert 0.0 <= metrics["val_accuracy"] <= 1.0


def test_load_refuses_other_runs(tmp_path):
    RunDir(tmp_path).create().write_config({"task": "demo"})
    with pytest.raises(ValueError, match="not a longrange run"):
        longrange.load(tmp_path)


def test_inspect_input_parsing():
    batch = longrange._parse_adding("0.5,0.25*,0.1,0.75*")
    assert isinstance(batch, SeqBatch) and batch.x.shape == (1, 4, 2)
    assert float(batch.y) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="1 to 8"):
        longrange._parse_copy("123", 5)
