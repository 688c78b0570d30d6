"""`rnnkit lm sample|eval|fill RUN`: use a trained language model."""

from __future__ import annotations

import argparse
import sys

from rnnkit.cli.common import CommandError, say
from rnnkit.generation import SamplingConfig
from rnnkit.tasks import lm
from rnnkit.tasks.lm_fill import fill
from rnnkit.tasks.lm_generate import beam_texts, generate_text


def register_use(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    s = verbs.add_parser(
        "sample",
        parents=[common],
        help="generate text from a trained run",
        description="Continue --prime (or a new line) token by token, printed as it is "
        "drawn: greedy (--temperature 0), temperature, top-k, top-p, or beam search.",
    )
    s.add_argument("run", metavar="RUN", help="run directory of `rnnkit lm train`")
    s.add_argument("--prime", default="", help="text to continue (default: a new line)")
    s.add_argument("--length", type=int, default=500, help="tokens to generate (default: 500)")
    s.add_argument(
        "--temperature", type=float, default=1.0, help="divide the logits by T; 0 is greedy"
    )
    s.add_argument("--top-k", type=int, default=None, help="sample among the K likeliest tokens")
    s.add_argument("--top-p", type=float, default=None, help="sample from the nucleus of mass P")
    s.add_argument(
        "--beam", type=int, default=None, metavar="W", help="beam search of width W instead"
    )
    s.set_defaults(func=run_sample)

    e = verbs.add_parser(
        "eval",
        parents=[common],
        help="held-out metrics of a run next to n-gram baselines",
        description="Cross-entropy (nats/token), bits per token and perplexity on the "
        "held-out split, for the model and n-gram baselines on the same tokens.",
    )
    e.add_argument("run", metavar="RUN", help="run directory of `rnnkit lm train`")
    e.set_defaults(func=run_eval)

    f = verbs.add_parser(
        "fill",
        parents=[common],
        help="rank words for a blank (___) with a bidirectional run",
        description="Score each candidate sentence by log P_fwd + log P_bwd (both "
        "directions of a --bidirectional run; forward only otherwise, with a note).",
    )
    f.add_argument("run", metavar="RUN", help="run directory of `rnnkit lm train`")
    f.add_argument("text", help='a sentence with one blank, e.g. "It was a ___ night."')
    f.add_argument(
        "--candidates",
        default=None,
        help="comma-separated words to rank (default: the model proposes its own)",
    )
    f.add_argument("--top", type=int, default=10, help="how many to print (default: 10)")
    f.set_defaults(func=run_fill)


def run_sample(args: argparse.Namespace) -> dict:
    if args.length < 1:
        raise CommandError(f"--length must be at least 1, got {args.length}")
    model, tokenizer, _ = lm.load(args.run)
    if args.beam is not None:
        if args.beam < 1:
            raise CommandError(f"--beam must be at least 1, got {args.beam}")
        beams = beam_texts(model, tokenizer, args.prime, length=args.length, width=args.beam)
        say(args, args.prime + beams[0][0])
        return {"text": beams[0][0], "beams": [{"text": t, "log_prob": p} for t, p in beams]}
    try:
        sampling = SamplingConfig(args.temperature, args.top_k, args.top_p)
    except ValueError as e:
        message = str(e).replace("top_", "--top-").replace("temperature", "--temperature")
        raise CommandError(message) from None
    stream = None if args.quiet else _stream
    if stream:
        stream(args.prime)
    text = generate_text(
        model,
        tokenizer,
        args.prime,
        length=args.length,
        sampling=sampling,
        seed=args.seed,
        on_text=stream,
    )
    say(args, "")
    return {"text": text}


def _stream(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def run_eval(args: argparse.Namespace) -> dict:
    result = lm.evaluate_run(args.run)
    say(args, table(result))
    return result


def table(result: dict) -> str:
    """The model and every baseline: nats, bits per token and perplexity, one row each."""
    rows = [("model", result)] + sorted(
        result["baselines"].items(), key=lambda kv: kv[1]["val_loss"]
    )
    lines = [f"{'':<16}{'nats/token':>12}{'bits/token':>12}{'perplexity':>12}"]
    for name, m in rows:
        best = "  (best baseline)" if name == result.get("best_baseline") else ""
        lines.append(
            f"{name:<16}{m['val_loss']:>12.4f}{m['val_bits_per_token']:>12.4f}"
            f"{m['val_perplexity']:>12.3f}{best}"
        )
    return "\n".join(lines)


def run_fill(args: argparse.Namespace) -> dict:
    model, tokenizer, _ = lm.load(args.run)
    candidates = None
    if args.candidates is not None:
        candidates = [c.strip() for c in args.candidates.split(",") if c.strip()]
        if not candidates:
            raise CommandError("--candidates: give at least one word, comma-separated")
    both = model.config.bidirectional
    if not both:
        say(args, "note: not a --bidirectional run; scoring by the forward model alone")
    ranked = fill(model, tokenizer, args.text, candidates, seed=args.seed)
    heading = "log P_fwd + log P_bwd" if both else "log P_fwd"
    say(args, f"{'rank':>4}  {heading + ' (nats)':>28}  candidate")
    for i, f in enumerate(ranked[: args.top], 1):
        say(args, f"{i:>4}  {f.score:>28.3f}  {f.candidate}")
    return {
        "text": args.text,
        "bidirectional": both,
        "ranked": [
            {
                "candidate": f.candidate,
                "score": f.score,
                "forward": f.forward,
                "backward": f.backward,
            }
            for f in ranked
        ],
    }
