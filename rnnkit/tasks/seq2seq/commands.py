"""`rnnkit seq2seq translate`: use a trained translation run.

``translate`` writes one output line per input (the positional text, or each line of
``--file``), batched, by greedy decoding, beam search (``--beam W``) or sampling
(``--temperature T``); ``--attention-png`` draws what the model attended to.
``rnnkit seq2seq eval`` is the generic eval command.
"""

from __future__ import annotations

import sys
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
    strict: bool = False  # a word never seen in training is an error, not a warning

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
    strict: bool = False,
) -> list[dict[str, Any]]:
    """Each source's output and log-probability, and the words it had never seen
    (``unknown``); a source that cannot be read gets ``error`` instead, and the rest are
    still translated. ``strict``: an unknown word is an error of that source too."""
    loaded = load(path, expect=Seq2SeqTask)
    task = loaded.task
    encoded, errors, unknown = [], {}, {}
    for number, text in enumerate(sources, 1):
        clean = " ".join(text.split())
        try:
            unknown[number] = task.codec.unknown(clean) if clean else []
            if strict and unknown[number]:
                raise ValueError(f"words never seen in training: {' '.join(unknown[number])}")
            encoded.append(task.codec.encode_source(clean))
        except ValueError as e:
            errors[number] = str(e)
    if len(sources) == 1 and errors:
        raise ValueError(errors[1])
    good = [n for n in range(1, len(sources) + 1) if n not in errors]
    written = _write(task, loaded, encoded, beam, length_penalty, batch_size, temperature)
    if attention_png is not None:
        _attention(task, loaded, [sources[n - 1] for n in good], encoded, written, attention_png)
    out: list[dict[str, Any]] = []
    found = dict(zip(good, written))
    for n, s in enumerate(sources, 1):
        if n in errors:
            out.append({"source": s, "output": None, "error": errors[n]})
            continue
        o, h = found[n]
        out.append({"source": s, "output": o, "log_prob": h.log_prob, "finished": h.finished,
                    "unknown": unknown[n]})  # fmt: skip
    return out


def _write(
    task: Seq2SeqTask,
    loaded: Any,
    encoded: list[Any],
    beam: int,
    length_penalty: float,
    batch_size: int,
    temperature: float,
) -> list[tuple[str, Any]]:
    """(output text, hypothesis) of each encoded source."""
    if not encoded:
        return []
    sampling = SamplingConfig(temperature=temperature) if temperature > 0 else None
    hyps = task.write(
        loaded.model,
        encoded,
        beam=beam,
        alpha=length_penalty,
        batch_size=batch_size,
        sampling=sampling,
    )
    return [(task.decode_text(h.tokens), h) for h in hyps]


def _attention(
    task: Seq2SeqTask,
    loaded: Any,
    sources: list[str],
    encoded: list[Any],
    written: list[tuple[str, Any]],
    png: str | Path,
) -> None:
    """The attention of the first sources (up to 3), drawn to ``png``."""
    n = min(3, len(sources))
    labels = [task.codec.source_labels(" ".join(s.split())) for s in sources[:n]]
    outputs = [o for o, _ in written[:n]]
    maps = attention_maps(task, loaded.model, encoded[:n], outputs, labels)
    if not maps:
        raise ValueError("--attention-png: this model has no attention (--attention none)")
    plot_attention(maps, png, title=f"{task.config.data}: attention over the source")


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
        strict=options.strict,
    )
    where = (lambda n: f"line {n}: ") if len(found) > 1 else (lambda n: "")
    for n, t in enumerate(found, 1):
        console.say(t["output"] if t["output"] is not None else "")
        if t.get("unknown"):
            words = " ".join(t["unknown"])
            print(f"warning: {where(n)}never seen in training (read as <unk>): {words}",
                  file=sys.stderr)  # fmt: skip
    if options.attention_png:
        console.say(f"attention: {options.attention_png}")
    failed = [f"line {n}: {t['error']}" for n, t in enumerate(found, 1) if "error" in t]
    if failed:
        raise ValueError(
            f"{len(failed)} of {len(found)} sources not translated ({'; '.join(failed)})"
        )
    return found[0] if len(found) == 1 else {"translations": found}


register_verb(("seq2seq", "translate"), run_translate, TranslateOptions, "translation", threads=1)
