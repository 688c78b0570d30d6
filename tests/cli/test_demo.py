import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from rnnkit.cli.main import main

TINY = [
    "demo",
    "--length",
    "2000",
    "--hidden",
    "4",
    "--batch-size",
    "4",
    "--bptt",
    "10",
    "--threads",
    "1",
    "--eval-every",
    "20",
]


def weights(run: Path) -> dict:
    return load_file(str(run / "last" / "model.safetensors"))


def same(a: dict, b: dict, tol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(float((a[k] - b[k]).abs().max()) <= tol for k in a)


def test_json_is_the_last_line(capsys):
    assert main([*TINY, "--steps", "5", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert result["step"] == 5 and result["val_loss"] > 0 and result["naive_mse"] > 0
    assert any(line.startswith("step 5/5") for line in out)  # plain progress off a terminal


def test_quiet_prints_nothing_but_json(capsys):
    assert main([*TINY, "--steps", "3", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert main([*TINY, "--steps", "3", "--quiet", "--json"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_help_everywhere(capsys):
    for argv in (["--help"], ["demo", "--help"], ["info", "--help"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 0
    assert "--clip-value" in capsys.readouterr().out


@pytest.mark.parametrize(
    "flags, word",
    [
        (["--lr", "-1"], "--lr"),
        (["--batch-size", "0"], "--batch-size"),
        (["--clip", "x"], "--clip"),
        (["--resume"], "--resume"),
    ],
)
def test_bad_flags_are_one_line_errors(capsys, flags, word):
    try:
        code = main([*TINY, *flags])
    except SystemExit as e:  # argparse type errors exit from the parser
        code = e.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0] and err[0].startswith("rnnkit: error:")


def test_divergence_is_a_one_line_error(capsys):
    assert main([*TINY, "--steps", "20", "--lr", "1e30", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "diverged at step" in err[0] and "lower learning rate" in err[0]


def test_resume_through_the_cli_equals_an_uninterrupted_run(tmp_path, capsys):
    common = [*TINY, "--schedule", "constant", "--quiet", "--seed", "3"]
    assert main([*common, "--steps", "30", "--out", str(tmp_path / "full")]) == 0
    assert main([*common, "--steps", "12", "--out", str(tmp_path / "cut")]) == 0
    assert main([*common, "--steps", "30", "--out", str(tmp_path / "cut")]) == 2  # exists
    assert "--resume" in capsys.readouterr().err
    assert main([*common, "--steps", "30", "--out", str(tmp_path / "cut"), "--resume"]) == 0
    assert same(weights(tmp_path / "full"), weights(tmp_path / "cut"))
    config = json.loads((tmp_path / "cut" / "config.json").read_text())
    assert config["task"] == "demo" and config["train"]["steps"] == 30 and config["rnnkit"]


def test_sigint_saves_and_says_how_to_resume(tmp_path):
    args = [*TINY, "--steps", "300", "--log-every", "1", "--seed", "1"]
    cmd = [sys.executable, "-m", "rnnkit", *args, "--out", str(tmp_path / "cut")]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:
        if line.startswith("step 5/"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted by SIGINT at step" in lines[0]
    hint = lines[0].split("resume with: ")[1]
    assert hint.startswith("rnnkit demo") and hint.endswith("--resume")
    assert "Traceback" not in err
    assert main([*args, "--quiet", "--out", str(tmp_path / "cut"), "--resume"]) == 0
    assert main([*args, "--quiet", "--out", str(tmp_path / "full")]) == 0
    assert same(weights(tmp_path / "full"), weights(tmp_path / "cut"))


def test_torchrun_two_processes_match_one_process(tmp_path):
    # the last step is also an evaluation step: every rank must take the same save path
    args = [*TINY, "--steps", "6", "--eval-every", "3", "--quiet", "--seed", "2"]
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "rnnkit",
    ]
    done = subprocess.run(
        [*torchrun, *args, "--out", str(tmp_path / "two"), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    assert same(weights(tmp_path / "one"), weights(tmp_path / "two"), tol=1e-6)
    assert result["step"] == 6


def test_a_two_process_run_resumes_in_one_process(tmp_path):
    """Every rank's carried lanes are saved; a resumed run may use another world size."""
    args = [*TINY, "--quiet", "--seed", "2", "--schedule", "constant"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    done = subprocess.run(
        [*torchrun, "--nproc_per_node=2", "-m", "rnnkit", *args, "--steps", "3"]
        + ["--out", str(tmp_path / "two")],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert main([*args, "--steps", "7", "--out", str(tmp_path / "two"), "--resume"]) == 0
    assert main([*args, "--steps", "7", "--out", str(tmp_path / "one")]) == 0
    assert same(weights(tmp_path / "one"), weights(tmp_path / "two"), tol=1e-6)


def test_same_seed_same_losses_through_the_cli(capsys):
    results = []
    for seed in ("4", "4", "5"):
        assert main([*TINY, "--steps", "4", "--seed", seed, "--quiet", "--json"]) == 0
        results.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    assert results[0]["loss"] == results[1]["loss"] != results[2]["loss"]


def test_debug_shows_the_traceback():
    with pytest.raises(ValueError, match="--resume needs --out"):
        main([*TINY, "--resume", "--debug"])


def test_unexpected_errors_are_one_line_too(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("shapes do not match\nsecond line")

    monkeypatch.setattr("rnnkit.tasks.commands.train", broken)
    assert main([*TINY, "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "rnnkit: error: RuntimeError: shapes do not match (run with --debug for the traceback)"
    ]


@pytest.mark.parametrize(
    "flags, steps, stopped",
    [(["--epochs", "1"], 5, "done"), (["--minutes", "1e-6"], 1, "time")],
)
def test_epochs_or_minutes_replace_the_default_steps(capsys, flags, steps, stopped):
    # 2000 values, 90% for training: 4 lanes of 449 steps, chunks of 100
    assert main([*TINY, "--bptt", "100", *flags, "--quiet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["step"] == steps and result["stopped"] == stopped


def test_resume_hint_under_torchrun(monkeypatch):
    from rnnkit.cli.main import resume_hint

    assert resume_hint(["demo", "--out", "r"]) == "rnnkit demo --out r --resume"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    hint = resume_hint(["demo", "--out", "r", "--resume"])
    assert hint == "torchrun --standalone --nproc_per_node=2 -m rnnkit demo --out r --resume"
