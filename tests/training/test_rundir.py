import json
import os
import random
import signal
from contextlib import contextmanager

import numpy as np
import pytest
import torch

from rnnkit.training import RunDir
from rnnkit.training import rundir as rundir_module
from rnnkit.training.checkpoint import (
    MODEL_FILE,
    load_weights,
    rng_state,
    save_weights,
    set_rng_state,
)
from rnnkit.training.rundir import JSON_LIMIT, atomic_write, read_json, write_json
from rnnkit.training.tree import flatten, unflatten
from tests.training.helpers import stream_trainer, tiny_model


def test_atomic_write_crash_before_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    write_json(path, {"v": 1})

    def crash(src, dst):
        raise OSError("killed")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        write_json(path, {"v": 2})
    assert read_json(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temporary left


def test_crash_while_writing_a_checkpoint_leaves_the_previous_one_loadable(tmp_path, monkeypatch):
    trainer = stream_trainer(tmp_path, steps=3)
    trainer.fit()
    good = (tmp_path / "last" / MODEL_FILE).read_bytes()
    calls = {"n": 0}
    real_replace = os.replace

    def crash_on_third(src, dst):  # model file, trainer files ... killed mid-checkpoint
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_third)
    again = stream_trainer(tmp_path, steps=6)
    again.resume()
    with pytest.raises(KeyboardInterrupt):
        again.fit()
    monkeypatch.setattr(os, "replace", real_replace)
    where = RunDir(tmp_path).checkpoint("last")
    assert (where / MODEL_FILE).read_bytes() == good
    load_weights(tiny_model(), where / MODEL_FILE)
    assert stream_trainer(tmp_path, steps=6).resume() == 3


def test_crash_between_the_two_renames_uses_the_complete_new_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(rundir_module, "_exchange", lambda a, b: False)  # no renameat2
    run = RunDir(tmp_path).create()
    run.commit("last", lambda d: (d / "x").write_text("1"), {"step": 1})
    real_replace = os.replace

    def crash_on_swap_in(src, dst):
        if str(src).endswith("last.new"):
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)

    monkeypatch.setattr(rundir_module.os, "replace", crash_on_swap_in)
    with pytest.raises(KeyboardInterrupt):
        run.commit("last", lambda d: (d / "x").write_text("2"), {"step": 2})
    monkeypatch.setattr(rundir_module.os, "replace", real_replace)
    assert not (tmp_path / "last").exists()
    assert (tmp_path / "last.old").exists()  # the previous one is still there
    assert (run.checkpoint("last") / "x").read_text() == "2"  # the newer one is complete
    run.create()  # a new session finishes the swap
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "last"]
    assert (run.checkpoint("last") / "x").read_text() == "2"
    run.commit("last", lambda d: (d / "x").write_text("3"), {"step": 3})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "last"]


def test_an_incomplete_new_checkpoint_is_dropped_and_the_old_one_kept(tmp_path):
    run = RunDir(tmp_path).create()
    run.commit("last", lambda d: (d / "x").write_text("1"), {"step": 1})
    os.replace(tmp_path / "last", tmp_path / "last.old")  # killed after the first rename
    (tmp_path / "last.new").mkdir()  # ... of a checkpoint that was never completed
    (tmp_path / "last.new" / "x").write_text("half")
    assert (run.checkpoint("last") / "x").read_text() == "1"
    run.create()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "last.old"]
    assert (run.checkpoint("last") / "x").read_text() == "1"


def test_checkpoint_layout_has_no_pickle(tmp_path):
    trainer = stream_trainer(tmp_path, steps=2)
    trainer.fit()
    run = RunDir(tmp_path)
    run.write_config({"task": "test"})
    run.save_artifact("scaler", {"mean": 0.5})
    names = sorted(p.name for p in (tmp_path / "last").iterdir())
    assert names == ["checkpoint.json", "model.safetensors", "trainer.json", "trainer.safetensors"]
    assert run.read_config()["rnnkit"] and run.load_artifact("scaler") == {"mean": 0.5}
    assert (tmp_path / "best" / MODEL_FILE).exists()
    for path in tmp_path.rglob("*"):
        assert path.suffix in ("", ".json", ".jsonl", ".safetensors"), path


def test_rng_states_round_trip():
    flat, skeleton = flatten(rng_state())
    skeleton = json.loads(json.dumps(skeleton))
    a = (random.random(), float(np.random.rand()), torch.rand(1).item())
    set_rng_state(unflatten(skeleton, flat))
    assert (random.random(), float(np.random.rand()), torch.rand(1).item()) == a


def test_atomic_write_creates_the_file(tmp_path):
    atomic_write(tmp_path / "b.bin", lambda tmp: tmp.write_bytes(b"xyz"))
    assert (tmp_path / "b.bin").read_bytes() == b"xyz"


def test_a_checkpoint_a_reader_found_stays_readable_through_a_swap(tmp_path, monkeypatch):
    """At each step of a commit, the checkpoint a reader resolved at the step before is
    still there and whole (renameat2 exchanges `last/` and `last.new/` in one step)."""
    run = RunDir(tmp_path).create()
    model = tiny_model()
    run.commit("last", lambda d: save_weights(model, d / MODEL_FILE), {"step": 1})
    found = [run.checkpoint("last")]

    def check() -> None:
        load_weights(tiny_model(), found[-1] / MODEL_FILE)  # resolved a step ago
        found.append(run.checkpoint("last"))

    def checked(fn):
        def step(*args, **kwargs):
            check()
            result = fn(*args, **kwargs)
            check()
            return result

        return step

    for name in ("replace", "rename"):
        monkeypatch.setattr(rundir_module.os, name, checked(getattr(os, name)))
    monkeypatch.setattr(rundir_module.shutil, "rmtree", checked(rundir_module.shutil.rmtree))
    monkeypatch.setattr(rundir_module, "_exchange", checked(rundir_module._exchange))
    for step in (2, 3):
        run.commit("last", lambda d: save_weights(model, d / MODEL_FILE), {"step": step})
    assert len(found) > 10 and sorted(p.name for p in tmp_path.iterdir()) == [".lock", "last"]


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_process_killed_at_the_exchange_leaves_one_whole_checkpoint(tmp_path, monkeypatch, when):
    run = RunDir(tmp_path).create()
    run.commit("last", lambda d: (d / "x").write_text("1"), {"step": 1})
    real = rundir_module._exchange

    def killed(a, b):
        if when == "after":
            real(a, b)
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(rundir_module, "_exchange", killed)
    with pytest.raises(KeyboardInterrupt):
        run.commit("last", lambda d: (d / "x").write_text("2"), {"step": 2})
    kept = "2" if when == "after" else "1"
    assert (run.checkpoint("last") / "x").read_text() == kept
    run.create()  # the next session drops the other one
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "last"]
    assert (run.checkpoint("last") / "x").read_text() == kept


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging (a FIFO opened for reading waits for a writer)."""

    def hang(signum, frame):
        raise TimeoutError("hung")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_config_that_is_a_device_a_fifo_or_huge_is_one_line(tmp_path):
    run = RunDir(tmp_path)
    run.config_path.symlink_to("/dev/zero")
    with deadline(20), pytest.raises(ValueError) as e:
        run.read_config()
    assert str(e.value) == (
        f"{run.config_path} is not a regular file "
        "(a run's JSON files are regular files of at most 64 MiB)"
    )
    run.config_path.unlink()
    os.mkfifo(run.config_path)
    with deadline(20), pytest.raises(ValueError, match=r"config.json is not a regular file"):
        run.read_config()
    run.config_path.unlink()
    with open(run.config_path, "wb") as f:
        f.truncate(JSON_LIMIT + 1)  # sparse: 64 MiB + 1 byte of zeros
    with pytest.raises(ValueError) as e:
        run.read_config()
    assert str(e.value) == f"{run.config_path} is over 64 MiB, the limit for a run's JSON files"


def test_every_json_file_of_a_run_is_capped(tmp_path):
    run = RunDir(tmp_path)
    (tmp_path / "vocab.json").symlink_to("/dev/zero")
    with deadline(20), pytest.raises(ValueError, match=r"vocab.json is not a regular file"):
        run.load_artifact("vocab")
    write_json(tmp_path / "small.json", {"a": "b" * 100})
    assert read_json(tmp_path / "small.json")["a"] == "b" * 100
    with pytest.raises(ValueError, match=r"small.json is over 64 bytes"):
        read_json(tmp_path / "small.json", limit=64)


def test_eval_of_a_run_whose_config_is_dev_zero_is_one_line(tmp_path, capsys):
    from rnnkit.cli.main import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").symlink_to("/dev/zero")
    with deadline(60):
        assert main(["lm", "eval", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"rnnkit: error: {run / 'config.json'} is not a regular file "
        "(a run's JSON files are regular files of at most 64 MiB)"
    )
