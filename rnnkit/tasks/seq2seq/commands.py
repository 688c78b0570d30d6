"""`rnnkit seq2seq translate`: use a trained translation run.

``translate`` writes one output line per input (the positional text, or each line of
``--file``), batched, by greedy decoding, beam search (``--beam W``) or sampling
(``--temperature T``); ``--attention-png`` draws what the model attended to.
``rnnkit seq2seq eval`` is the generic eval command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnkit.analysis.attention_plots import plot_attention
from rnnkit.config import Config, require
from rnnkit.generation.sampling import SamplingConfig
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.registry import register_verb
from rnnkit.tasks.seq2seq import Seq2SeqTask
from rnnkit.tasks.writing.report import attention_maps


@dataclass
class TranslateOptions(Config):
    """Which run, which inputs, how to decode."""

    run: str  # run directory of `rnnkit seq2seq train`
    text: str | None = field(default=None, metadata={"positional": True})  # one text
    file: str | None = None  # a text file: one source per line
    batch_size: int = 64  # sources decoded together
    beam: int = 1  # beam width (1: greedy)
    length_penalty: float = 1.0  # beam search ranks log P / length ** this
    temperature: float = 0.0  # > 0: sample each token at this temperature instead
    attention_png: str | None = None  # draw the attention of the first inputs (up to 3) here

    def validate(self) -> None:
        for name in ("batch_size", "beam"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "length_penalty", self.length_penalty >= 0, "a number >= 0")
        require(self, "temperature", self.temperature >= 0, "a number >= 0")


def read_sources(options: TranslateOptions) -> list[str]:
    if (options.text is None) == (options.file is None):
        raise ValueError("give one text to translate, or --file with one per line (not both)")
    if options.text is not None:
        return [options.text]
    path = Path(options.file)  # type: ignore[arg-type]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not any(line.strip() for line in lines):
        raise ValueError(f"{path}: no sources (the file is empty)")
    return lines


def translate(
    path: str | Path,
    sources: list[str],
    *,
    beam: int = 1,
    length_penalty: float = 1.0,
    batch_size: int = 64,
    temperature: float = 0.0,
    attention_png: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Each source's output and log-probability; an error names the first bad line."""
    loaded = load(path, expect=Seq2SeqTask)
    task = loaded.task
    encoded = []
    for number, text in enumerate(sources, 1):
        try:
            encoded.append(task.codec.encode_source(" ".join(text.split())))
        except ValueError as e:
            where = f"line {number}: " if len(sources) > 1 else ""
            raise ValueError(f"{where}{e}") from None
    sampling = SamplingConfig(temperature=temperature) if temperature > 0 else None
    hyps = task.write(
        loaded.model,
        encoded,
        beam=beam,
        alpha=length_penalty,
        batch_size=batch_size,
        sampling=sampling,
    )
    outputs = [task.decode_text(h.tokens) for h in hyps]
    if attention_png is not None:
        n = min(3, len(sources))
        labels = [task.codec.source_labels(" ".join(s.split())) for s in sources[:n]]
        maps = attention_maps(task, loaded.model, encoded[:n], outputs[:n], labels)
        if not maps:
            raise ValueError("--attention-png: this model has no attention (--attention none)")
        plot_attention(maps, attention_png, title=f"{task.config.data}: attention over the source")
    return [
        {"source": s, "output": o, "log_prob": h.log_prob, "finished": h.finished}
        for s, o, h in zip(sources, outputs, hyps)
    ]


def run_translate(console: Console, *, options: TranslateOptions, seed: int) -> dict[str, Any]:
    """translate texts with a trained seq2seq run

    Write one output line per input (`rnnkit seq2seq translate RUN "5 décembre 1993"`,
    or --file with one source per line): greedy, --beam W, or --temperature T sampling;
    --attention-png F draws the attention of the first inputs.
    """
    found = translate(
        options.run,
        read_sources(options),
        beam=options.beam,
        length_penalty=options.length_penalty,
        batch_size=options.batch_size,
        temperature=options.temperature,
        attention_png=options.attention_png,
    )
    for t in found:
        console.say(t["output"])
    if options.attention_png:
        console.say(f"attention: {options.attention_png}")
    return found[0] if len(found) == 1 else {"translations": found}


register_verb(("seq2seq", "translate"), run_translate, TranslateOptions, "translation", threads=1)
