"""One writer per run directory: a second writer is refused naming the holder, a killed
holder leaves no stale lock, and readers never wait or see half a file."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from rnnkit.cli.main import main
from rnnkit.training import RunDir, RunLocked, TrainConfig, Trainer
from rnnkit.training import lock as lock_module
from rnnkit.training.checkpoint import MODEL_FILE, load_weights
from rnnkit.training.metrics import read_metrics
from rnnkit.training.rundir import read_json
from tests.training.helpers import Linear, pairs

HOLD = """
import sys, time
from rnnkit.training import RunDir
run = RunDir(sys.argv[1]).lock()
print("locked", flush=True)
time.sleep(60)
"""


def start(script: str, *args: str) -> subprocess.Popen:
    """A Python process running `script`, once it has printed its first line."""
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "locked"
    return process


@pytest.fixture
def holder(tmp_path):
    process = start(HOLD, str(tmp_path / "run"))
    yield process
    stop(process)


def stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()
    process.stdout.close()


def test_a_second_writer_is_refused_naming_the_holder(tmp_path, holder):
    run = tmp_path / "run"
    trainer = Trainer(Linear(), TrainConfig(steps=1), pairs(), run=run)
    with pytest.raises(RunLocked) as e:
        trainer.fit()
    message = str(e.value)
    assert f"{run} is being written by process {holder.pid} (started " in message
    assert message.endswith("wait for it or choose another --out") and "\n" not in message
    assert sorted(p.name for p in run.iterdir()) == [".lock"]  # nothing written


def test_the_command_line_refuses_in_one_line(tmp_path, holder, capsys):
    run = tmp_path / "run"
    argv = ["demo", "--length", "400", "--hidden", "4", "--batch-size", "4", "--bptt", "10"]
    assert main([*argv, "--steps", "2", "--quiet", "--out", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"rnnkit: error: {run} is being written by process {holder.pid}")
    assert len(err.splitlines()) == 1


def test_a_killed_writer_leaves_no_stale_lock(tmp_path, holder):
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    run = tmp_path / "run"
    trainer = Trainer(Linear(), TrainConfig(steps=2), pairs(), run=run)
    assert trainer.fit()["step"] == 2
    assert read_json(run / ".lock")["pid"] == os.getpid()  # the new holder's record


TRY = """
import fcntl, os, sys
fd = os.open(os.path.join(sys.argv[1], ".lock"), os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("locked")
except BlockingIOError:
    print("refused")
"""  # plain Python (no torch to import): the OS lock itself


def another_process_locks(run) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", TRY, str(run)], capture_output=True, text=True, timeout=120
    )
    return done.stdout.strip() == "locked"


def test_the_lock_belongs_to_the_process_and_is_given_back(tmp_path):
    run = tmp_path / "run"
    first, second = RunDir(run).lock(), RunDir(run).lock()  # one process: shared
    first.unlock()
    first.unlock()  # (twice is harmless)
    assert not another_process_locks(run)  # still held through `second`
    second.unlock()
    assert another_process_locks(run)


def test_the_lock_is_taken_at_the_first_write_and_given_back_when_fit_fails(tmp_path):
    run = tmp_path / "run"
    trainer = Trainer(Linear(), TrainConfig(steps=2), [], run=run)
    assert not run.exists()  # nothing written yet: no lock
    trainer.add_callback("on_train_start", lambda t: assert_held(run))
    with pytest.raises(ValueError, match="no training batches"):
        trainer.fit()
    assert another_process_locks(run)  # the trainer object lives on, its lock does not


def assert_held(run) -> None:
    assert not another_process_locks(run)


def test_a_lock_file_that_is_a_symlink_is_refused(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (run / ".lock").symlink_to(target)
    with pytest.raises(ValueError, match=r"\.lock is a symbolic link, not a lock file"):
        RunDir(run).lock()
    assert target.read_text() == "keep me"


def test_only_a_well_formed_live_holder_is_named(tmp_path):
    path = tmp_path / ".lock"
    for junk in ("", "not json", '{"pid": "1; rm -rf /", "started": "x"}', '{"pid": 2147483647}'):
        path.write_text(junk)
        assert lock_module.holder(path, tries=1) == "another process"
    path.write_text(f'{{"pid": {os.getpid()}, "started": "2026-12-04 10:00:00"}}')
    assert lock_module.holder(path) == f"process {os.getpid()} (started 2026-12-04 10:00:00)"


WRITE = """
import sys, torch
from rnnkit.training import RunDir
from rnnkit.training.checkpoint import MODEL_FILE, save_weights
from rnnkit.training.metrics import MetricsLog
from rnnkit.training.rundir import write_json
run = RunDir(sys.argv[1]).lock().create()
model, log = torch.nn.Linear(64, 64), MetricsLog(run.metrics_path)
print("locked", flush=True)
for i in range(1, 31):
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(i)
    for tag in ("last", "best"):
        run.commit(tag, lambda d: save_weights(model, d / MODEL_FILE), {"step": i})
    write_json(run.config_path, {"step": i, "pad": "x" * 5000})
    log.write({"step": i, "pad": "y" * 20000})
"""


def test_readers_never_wait_and_never_see_half_a_file(tmp_path):
    run = RunDir(tmp_path / "run")
    writer = start(WRITE, str(run.root))
    try:
        reads = read_while(run, writer)
    finally:
        stop(writer)
    assert writer.returncode == 0 and reads > 0


def read_while(run: RunDir, writer: subprocess.Popen) -> int:
    """Read the run over and over while `writer` writes it; the number of weight reads."""
    model, reads, running = torch.nn.Linear(64, 64), 0, True
    while running:
        running = writer.poll() is None  # one more pass after the writer is done
        best = run.checkpoint("best")
        if best is not None:
            load_weights(model, best / MODEL_FILE)  # never a vanished or half file
            values = {float(v) for p in model.parameters() for v in p.detach().unique()}
            assert len(values) == 1  # one checkpoint's weights, never a mix
            reads += 1
        if run.config_path.exists():
            assert len(read_json(run.config_path)["pad"]) == 5000
        if run.metrics_path.exists():
            steps = [r["step"] for r in read_metrics(run.metrics_path)]
            assert steps == list(range(1, len(steps) + 1))  # whole records only
        time.sleep(0.005)  # leave the writer the CPU
    return reads
