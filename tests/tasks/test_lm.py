"""rnnkit/tasks/lm.py and its siblings: training, held-out loss, streams, fill, checkpoints."""

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnkit.data import TextDataConfig
from rnnkit.models.lm import LanguageModel, LMBatch, LMConfig
from rnnkit.tasks import lm
from rnnkit.tasks.lifecycle import Run, train
from rnnkit.tasks.lm.commands import load_lm
from rnnkit.tasks.lm.data import LMStreams, evaluate_lm, stream_loss
from rnnkit.tasks.lm.fill import fill, rank, split_template
from rnnkit.training import RunDir, TrainConfig
from rnnkit.training.tbptt import TBPTTConfig

SENTENCES = ["the cat sat on the mat.", "a dog ran in the park.", "we eat green apples."]


def corpus(path, n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    path.write_text("\n".join(SENTENCES[i] for i in rng.integers(0, 3, n)) + "\n")
    return path


def make_task(tmp_path, *, baselines=True) -> lm.LMTask:
    text = TextDataConfig(corpus=str(corpus(tmp_path / "tiny.txt")), split=lm.SPLIT)
    config = lm.LMTaskConfig(text=text, tbptt=TBPTTConfig(bptt=32), baselines=baselines)
    return lm.LMTask(config, cache_dir=tmp_path / "cache")


def make_run(tmp_path, *, steps=300, backward_lm=True, out="run", **train_options):
    options = dict(steps=steps, batch_size=8, lr=1e-2, clip=1.0, eval_every=100)
    return Run(
        LMConfig(hidden_size=48, embed_size=16, backward_lm=backward_lm),
        TrainConfig(**{**options, **train_options}),
        out=tmp_path / out if out else None,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lm")
    torch.set_num_threads(1)
    result = train(make_task(tmp), make_run(tmp))
    return tmp / "run", result


def test_training_learns_the_corpus_and_writes_the_run(trained):
    run, result = trained
    for name in ("config.json", "vocab.json", "metrics.jsonl", "result.json", "baselines.json"):
        assert (run / name).exists(), name
    assert (run / "last" / "model.safetensors").exists() and (run / "best").exists()
    assert json.loads((run / "result.json").read_text()) == result
    assert result["steps"] == 300 and result["val_loss"] < 0.5  # uniform would be ln(20) = 3
    assert result["val_bits_per_token"] == pytest.approx(result["val_loss"] / math.log(2))
    assert result["val_perplexity"] == pytest.approx(math.exp(result["val_loss"]))
    assert result["val_backward_loss"] < 0.5
    assert set(result["baselines"]) >= {"kn-4", "kn-5", "add_k-4@k=0.05"}
    assert result["best_baseline"] in result["baselines"]


def test_fill_ranks_the_memorised_word_first(trained):
    model, tokenizer, _ = load_lm(trained[0])
    ranked = rank(model, tokenizer, "the ___ sat on the mat.", ["dog", "cat", "apples", "mat"])
    assert ranked[0].candidate == "cat" and ranked[0].backward is not None
    assert ranked[0].score == pytest.approx(ranked[0].forward + ranked[0].backward)
    # the backward model sees "sat on the mat" after the blank; "we eat ___ apples." too
    assert fill(model, tokenizer, "we eat ___ apples.", ["red", "green", "the"])[0].candidate == (
        "green"
    )
    proposed = [f.candidate for f in fill(model, tokenizer, "a ___ ran in the park.")]
    assert proposed[0] == "dog"


def test_template_needs_exactly_one_blank():
    assert split_template("a ___ b") == ("a ", " b")
    for bad in ("no blank", "two ___ blanks ___"):
        with pytest.raises(ValueError, match="exactly one blank"):
            split_template(bad)


def test_checkpoints_are_written_during_training(tmp_path, monkeypatch):
    steps = []
    commit = RunDir.commit

    def spy(self, tag, fill, meta):
        steps.append((tag, meta["step"]))
        return commit(self, tag, fill, meta)

    monkeypatch.setattr(RunDir, "commit", spy)
    run = make_run(tmp_path, steps=25, eval_every=0, checkpoint_every=10, backward_lm=False)
    result = train(make_task(tmp_path, baselines=False), run)
    assert ("last", 10) in steps and ("last", 20) in steps and ("last", 25) in steps
    assert "baselines" not in result


def test_held_out_loss_is_the_cross_entropy_of_one_pass():
    torch.manual_seed(0)
    model = LanguageModel(LMConfig(vocab_size=7, hidden_size=8)).eval()
    tokens = np.random.default_rng(0).integers(0, 7, 301).astype(np.uint8)
    x = torch.from_numpy(tokens).long()
    with torch.no_grad():
        logits, _ = model.read(x[None, :-1])  # (1, 300, V)
    expected = float(F.cross_entropy(logits[0], x[1:]))
    assert stream_loss(model, tokens, lanes=1, bptt=37) == pytest.approx(expected, rel=1e-5)
    assert stream_loss(model, tokens, lanes=4, bptt=16) != pytest.approx(expected, rel=1e-6)
    metrics = evaluate_lm(model, tokens)
    assert set(metrics) == {"val_loss", "val_bits_per_token", "val_perplexity"}


def test_backward_streams_read_the_reversed_text():
    tokens = np.arange(101, dtype=np.uint16)
    batches = list(LMStreams(tokens, lanes=2, bptt=10, backward=True)(0))
    first = batches[0]
    assert isinstance(first, LMBatch) and first.x.dtype == torch.int64
    assert first.x[0, :3].tolist() == [0, 1, 2] and first.y[0, :3].tolist() == [1, 2, 3]
    assert first.xb[0, :3].tolist() == [100, 99, 98] and first.yb[0, :3].tolist() == [99, 98, 97]
    assert len(batches) == 5 and all(b.xb.shape == b.x.shape for b in batches)
    assert all(b.xb is None for b in LMStreams(tokens, lanes=2, bptt=10)(0))


def test_too_little_text_is_a_clear_error(tmp_path):
    (tmp_path / "one.txt").write_text("a")
    with pytest.raises(ValueError, match="too little text"):
        lm.load_data(TextDataConfig(corpus=str(tmp_path / "one.txt"), split=lm.SPLIT), tmp_path)


def test_load_refuses_other_tasks(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"task": "longrange"}))
    with pytest.raises(ValueError, match="not a language-model run"):
        load_lm(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a run directory"):
        load_lm(tmp_path / "nothing")
