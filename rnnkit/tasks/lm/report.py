"""What the command line prints of a language model: the headline before training, the
result after it, and ``eval``'s table; and older run layouts read in today's."""

from __future__ import annotations

from typing import Any

from rnnkit.tasks.registry import best_baseline, trained_for


def headline(task: Any, model: Any, train: Any) -> str:
    """The line printed before training starts."""
    if train.steps and train.minutes:
        budget = f"{train.steps} steps (at most {train.minutes:g} min)"
    elif train.steps:
        budget = f"{train.steps} steps"
    else:
        budget = f"{train.epochs or 1} epoch(s)"
        if train.minutes:
            budget = f"{train.minutes:g} min of training"
    both = " + backward LM" if model.backward_lm else ""
    text = task.config.text
    return (
        f"lm: {model.cell.upper()} H={model.hidden_size} x{model.num_layers}{both} on "
        f"{text.corpus} ({text.level} level), {budget}, {train.batch_size} lanes x "
        f"{task.config.tbptt.bptt} tokens"
    )


def describe(r: dict[str, Any]) -> str:
    """The held-out result next to the best n-gram baseline, in one or two lines."""
    unit = "char" if r.get("level", "char") == "char" else "token"
    line = (
        f"validation: {r['val_loss']:.3f} nats/{unit}, {r['val_bits_per_token']:.3f} "
        f"bits/{unit}, perplexity {r['val_perplexity']:.2f}"
    ) + trained_for(r)
    best = best_baseline(r)
    if best is not None:
        name, b = best
        line += f"\nbest n-gram baseline ({name}): " + (
            f"{b['val_loss']:.3f} nats/{unit}, {b['val_bits_per_token']:.3f} bits/{unit}, "
            f"perplexity {b['val_perplexity']:.2f}"
        )
    return line


def table(result: dict[str, Any]) -> str:
    """The model and every baseline: nats, bits per token and perplexity, one row each."""
    rows = [("model", result)] + sorted(
        result.get("baselines", {}).items(), key=lambda kv: kv[1]["val_loss"]
    )
    lines = [f"{'':<16}{'nats/token':>12}{'bits/token':>12}{'perplexity':>12}"]
    for name, m in rows:
        best = "  (best baseline)" if name == result.get("best_baseline") else ""
        lines.append(
            f"{name:<16}{m['val_loss']:>12.4f}{m['val_bits_per_token']:>12.4f}"
            f"{m['val_perplexity']:>12.3f}{best}"
        )
    return "\n".join(lines)


PRINTED = dict(headline=headline, describe=describe, table=table)  # the CLI's printers


def upgrade(config: dict[str, Any]) -> dict[str, Any]:
    """Runs of rnnkit 0.1: data was the TextDataConfig, bptt lived in the train config."""
    data = config["data"]
    if "text" in data:
        return config
    train = config.get("train", {})
    tbptt = {"bptt": train.get("bptt") or 64, "bptt_random": train.get("bptt_random", False)}
    return {**config, "data": {"text": data, "tbptt": tbptt}}
