"""`rnnkit longrange`, `gradflow` and `inspect` end to end, small."""

import json

import pytest

from rnnkit.cli.main import main


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def adding_run(tmp_path_factory):
    """A short LSTM run at T=20, which solves the adding problem."""
    out = tmp_path_factory.mktemp("runs") / "adding"
    code = main(
        [
            "longrange",
            "adding",
            "--length",
            "20",
            "--hidden",
            "32",
            "--steps",
            "300",
            "--lr",
            "0.01",
            "--test-size",
            "500",
            "--out",
            str(out),
            "--quiet",
            "--threads",
            "1",
        ]
    )
    assert code == 0
    return out


def test_lstm_solves_short_adding_problem(adding_run):
    r = json.loads((adding_run / "result.json").read_text())
    assert set(r) >= {"task", "cell", "length", "steps", "seconds", "test_mse", "baseline_mse"}
    assert r["steps"] == 300 and r["length"] == 20 and r["cell"] == "lstm"
    assert r["test_mse"] < 0.05 < r["baseline_mse"]  # well below predicting 1 (0.167)
    assert (adding_run / "config.json").exists() and (adding_run / "metrics.jsonl").exists()


def test_copy_json_keys(capsys):
    code = main(
        [
            "longrange",
            "copy",
            "--length",
            "5",
            "--hidden",
            "16",
            "--steps",
            "20",
            "--test-size",
            "50",
            "--cell",
            "gru",
            "--json",
            "--quiet",
        ]
    )
    assert code == 0
    r = last_json(capsys)
    assert set(r) >= {"test_xent", "baseline_xent", "test_accuracy"}
    assert r["baseline_xent"] == pytest.approx(10 * 2.0794415 / 25, rel=1e-5)


def test_sweep_writes_table_plot_and_skips_finished_runs(tmp_path, capsys):
    args = [
        "longrange",
        "sweep",
        "--cells",
        "rnn,lstm",
        "--lengths",
        "5,8",
        "--hidden",
        "8",
        "--steps",
        "5",
        "--test-size",
        "20",
        "--out",
        str(tmp_path),
        "--json",
        "--quiet",
    ]
    assert main(args) == 0
    rows = last_json(capsys)["rows"]
    assert {(r["cell"], r["length"]) for r in rows} == {
        ("rnn", 5),
        ("lstm", 5),
        ("rnn", 8),
        ("lstm", 8),
    }
    for name in ("sweep.md", "sweep.json", "sweep.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert "| 8 |" in (tmp_path / "sweep.md").read_text()
    assert main(args[:-1]) == 0  # again, not quiet: every run is skipped
    assert capsys.readouterr().out.count("skipped") == 4


def test_gradflow_json_and_plot(tmp_path, capsys, adding_run):
    code = main(
        [
            "gradflow",
            "--cells",
            "rnn,lstm",
            "--length",
            "30",
            "--hidden",
            "16",
            "--batch",
            "4",
            "--trained",
            str(adding_run),
            "--out",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 0
    r = last_json(capsys)
    assert set(r["cells"]) == {"rnn (init)", "lstm (init)", f"lstm (trained, {adding_run.name})"}
    flow = r["cells"]["rnn (init)"]
    assert len(flow["grad_norms"]) == 30
    assert flow["ratio_first_last"] == pytest.approx(flow["grad_norms"][0] / flow["grad_norms"][-1])
    assert flow["clipped_grad_norm"] == min(flow["param_grad_norm"], 1.0)
    assert (tmp_path / "gradflow.png").stat().st_size > 0


def test_inspect_writes_heatmaps_and_html(tmp_path, capsys, adding_run):
    out = tmp_path / "report.html"
    values = ",".join(["0.5"] * 3 + ["0.9*"] + ["0.1"] * 10 + ["0.2*"] + ["0.3"] * 5)
    assert main(["inspect", str(adding_run), "--input", values, "--out", str(out), "--json"]) == 0
    r = last_json(capsys)
    page = out.read_text()
    assert "0.90*" in page and "<script>" in page and "data:image/png;base64," in page
    assert out.with_suffix(".png").stat().st_size > 0
    assert set(r["traces"]) == {"f", "i", "o", "g", "c", "h"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["longrange", "adding", "--length", "1"], "--length must be an integer >= 2"),
        (["longrange", "sweep", "--cells", "rnn,tcn"], "unknown cell 'tcn'"),
        (["gradflow", "--cells", ""], "nothing to measure"),
        (["longrange", "adding", "--lr", "-1"], "--lr"),
    ],
)
def test_bad_arguments_are_one_line_errors(args, message, capsys):
    assert main(args + ["--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_inspect_bad_input(adding_run, capsys):
    assert main(["inspect", str(adding_run), "--input", "0.1,0.2*"]) == 2
    assert "exactly two" in capsys.readouterr().err


def test_stop_below_ends_a_run_once_solved(tmp_path, capsys):
    argv = ["longrange", "adding", "--length", "5", "--hidden", "16", "--steps", "1000"]
    argv += ["--eval-every", "20", "--stop-below", "0.05", "--test-size", "50", "--json"]
    assert main([*argv, "--quiet", "--out", str(tmp_path / "run")]) == 0
    r = last_json(capsys)
    assert r["stopped"] == "solved" and r["steps"] < 1000 and r["val_loss"] < 0.05


def test_defaults_are_the_documented_ones(tmp_path):
    out = tmp_path / "run"
    argv = ["longrange", "adding", "--length", "5", "--steps", "1", "--test-size", "5"]
    assert main([*argv, "--quiet", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["task"] == "adding" and config["model"]["hidden_size"] == 64
    assert config["model"]["cell_options"]["forget_bias"] == 1.0  # the LSTM forget bias
    assert config["train"]["lr"] == 0.01 and config["train"]["clip"] == 1.0
    gru = tmp_path / "gru"
    assert main([*argv, "--cell", "gru", "--quiet", "--out", str(gru)]) == 0
    assert (
        json.loads((gru / "config.json").read_text())["model"]["cell_options"]["forget_bias"]
        is None
    )


@pytest.mark.parametrize(
    "command", [["longrange", "adding"], ["longrange", "sweep"], ["names", "train"]]
)
def test_whole_sequence_tasks_offer_no_bptt_flags(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = capsys.readouterr().out
    assert "--bptt" not in text and "--stop-below" in text and "--hidden" in text


def test_sweep_resumes_an_interrupted_run_and_writes_tensorboard(tmp_path, capsys):
    pytest.importorskip("tensorboard")
    args = ["longrange", "sweep", "--cells", "gru", "--lengths", "5", "--hidden", "8"]
    args += ["--test-size", "20", "--out", str(tmp_path), "--quiet", "--eval-every", "5"]
    # a run cut short: its directory holds a checkpoint but the sweep has no row yet
    cut = ["longrange", "adding", "--cell", "gru", "--length", "5", "--hidden", "8"]
    cut += ["--test-size", "20", "--eval-every", "5", "--steps", "5", "--quiet"]
    assert main([*cut, "--out", str(tmp_path / "gru-T5")]) == 0
    assert main([*args, "--steps", "10"]) == 2  # without --resume the run is not overwritten
    assert "already holds a run" in capsys.readouterr().err
    assert main([*args, "--steps", "10", "--resume", "--tensorboard", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["rows"]
    assert row["steps"] == 10 and (tmp_path / "gru-T5" / "tensorboard").is_dir()
    lines = (tmp_path / "gru-T5" / "metrics.jsonl").read_text().splitlines()
    logged = [json.loads(line)["step"] for line in lines]
    assert max(logged) == 10 and logged.count(1) == 1  # continued, not restarted
