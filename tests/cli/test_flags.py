"""Every flag of every command reaches a config field that the code reads.

Flags are generated from config dataclasses (rnnkit.cli.flags), so each one names a
field; this test runs every command small, records which config fields are read
(outside validation, serialisation and printing: tests/cli/reads.py) and
fails for a flag whose field nothing reads. The training engine's flags (TrainConfig,
RunOptions, the cell options) are shared by every train command, so their reads are
pooled over the train commands; every other flag must be read by its own command.
"""

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pytest

from rnnkit.cli.flags import add_flags
from rnnkit.cli.main import build_parser, commands, main
from rnnkit.config import Config, require, untracked
from tests.cli.reads import track_reads

SHARED = {"TrainConfig", "RunOptions", "CellOptions"}
TRAIN_PATHS = {("demo",), ("lm", "train"), ("lm", "demo"), ("longrange", "adding")}
TRAIN_PATHS |= {("longrange", "copy"), ("longrange", "sweep"), ("names", "train")}
TRAIN_PATHS |= {("forecast", "train"), ("forecast", "compare"), ("classify", "train")}
TRAIN_PATHS |= {("seq2seq", "train"), ("caption", "train")}


def scenarios(tmp, runs):
    """(command path, argv) pairs that together use every option."""
    corpus = runs["corpus"]
    base = ["demo", "--length", "1000", "--hidden", "4", "--batch-size", "4", "--bptt", "10"]
    demo = [*base, "--steps", "4", "--eval-every", "2"]
    out = str(tmp / "demo-run")
    yield ("demo",), [*demo, "--optimizer", "sgd", "--schedule", "step", "--clip-value", "1"]
    yield ("demo",), [*demo, "--schedule", "plateau", "--patience", "3", "--stop-below", "0.01"]
    yield ("demo",), [*demo, "--schedule", "cosine", "--warmup", "2", "--weight-decay", "0.1"]
    yield ("demo",), [*demo, "--bptt-random", "--checkpoint-every", "1", "--log-every", "1"]
    yield ("demo",), [*demo, "--metric", "val_loss", "--mode", "min", "--out", out]
    yield ("demo",), [*demo, "--steps", "6", "--out", out, "--resume", "--tensorboard"]
    yield ("demo",), [*base, "--epochs", "1", "--minutes", "1", "--noise", "0.1"]
    yield ("demo",), [*demo, "--val-fraction", "0.2", "--periods", "5,9", "--diverge-factor", "9"]
    yield ("demo",), [*demo, "--cell", "gru", "--no-reset-after", "--layers", "2"]
    yield ("demo",), [*demo, "--cell", "gru", "--layer-norm"]
    yield ("demo",), [*demo, "--cell", "rnn", "--nonlinearity", "relu"]
    yield ("demo",), [*demo, "--layers", "2", "--dropout", "0.1"]
    yield ("demo",), [*demo, "--cell", "lstm", "--forget-bias", "1", "--peephole"]
    lm = ["lm", "train", "--data", str(corpus), "--hidden", "8", "--batch-size", "4"]
    lm += ["--steps", "2", "--bptt", "8", "--level", "word", "--max-vocab", "20"]
    yield ("lm", "train"), [*lm, "--min-count", "2", "--eval-tokens", "50", "--no-baselines"]
    yield ("lm", "train"), [*lm, "--embed", "4", "--tie", "--backward-lm", "--layers", "2"]
    yield ("lm", "train"), [*lm, "--dropout", "0.1", "--cell", "gru", "--precision", "auto"]
    yield (
        ("lm", "demo"),
        [
            *["lm", "demo", "--data", str(corpus), "--hidden", "8", "--batch-size", "4"],
            *["--steps", "2", "--length", "5", "--temperature", "0.5", "--bptt", "8"],
            *["--level", "char", "--max-vocab", "30", "--min-count", "1", "--eval-tokens", "40"],
            *["--embed", "4", "--tie", "--out", str(tmp / "lm-demo")],
        ],
    )
    run = str(runs["lm"])
    yield ("lm", "sample"), ["lm", "sample", run, "--prime", "the", "--length", "5"]
    yield ("lm", "sample"), ["lm", "sample", run, "--top-k", "3", "--top-p", "0.9"]
    yield ("lm", "sample"), ["lm", "sample", run, "--temperature", "0.5", "--beam", "2"]
    yield ("lm", "eval"), ["lm", "eval", run]
    yield (
        ("lm", "fill"),
        ["lm", "fill", run, "the ___ sat", "--candidates", "cat,dog", "--top", "1"],
    )
    adding = ["longrange", "adding", "--length", "6", "--hidden", "4", "--steps", "2"]
    yield ("longrange", "adding"), [*adding, "--test-size", "5", "--val-size", "5"]
    yield ("longrange", "adding"), [*adding, "--layers", "2", "--dropout", "0.1"]
    copy = ["longrange", "copy", "--length", "3", "--hidden", "4", "--steps", "2"]
    yield ("longrange", "copy"), [*copy, "--test-size", "5", "--val-size", "5"]
    yield ("longrange", "copy"), [*copy, "--layers", "2", "--dropout", "0.1"]
    yield (
        ("longrange", "sweep"),
        [
            *["longrange", "sweep", "--task", "copy", "--cells", "gru", "--lengths", "3"],
            *["--hidden", "4", "--steps", "2", "--test-size", "4", "--out", str(tmp / "sweep")],
            *["--layers", "2", "--dropout", "0.1"],
        ],
    )
    yield (
        ("gradflow",),
        [
            *["gradflow", "--cells", "rnn,relu", "--length", "5", "--hidden", "4", "--batch", "2"],
            *[
                "--gain",
                "2",
                "--clip",
                "0.5",
                "--out",
                str(tmp / "gf"),
                "--trained",
                str(runs["adding"]),
            ],
        ],
    )
    yield (
        ("inspect",),
        [
            *["inspect", str(runs["adding"]), "--input", "0.1,0.2*,0.3,0.4*,0.5,0.6"],
            *["--layer", "l0", "--unit", "1", "--out", str(tmp / "i.html")],
        ],
    )
    yield ("longrange", "eval"), ["longrange", "eval", str(runs["adding"])]
    yield ("info",), ["info"]
    series = runs["series"]
    fc = ["forecast", "train", "--data", str(series), "--target", "y", "--horizon", "6"]
    fc += ["--hidden", "4", "--steps", "2", "--lookback", "12"]
    yield (
        ("forecast", "train"),
        [
            *fc,
            "--date-column",
            "when",
            "--covariates",
            "x",
            "--fill",
            "interpolate",
            "--season",
            "12",
            "--strategy",
            "seq2seq",
            "--distribution",
            "gaussian",
            "--samples",
            "5",
            "--coverage",
            "0.9",
            "--no-log",
            "--no-calendar",
            "--val-size",
            "6",
            "--train-horizon",
            "6",
            "--out",
            str(tmp / "fc"),
        ],
    )
    yield (
        ("forecast", "predict"),
        ["forecast", "predict", str(tmp / "fc"), "--horizon", "6", "--csv", str(tmp / "p.csv")],
    )
    yield ("forecast", "eval"), ["forecast", "eval", str(tmp / "fc")]
    yield (
        ("forecast", "compare"),
        [
            *["forecast", "compare", "--data", str(series), "--target", "y", "--horizon", "6"],
            *["--hidden", "4", "--steps", "2", "--lookback", "12", "--folds", "2", "--stride", "3"],
            *[
                "--retrain",
                "first",
                "--seeds",
                "1",
                "--strategies",
                "direct",
                "--baselines",
                "naive",
            ],
            *["--distribution", "gaussian", "--samples", "5", "--coverage", "0.9"],
            *["--out", str(tmp / "cmp")],
        ],
    )
    cls = ["classify", "train", "--hidden", "4", "--embed", "4", "--batch-size", "4"]
    cls += ["--steps", "2", "--test-fraction", "0.25", "--val-fraction", "0.2"]
    text = ["--data", str(runs["reviews"]), "--text-column", "review", "--label-column", "y"]
    yield (
        ("classify", "train"),
        [
            *cls,
            *text,
            *["--level", "char", "--max-vocab", "30", "--min-count", "1", "--no-lowercase"],
            *["--max-length", "20", "--split-seed", "1", "--balance", "sampling"],
            *["--pool", "mean", "--no-bidirectional", "--out", str(tmp / "cls")],
        ],
    )
    yield (
        ("classify", "train"),
        [
            *cls,
            "--data",
            str(runs["signals"]),
            "--noise",
            "0.1",
            "--no-baselines",
            "--seeds",
            "2",
            "--keep",
            "last",
        ],
    )
    yield ("classify", "predict"), ["classify", "predict", str(tmp / "cls"), "fine", "--top", "1"]
    texts = tmp / "texts.txt"
    texts.write_text("fine\nbad\n")
    yield ("classify", "predict"), ["classify", "predict", str(tmp / "cls"), "--file", str(texts)]
    yield ("classify", "eval"), ["classify", "eval", str(tmp / "cls")]
    pairs = tmp / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ["ab", "ba", "abc", "cab"] * 6))
    s2s = ["seq2seq", "train", "--hidden", "4", "--embed", "4", "--batch-size", "4", "--steps", "2"]
    yield (
        ("seq2seq", "train"),
        [
            *s2s,
            *["--data", str(pairs), "--source-level", "word", "--target-level", "word"],
            *["--test-fraction", "0.2", "--val-fraction", "0.2", "--split-seed", "1"],
            *["--max-source", "9", "--scheduled-sampling", "exponential", "--sampling-steps", "2"],
            *["--teacher-forcing-floor", "0.3", "--beam", "2", "--length-penalty", "0.5"],
            *["--attention", "additive", "--no-input-feeding", "--label-smoothing", "0.1"],
            *["--no-bidirectional", "--out", str(tmp / "s2s")],
        ],
    )
    yield (
        ("seq2seq", "train"),
        [*s2s, "--data", "dates", "--train-size", "8", "--eval-size", "4", "--no-baselines"],
    )
    yield (
        ("seq2seq", "train"),
        [*s2s, "--data", "numbers:digits-en", "--max-number", "30"],
    )
    run = str(tmp / "s2s")
    yield ("seq2seq", "translate"), ["seq2seq", "translate", run, "abc", "--beam", "2"]
    src = tmp / "src.txt"
    src.write_text("ab\ncab\n")
    yield (
        ("seq2seq", "translate"),
        [
            *["seq2seq", "translate", run, "--file", str(src), "--batch-size", "1"],
            *["--length-penalty", "0", "--temperature", "0.5"],
            *["--attention-png", str(tmp / "a.png")],
        ],
    )
    yield ("seq2seq", "eval"), ["seq2seq", "eval", run, "--beam", "2"]
    cap = ["caption", "train", "--hidden", "4", "--embed", "4", "--batch-size", "4", "--steps", "2"]
    cap += ["--max-digits", "2", "--language", "fr", "--epoch-size", "8", "--eval-size", "4"]
    cap += ["--split-seed", "1", "--features", "4", "--block", "8", "--attention", "dot"]
    cap += ["--jitter", "1"]
    yield ("caption", "train"), [*cap, "--out", str(tmp / "cap"), "--encoder", "mlp"]
    yield ("caption", "train"), [*cap, "--no-baselines", "--channels", "4", "--pretrain-steps", "3"]
    run = str(tmp / "cap")
    yield (
        ("caption", "predict"),
        ["caption", "predict", run, "--number", "12", "--beam", "2"]
        + ["--attention-png", str(tmp / "c.png")],
    )
    strips = tmp / "strips.npz"
    np.savez(strips, images=np.zeros((2, 8, 16), dtype=np.float32))
    yield ("caption", "predict"), ["caption", "predict", run, "--file", str(strips)]
    yield ("caption", "eval"), ["caption", "eval", run]
    pytest.importorskip("onnxruntime")
    onnx_out = str(tmp / "onnx")
    yield ("export",), ["export", run, "--format", "onnx", "--out", onnx_out, "--no-verify"]
    pytest.importorskip("faker")
    names = ["names", "train", "--languages", "Italian,Russian", "--per-language", "20"]
    names += ["--hidden", "8", "--embed", "4", "--batch-size", "8", "--steps", "2"]
    yield ("names", "train"), [*names, "--split-seed", "1", "--out", str(tmp / "names")]
    yield ("names", "eval"), ["names", "eval", str(tmp / "names")]
    yield (
        ("names", "sample"),
        [
            *["names", "sample", str(tmp / "names"), "--language", "Italian", "-n", "2"],
            *["--prime", "R", "--temperature", "0.5"],
        ],
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flags")
    corpus = tmp / "tiny.txt"
    corpus.write_text("the cat sat on the mat.\n" * 60)
    lm, adding = tmp / "lm", tmp / "adding"
    assert (
        main(
            ["lm", "train", "--data", str(corpus), "--hidden", "8", "--batch-size", "4"]
            + ["--steps", "2", "--quiet", "--backward-lm", "--out", str(lm)]
        )
        == 0
    )
    assert (
        main(
            ["longrange", "adding", "--length", "6", "--hidden", "4", "--steps", "2"]
            + ["--test-size", "5", "--quiet", "--out", str(adding)]
        )
        == 0
    )
    series = tmp / "series.csv"
    rows = [f"{2000 + i // 12}-{i % 12 + 1:02d}-01,{5 + (i % 12) / 3},{i % 5}" for i in range(60)]
    series.write_text("when,y,x\n" + "\n".join(rows) + "\n")
    reviews = tmp / "reviews.csv"
    rows = [
        f"{'fine day' if i % 2 else 'bad day'} {i},{'+' if i % 2 else '-'},{i}" for i in range(24)
    ]
    reviews.write_text("review,y,id\n" + "\n".join(rows) + "\n")
    signals = tmp / "signals.npz"
    x = np.random.default_rng(0).normal(size=(20, 5, 2)).astype(np.float32)
    np.savez(signals, x=x, y=np.arange(20) % 2)
    return {
        "corpus": corpus,
        "lm": lm,
        "adding": adding,
        "series": series,
        "reviews": reviews,
        "signals": signals,
    }


def test_every_flag_reaches_a_field_that_is_read(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    reads = defaultdict(set)
    for path, argv in scenarios(tmp_path, runs):
        with track_reads() as seen:
            assert main([*argv, "--quiet", "--threads", "1"]) == 0, argv
        reads[path] |= seen
    pooled = set().union(*(reads[p] for p in TRAIN_PATHS))
    unread = []
    for command in commands():
        assert command.path in reads, f"no scenario runs `rnnkit {' '.join(command.path)}`"
        for flag in add_flags(argparse.ArgumentParser(), command).flags:
            key = (flag.owner, flag.name)
            found = reads[command.path] | (pooled if flag.owner in SHARED else set())
            if key not in found:
                unread.append(f"rnnkit {' '.join(command.path)} {flag.flag} ({'.'.join(key)})")
    assert not unread, "flags whose field nothing reads:\n" + "\n".join(unread)


@dataclass
class Probe(Config):
    used: int = 1  # read by the code
    checked: int = 2  # read by validation only
    shown: int = 3  # read by printing only

    def validate(self) -> None:
        require(self, "checked", self.checked > 0, "positive")


def test_reads_are_recorded_outside_validation_serialisation_and_untracked_blocks():
    with track_reads() as seen:
        probe = Probe()
        probe.replace(used=4).to_dict()
        with untracked():
            _ = probe.shown
        _ = probe.used
    assert seen == {("Probe", "used")}
    _ = probe.checked  # outside the block: nothing recorded, nothing patched
    assert seen == {("Probe", "used")} and "__getattribute__" not in vars(Config)


def test_every_flag_is_generated_from_a_field(capsys):
    """No hand-written option: each flag of each parser is in its command's FlagSet."""
    parser = build_parser()
    for command in commands():
        sub = parser
        for word in command.path:
            sub = next(
                a for a in sub._actions if isinstance(a, argparse._SubParsersAction)
            ).choices[word]
        generated = {f.dest for f in sub.get_default("flagset").flags}
        common = {"help", "seed", "threads", "quiet", "debug", "json"}
        for action in sub._actions:
            assert action.dest in generated | common, (command.path, action.dest)


def test_help_prints_percent_signs_once(capsys):
    with pytest.raises(SystemExit):
        main(["lm", "train", "--help"])
    out = capsys.readouterr().out
    assert "90%" in out and "%%" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["lm", "sample", "RUN", "--temperature", "inf"], "--temperature must be a finite number"),
        (["lm", "fill", "RUN", "a ___", "--top", "0"], "--top must be an integer >= 1"),
        (["demo", "--weight-decay", "inf", "--steps", "1"], "--weight-decay must be a finite"),
        (["gradflow", "--length", "0"], "--length must be None or an integer >= 2, got 0"),
        (["demo", "--cell", "gru", "--forget-bias", "1"], "--forget-bias applies to the lstm"),
        (["demo", "--steps", "1", "--dropout", "x"], "--dropout: invalid float value"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_flag(argv, message, runs, capsys):
    argv = [str(runs["lm"]) if a == "RUN" else a for a in argv]
    try:
        code = main([*argv, "--quiet"])
    except SystemExit as e:  # argparse's own type errors
        code = e.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_json_of_a_train_command_is_its_result(runs, capsys):
    result = json.loads((runs["adding"] / "result.json").read_text())
    assert result["task"] == "adding" and "test_mse" in result and "stopped" in result
