"""`rnnkit names train|sample`: surnames generated from their language of origin."""

from __future__ import annotations

import argparse

from rnnkit.cli.common import CommandError, say
from rnnkit.cli.training import add_training_flags, progress_for, train_command, train_config
from rnnkit.data.names import LANGUAGE_LOCALES
from rnnkit.generation.sampling import SamplingConfig
from rnnkit.tasks import names, names_generate
from rnnkit.training import distributed as ddp

# Defaults chosen by experiment (README, "Names: one-to-many generation"): about two
# minutes on one CPU thread.
DEFAULTS = dict(
    steps=2500,
    minutes=5.0,
    batch_size=64,
    lr=5e-3,
    schedule="cosine",
    clip=1.0,
    eval_every=250,
    log_every=100,
    checkpoint_every=0,
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "names",
        help="generate surnames conditioned on their language (one-to-many)",
        description="A language embedding sets the initial state of a character-level "
        "RNN that spells surnames of that language.",
    )
    verbs = p.add_subparsers(dest="verb", metavar="<verb>", required=True)
    t = verbs.add_parser(
        "train",
        parents=[common],
        help="train a conditional name model",
        description="Train on faker's surnames (needs the data extra) and compare "
        "with per-language Kneser-Ney n-gram models.",
    )
    add_model_flags(t)
    add_training_flags(t, **DEFAULTS)
    t.set_defaults(func=run_train)
    s = verbs.add_parser(
        "sample",
        parents=[common],
        help="sample names of a language from a trained run",
        description="Draw names one character at a time; reports how many are novel "
        "(not training names).",
    )
    add_sample_flags(s)
    s.set_defaults(func=run_sample)


def add_model_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("task and model")
    g.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="lstm", help="recurrent cell")
    g.add_argument("--hidden", type=int, default=256, help="hidden units (default: 256)")
    g.add_argument("--embed", type=int, default=32, help="character embedding size (default: 32)")
    g.add_argument("--layers", type=int, default=1, help="stacked layers (default: 1)")
    g.add_argument("--dropout", type=float, default=0.1, help="dropout (default: 0.1)")
    g.add_argument(
        "--languages",
        default=None,
        metavar="A,B,...",
        help=f"comma-separated subset of: {', '.join(LANGUAGE_LOCALES)} (default: all)",
    )
    g.add_argument(
        "--per-language",
        type=int,
        default=None,
        metavar="N",
        help="keep at most N names per language and split (for quick trials)",
    )


def add_sample_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run directory of `rnnkit names train`")
    p.add_argument("--language", required=True, help="language of origin, e.g. Italian")
    p.add_argument("-n", type=int, default=10, help="how many names (default: 10)")
    p.add_argument("--temperature", type=float, default=1.0, help="0 is greedy (default: 1)")
    p.add_argument("--top-k", type=int, default=None, help="keep the k most likely characters")
    p.add_argument("--top-p", type=float, default=None, help="nucleus: keep probability mass p")
    p.add_argument("--prime", default="", help="start every name with these characters")


def make_run(args: argparse.Namespace, dist: ddp.DistInfo) -> names.NamesRun:
    languages = None
    if args.languages:
        languages = tuple(x.strip() for x in args.languages.split(",") if x.strip())
    try:
        task = names.NamesTaskConfig(languages=languages, per_language=args.per_language)
        model = names.model_config(
            len(task.languages or LANGUAGE_LOCALES),
            args.cell,
            args.hidden,
            embed_size=args.embed,
            num_layers=args.layers,
            dropout=args.dropout,
        )
    except ValueError as e:
        raise CommandError(flag_names(str(e))) from None
    return names.NamesRun(
        task,
        model,
        train_config(args),
        out=args.out,
        resume=args.resume,
        tensorboard=args.tensorboard,
        progress=progress_for(args, dist, "name"),
        dist=dist,
    )


FLAGS = {
    "ConditionalConfig.hidden_size": "--hidden",
    "ConditionalConfig.embed_size": "--embed",
    "ConditionalConfig.num_layers": "--layers",
    "ConditionalConfig.dropout": "--dropout",
    "languages:": "--languages:",
    "per_language": "--per-language",
}


def flag_names(message: str) -> str:
    """A config error in terms of the command's flags."""
    for field_name, flag in FLAGS.items():
        message = message.replace(field_name, flag)
    return message


def run_train(args: argparse.Namespace) -> dict | None:
    def headline(run: names.NamesRun) -> str:
        return (
            f"names: {args.cell.upper()} H={args.hidden} over {run.model.num_classes} "
            f"languages, up to {run.train.steps} steps / {run.train.minutes} min"
        )

    return train_command(args, make_run, names.train, headline, describe)


def describe(r: dict) -> str:
    best = r["baseline_best"]
    return (
        f"validation {r['val_nats_per_char']:.4f} nats/char ({r['val_bits_per_char']:.3f} bits)"
        f"; n-gram baseline {best}: {r['baseline_val_nats_per_char'][best]:.4f}"
        f"\ntest {r['test_nats_per_char']:.4f} nats/char; n-gram {best}: "
        f"{r['baseline_test_nats_per_char'][best]:.4f}"
        f"  after {r['steps']} steps, {r['seconds']:.0f} s"
    )


def run_sample(args: argparse.Namespace) -> dict:
    try:
        sampling = SamplingConfig(args.temperature, args.top_k, args.top_p)
    except ValueError as e:
        raise CommandError(str(e).replace("top_", "--top-").replace("temp", "--temp")) from None
    if args.n < 1:
        raise CommandError(f"-n must be at least 1, got {args.n}")
    drawn, novel = names_generate.sample(
        args.run, args.language, args.n, sampling, seed=args.seed, prime=args.prime
    )
    for name, new in zip(drawn, novel):
        say(args, name if new else f"{name}  (training name)")
    say(args, f"{sum(novel)}/{len(drawn)} novel (not in the {args.language} training names)")
    return {"language": args.language, "names": drawn, "novel": sum(novel), "n": len(drawn)}
