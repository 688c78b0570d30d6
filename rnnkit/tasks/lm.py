"""Language modelling: train a recurrent LM on a text corpus by truncated BPTT.

Builds the tokenised corpus (rnnkit.data), the model (rnnkit.models.lm) and the trainer,
trains, then reports the held-out cross-entropy, bits per token and perplexity next to
n-gram baselines fitted on the same training split and scored on the same tokens.

Run directory: config.json, vocab.json (the tokenizer), last/ and best/ checkpoints,
metrics.jsonl, baselines.json and result.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from rnnkit.data import TextData, TextDataConfig, Tokenizer, load_text_data, load_tokenizer
from rnnkit.models.lm import LanguageModel, LMBatch, LMConfig
from rnnkit.tasks.lm_data import LMStreams, best_baseline, evaluate_lm, ngram_baselines
from rnnkit.training import RunDir, TrainConfig, Trainer
from rnnkit.training.checkpoint import load_weights
from rnnkit.training.distributed import DistInfo
from rnnkit.training.progress import Progress
from rnnkit.training.rundir import open_run, read_json, write_json

SPLIT = (0.9, 0.1, 0.0)  # train / held-out fractions, as in the README's n-gram table


@dataclass
class LMRun:
    """Everything one language-model training run needs."""

    data: TextDataConfig
    model: LMConfig  # vocab_size is replaced by the tokenizer's
    train: TrainConfig
    out: str | Path | None = None
    resume: bool = False
    tensorboard: bool = False
    progress: Progress | None = None
    dist: DistInfo = field(default_factory=DistInfo)
    baselines: bool = True  # fit and report the n-gram baselines after training
    cache_dir: str | Path | None = None  # tokenised-corpus cache (None: the default)


def load_data(config: TextDataConfig, cache_dir: str | Path | None = None) -> TextData:
    """The tokenised corpus; too little text for a held-out split is a clear error."""
    data = load_text_data(config, cache_dir=cache_dir)
    if len(data.val) < 2 or len(data.train) < 2:
        raise ValueError(
            f"{config.corpus}: {len(data.tokens)} tokens is too little text to hold out "
            "a validation split; use a longer corpus"
        )
    return data


def train(run: LMRun) -> dict[str, Any]:
    """Train, evaluate on the held-out split, fit the baselines; return result.json."""
    dist = run.dist
    data = load_data(run.data, run.cache_dir)
    model_config = replace(run.model, vocab_size=data.vocab_size)
    torch.manual_seed(run.train.seed)
    model = LanguageModel(model_config)
    rundir = prepare_run(run, model_config, data.tokenizer)
    bptt = run.train.bptt or 64
    streams = LMStreams(
        data.train,
        lanes=run.train.batch_size,
        bptt=bptt,
        random=run.train.bptt_random,
        seed=run.train.seed,
        bidirectional=model_config.bidirectional,
        rank=dist.rank,
        world=dist.world,
    )
    trainer = Trainer(
        model,
        run.train,
        streams,
        evaluate=lambda m: evaluate_lm(m, data.val),
        run=rundir,
        dist=dist,
        carry_state=True,
        progress=run.progress,
        tensorboard=run.tensorboard,
    )
    if run.resume:
        trainer.resume()
    summary = trainer.fit()
    trainer.restore_best()
    result = report(run, model_config, summary, evaluate_lm(model, data.val))
    if run.baselines and dist.main:
        result["baselines"] = ngram_baselines(data.train, data.val, data.vocab_size)
        result["best_baseline"] = best_baseline(result["baselines"])
    if rundir is not None and dist.main:
        if "baselines" in result:
            write_json(rundir.root / "baselines.json", result["baselines"])
        write_json(rundir.root / "result.json", result)
    return result


def report(run: LMRun, model: LMConfig, summary: dict, metrics: dict) -> dict[str, Any]:
    return {
        "task": "lm",
        "corpus": run.data.corpus,
        "level": run.data.level,
        "cell": model.cell,
        "hidden": model.hidden_size,
        "layers": model.num_layers,
        "bidirectional": model.bidirectional,
        "vocab_size": model.vocab_size,
        "steps": summary["step"],
        "seconds": summary["seconds"],
        "train_loss": summary.get("loss"),
        **metrics,
    }


def prepare_run(run: LMRun, model: LMConfig, tokenizer: Tokenizer) -> RunDir | None:
    """The run directory: never overwrite a run unless resuming; config.json, vocab.json."""
    rundir = open_run(run.out, run.resume)
    if rundir is None:
        return None
    if run.resume and rundir.checkpoint("last") is None:
        raise FileNotFoundError(f"nothing to resume: no checkpoint in {run.out}")
    if run.dist.main:
        rundir.create()
        tokenizer.save(rundir.root / "vocab.json")
        rundir.write_config(
            {
                "task": "lm",
                "data": run.data.to_dict(),
                "model": model.to_dict(),
                "train": run.train.to_dict(),
            }
        )
    return rundir


def load(path: str | Path, tag: str = "best") -> tuple[LanguageModel, Tokenizer, dict]:
    """A trained language model (eval mode), its tokenizer and config.json."""
    rundir = RunDir(path)
    if not (rundir.root / "config.json").exists():
        raise FileNotFoundError(f"{path}: not a run directory (no config.json)")
    config = rundir.read_config()
    if config.get("task") != "lm":
        raise ValueError(f"{path} is a {config.get('task')!r} run, not a language-model run")
    model = LanguageModel(LMConfig(**config["model"]))
    where = rundir.checkpoint(tag) or rundir.checkpoint("last")
    if where is None:
        raise FileNotFoundError(f"{path} has no complete checkpoint")
    load_weights(model, where / "model.safetensors")
    return model.eval(), load_tokenizer(rundir.root / "vocab.json"), config


def evaluate_run(path: str | Path, cache_dir: str | Path | None = None) -> dict[str, Any]:
    """Held-out metrics of a run's model and of the n-gram baselines (cached in the run)."""
    model, _, config = load(path)
    data = load_data(TextDataConfig.from_dict(config["data"]), cache_dir)
    result: dict[str, Any] = dict(evaluate_lm(model, data.val))
    cached = Path(path) / "baselines.json"
    if cached.exists():
        result["baselines"] = read_json(cached)
    else:
        result["baselines"] = ngram_baselines(data.train, data.val, data.vocab_size)
        write_json(cached, result["baselines"])
    result["best_baseline"] = best_baseline(result["baselines"])
    return result


def inspect_input(
    path: str | Path, text: str | None, seed: int
) -> tuple[LanguageModel, LMBatch, list[str]]:
    """A trained model, one text as token ids and each token's text, for `rnnkit inspect`.

    Without ``text``, the model writes 200 tokens of its own (sampled with ``seed``).
    """
    from rnnkit.tasks.lm_generate import generate_text

    model, tokenizer, _ = load(path)
    if text is None:
        text = generate_text(model, tokenizer, "", length=200, seed=seed)
    ids = tokenizer.encode(text)
    if len(ids) == 0:
        raise ValueError("--input: give some text to read")
    labels = [tokenizer.decode([int(i)]) for i in ids]
    return model, LMBatch(torch.as_tensor(ids).unsqueeze(0)), labels  # x (1, T)
