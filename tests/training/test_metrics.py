import sys

import pytest

from rnnkit.training import MissingDependency
from rnnkit.training.metrics import MetricsLog, TensorBoardLog, read_metrics
from tests.training.helpers import stream_trainer


def test_metrics_jsonl_has_every_step_and_each_evaluation(tmp_path):
    stream_trainer(tmp_path, steps=6, eval_every=3).fit()
    records = read_metrics(tmp_path / "metrics.jsonl")
    train = [r for r in records if r["split"] == "train"]
    assert [r["step"] for r in train] == [1, 2, 3, 4, 5, 6]
    assert all({"loss", "grad_norm", "lr", "items_per_s"} <= r.keys() for r in train)
    assert [r["step"] for r in records if r["split"] == "val"] == [3, 6]


def test_truncate_after_and_non_finite_values(tmp_path):
    log = MetricsLog(tmp_path / "m.jsonl")
    for step in (1, 2, 3):
        log.write({"step": step, "loss": float("nan") if step == 2 else 1.0})
    log.close()
    log.truncate_after(2)
    assert read_metrics(tmp_path / "m.jsonl") == [
        {"step": 1, "loss": 1.0},
        {"step": 2, "loss": "nan"},
    ]


def test_a_metrics_line_still_being_written_is_not_read(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 1.0}\n{"step": 2, "lo')
    assert read_metrics(path) == [{"step": 1, "loss": 1.0}]
    MetricsLog(path).truncate_after(5)  # a resume drops the cut line
    assert path.read_text() == '{"step": 1, "loss": 1.0}\n'


def test_missing_tensorboard_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(MissingDependency, match=r"pip install 'rnnkit\[tensorboard\]'"):
        TensorBoardLog(tmp_path)


def test_tensorboard_event_files(tmp_path):
    pytest.importorskip("tensorboard")
    trainer = stream_trainer(tmp_path, steps=2, tensorboard=True)
    trainer.fit()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_tensorboard_needs_a_run_directory():
    with pytest.raises(ValueError, match="--out"):
        stream_trainer(tensorboard=True)
