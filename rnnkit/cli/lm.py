"""`rnnkit lm train|sample|eval|fill|demo`: recurrent language models on text."""

from __future__ import annotations

import argparse

from rnnkit.cli.common import CommandError
from rnnkit.cli.lm_use import register_use
from rnnkit.cli.training import add_training_flags, progress_for, train_command, train_config
from rnnkit.data import TextDataConfig
from rnnkit.models.lm import LMConfig
from rnnkit.tasks import lm
from rnnkit.training import distributed as ddp

# Defaults chosen by experiment on Shakespeare, 2 busy CPU cores (README, "Language models")
MODEL_DEFAULTS = dict(cell="lstm", hidden=256, layers=1, embed=64, dropout=0.0)
TRAIN_DEFAULTS = dict(
    steps=5000,
    minutes=60.0,
    batch_size=32,
    lr=3e-3,
    schedule="cosine",  # measured: anneals over --minutes too; 1.470 vs 1.504 constant
    clip=1.0,
    bptt=64,
    eval_every=1000,
    log_every=100,
    checkpoint_every=250,
)


DEFAULT_THREADS = 1  # measured: 2 threads on 2 busy cores ran 6x slower than 1


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "lm",
        help="language models: train, sample, eval, fill, demo",
        description="Character- or word-level recurrent language models on a text corpus.",
    )
    verbs = p.add_subparsers(dest="verb", metavar="<verb>", required=True)
    t = verbs.add_parser(
        "train",
        parents=[common],
        help="train a language model by truncated BPTT",
        description="Train on the first 90%% of a corpus; report cross-entropy, bits per "
        "token and perplexity on the last 10%% next to n-gram baselines. Uses one CPU "
        "thread unless --threads says otherwise: the recurrent steps are small matrix "
        "products, and on a busy machine more threads mostly wait for each other.",
    )
    add_data_flags(t, required=True)
    add_model_flags(t)
    add_training_flags(t, **TRAIN_DEFAULTS)
    t.add_argument("--no-baselines", action="store_true", help="skip the n-gram baselines")
    t.set_defaults(func=run_train, threads=DEFAULT_THREADS)
    register_use(verbs, common)
    from rnnkit.cli.lm_demo import register_demo

    register_demo(verbs, common)


def add_data_flags(
    p: argparse.ArgumentParser, *, required: bool, default: str | None = None
) -> None:
    g = p.add_argument_group("data")
    g.add_argument(
        "--data",
        required=required,
        default=default,
        metavar="CORPUS",
        help="fortunes, shakespeare, or a UTF-8 text file / folder of .txt files",
    )
    g.add_argument(
        "--level", choices=("char", "word"), default="char", help="tokens (default: char)"
    )
    g.add_argument(
        "--max-vocab", type=int, default=None, help="cap the vocabulary, <unk> included (off)"
    )


def add_model_flags(p: argparse.ArgumentParser, **defaults: object) -> None:
    d = {**MODEL_DEFAULTS, **defaults}
    g = p.add_argument_group("model")
    g.add_argument(
        "--cell", choices=("rnn", "lstm", "gru"), default=d["cell"], help="recurrent cell"
    )
    g.add_argument(
        "--hidden", type=int, default=d["hidden"], help=f"hidden units (default: {d['hidden']})"
    )
    g.add_argument(
        "--layers", type=int, default=d["layers"], help=f"stacked layers (default: {d['layers']})"
    )
    g.add_argument(
        "--embed", type=int, default=d["embed"], help=f"embedding width (default: {d['embed']})"
    )
    g.add_argument(
        "--dropout", type=float, default=d["dropout"], help=f"dropout (default: {d['dropout']})"
    )
    g.add_argument(
        "--tie", action="store_true", help="tie the read-out to the embedding (projecting H to E)"
    )
    g.add_argument(
        "--bidirectional",
        action="store_true",
        help="also train a backward LM sharing the embedding (needed by `lm fill`)",
    )


def data_config(args: argparse.Namespace) -> TextDataConfig:
    try:
        return TextDataConfig(
            corpus=args.data, level=args.level, max_vocab=args.max_vocab, split=lm.SPLIT
        )
    except ValueError as e:
        raise CommandError(f"--data/--level/--max-vocab: {e}") from None


def model_config(args: argparse.Namespace) -> LMConfig:
    try:
        return LMConfig(
            vocab_size=1,  # replaced by the tokenizer's size
            cell=args.cell,
            hidden_size=args.hidden,
            num_layers=args.layers,
            embed_size=args.embed,
            dropout=args.dropout,
            tie_weights=args.tie,
            bidirectional=args.bidirectional,
        )
    except ValueError as e:
        flags = {"hidden_size": "--hidden", "num_layers": "--layers", "embed_size": "--embed"}
        message = str(e)
        for field, flag in flags.items():
            message = message.replace(f"LMConfig.{field}", flag)
        raise CommandError(message.replace("LMConfig.", "--")) from None


def make_run(args: argparse.Namespace, dist: ddp.DistInfo) -> lm.LMRun:
    return lm.LMRun(
        data_config(args),
        model_config(args),
        train_config(args),
        out=args.out,
        resume=args.resume,
        tensorboard=args.tensorboard,
        progress=progress_for(args, dist, "tok"),
        dist=dist,
        baselines=not args.no_baselines,
    )


def run_train(args: argparse.Namespace) -> dict | None:
    return train_command(args, make_run, lm.train, headline, describe)


def headline(run: lm.LMRun) -> str:
    m, t = run.model, run.train
    if t.steps and t.minutes:
        budget = f"{t.steps} steps (at most {t.minutes:g} min)"
    elif t.steps:
        budget = f"{t.steps} steps"
    else:
        budget = f"{t.minutes:g} min of training" if t.minutes else f"{t.epochs or 1} epoch(s)"
    both = " + backward LM" if m.bidirectional else ""
    return (
        f"lm: {m.cell.upper()} H={m.hidden_size} x{m.num_layers}{both} on {run.data.corpus} "
        f"({run.data.level} level), {budget}, {t.batch_size} lanes x {t.bptt or 64} tokens"
    )


def describe(r: dict) -> str:
    """The held-out result next to the best n-gram baseline, in one or two lines."""
    unit = "char" if r.get("level", "char") == "char" else "token"
    line = (
        f"validation: {r['val_loss']:.3f} nats/{unit}, {r['val_bits_per_token']:.3f} bits/{unit}, "
        f"perplexity {r['val_perplexity']:.2f}  after {r['steps']} steps ({r['seconds']:.0f} s)"
    )
    if "baselines" in r:
        name = r["best_baseline"]
        b = r["baselines"][name]
        line += (
            f"\nbest n-gram baseline ({name}): {b['val_loss']:.3f} nats/{unit}, "
            f"{b['val_bits_per_token']:.3f} bits/{unit}, perplexity {b['val_perplexity']:.2f}"
        )
    return line
