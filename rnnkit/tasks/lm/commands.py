"""`rnnkit lm sample|fill|demo`: use a trained language model, or train one and write.

``rnnkit lm eval`` is the generic eval command (rnnkit.tasks.commands): the held-out
text scored next to the n-gram baselines, reusing baselines.json when it scored the
same tokens.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.config import Config, require
from rnnkit.generation import SamplingConfig
from rnnkit.tasks.commands import RunOptions, data_group, model_group, run_training, train_group
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.lm import TRAIN_DEFAULTS, LMTask
from rnnkit.tasks.lm.fill import fill
from rnnkit.tasks.lm.generate import beam_texts, generate_text
from rnnkit.tasks.lm.report import describe
from rnnkit.tasks.registry import Command, Group, info, register_command, register_verb


def load_lm(path: str | Path, **kwargs: Any) -> tuple[Any, Any, dict[str, Any]]:
    """A trained language model (eval mode), its tokenizer and config.json."""
    loaded = load(path, expect=LMTask, **kwargs)
    task = loaded.task
    return loaded.model, task.tokenizer, loaded.config


# -- sample ---------------------------------------------------------------------------


@dataclass
class SampleOptions(Config):
    """What to continue and how far."""

    run: str  # run directory of `rnnkit lm train`
    prime: str = ""  # text to continue (default: a new line)
    length: int = 500  # tokens to generate
    beam: int | None = None  # beam search of width W instead of sampling

    def validate(self) -> None:
        require(self, "length", self.length >= 1, "an integer >= 1")
        require(self, "beam", self.beam is None or self.beam >= 1, "None or an integer >= 1")


def run_sample(
    console: Console, *, options: SampleOptions, sampling: SamplingConfig, seed: int
) -> dict[str, Any]:
    """generate text from a trained run

    Continue --prime (or a new line) token by token, printed as it is drawn: greedy
    (--temperature 0), temperature, top-k, top-p, or beam search.
    """
    model, tokenizer, _ = load_lm(options.run)
    if options.beam is not None:
        beams = beam_texts(
            model, tokenizer, options.prime, length=options.length, width=options.beam
        )
        console.say(options.prime + beams[0][0])
        return {"text": beams[0][0], "beams": [{"text": t, "log_prob": p} for t, p in beams]}
    if not console.quiet:
        console.stream(options.prime)
    text = generate_text(
        model,
        tokenizer,
        options.prime,
        length=options.length,
        sampling=sampling,
        seed=seed,
        on_text=None if console.quiet else console.stream,
    )
    console.say("")
    return {"text": text}


# -- fill -----------------------------------------------------------------------------


@dataclass
class FillOptions(Config):
    """The sentence with a blank, and what may fill it."""

    run: str  # run directory of `rnnkit lm train`
    text: str  # a sentence with one blank, e.g. "It was a ___ night."
    candidates: tuple[str, ...] | None = None  # words to rank (None: the model proposes its own)
    top: int = 10  # how many to print

    def validate(self) -> None:
        if self.candidates is not None:
            words = tuple(c.strip() for c in self.candidates if c.strip())
            require(self, "candidates", bool(words), "at least one word, comma-separated")
            self.candidates = words
        require(self, "top", self.top >= 1, "an integer >= 1")


def run_fill(console: Console, *, options: FillOptions, seed: int) -> dict[str, Any]:
    """rank words for a blank (___) with a run that has a backward LM

    Score each candidate sentence by log P_fwd + log P_bwd (both directions of a
    --backward-lm run; forward only otherwise, with a note).
    """
    model, tokenizer, _ = load_lm(options.run)
    both = model.config.backward_lm
    if not both:
        console.say("note: not a --backward-lm run; scoring by the forward model alone")
    candidates = list(options.candidates) if options.candidates else None
    ranked = fill(model, tokenizer, options.text, candidates, seed=seed)
    heading = "log P_fwd + log P_bwd" if both else "log P_fwd"
    console.say(f"{'rank':>4}  {heading + ' (nats)':>28}  candidate")
    for i, f in enumerate(ranked[: options.top], 1):
        console.say(f"{i:>4}  {f.score:>28.3f}  {f.candidate}")
    return {
        "text": options.text,
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


# -- demo -----------------------------------------------------------------------------

# Two minutes are too short to gain from annealing (measured on fortunes: constant 1.636
# nats/char after 1,447 steps, cosine 1.681 after 1,382), so the demo keeps the rate.
DEMO_TRAINING = {
    **TRAIN_DEFAULTS,
    "steps": None,
    "minutes": 2.0,
    "eval_every": 500,
    "schedule": "constant",
}


@dataclass
class WriteOptions(Config):
    """What the demo writes after training."""

    length: int = 400  # characters to write
    temperature: float = 0.8  # sampling temperature

    def validate(self) -> None:
        require(self, "length", self.length >= 1, "an integer >= 1")
        SamplingConfig(temperature=self.temperature)  # the same checks as sampling's


def run_demo(console: Console, *, write: WriteOptions, seed: int, **configs: Any) -> dict | None:
    with tempfile.TemporaryDirectory(prefix="rnnkit-lm-demo-") as tmp:
        options: RunOptions = configs["run"]
        out = options.out or f"{tmp}/run"
        configs["run"] = options.replace(out=out)
        result = run_training(info(LMTask), console, seed=seed, **configs)
        if result is None:  # not rank 0
            return None
        console.say(describe(result))
        model, tokenizer, _ = load_lm(out)
        console.say(f"\nsampled at temperature {write.temperature}:")
        result["sample"] = generate_text(
            model,
            tokenizer,
            "",
            length=write.length,
            sampling=SamplingConfig(temperature=write.temperature),
            seed=seed,
            on_text=None if console.quiet else console.stream,
        )
        console.say("")
    return result


def _register() -> None:
    entry = info(LMTask)
    sampling = Group("sampling", SamplingConfig, "sampling")
    register_verb(("lm", "sample"), run_sample, SampleOptions, "generation", sampling)
    register_verb(("lm", "fill"), run_fill, FillOptions, "fill in the blank")
    register_command(
        Command(
            path=("lm", "demo"),
            help="train a character LSTM on the fortune file for ~2 minutes, then write",
            description="Train a character-level LSTM on `fortunes` for about two minutes, "
            "compare its validation bits per character with the best n-gram baseline, and "
            "print text it writes.",
            groups=(
                data_group(
                    entry,
                    title="data",
                    defaults={"text.corpus": "fortunes"},
                    exclude=(*entry.not_flags, "baselines"),
                    required=(),
                ),
                model_group(entry, exclude=("backward_lm",)),
                train_group(DEMO_TRAINING),
                Group("run", RunOptions, "run directory", exclude=("resume",)),
                Group("write", WriteOptions, "writing"),
            ),
            run=run_demo,
            threads=entry.threads,
        )
    )


_register()
