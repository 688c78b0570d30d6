"""Memory that does not grow with the data: training batches and evaluation read the
memory-mapped corpus lazily, so the process's anonymous memory stays bounded."""

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np, torch
    from rnnkit.data import TextData, TextDataConfig, CharTokenizer
    from rnnkit.models.lm import LanguageModel, LMConfig
    from rnnkit.tasks.lm import LMTask, LMTaskConfig
    from rnnkit.training import TrainConfig

    def anon_mb():
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024

    path, n = sys.argv[1], int(sys.argv[2])
    out = np.memmap(path, dtype=np.uint8, mode="w+", shape=(n,))
    step = 1 << 24
    for a in range(0, n, step):  # written in pieces: the file never sits in anonymous memory
        out[a : a + step] = np.arange(a, min(n, a + step)) % 50
    out.flush()
    del out
    tokens = np.memmap(path, dtype=np.uint8, mode="c", shape=(n,))  # as the token cache opens it
    cut = int(n * 0.9)
    tokenizer = CharTokenizer.fit("".join(chr(65 + i) for i in range(50)))
    data = TextData(TextDataConfig(corpus=path), tokenizer, tokens, None,
                    {"train": tokens[:cut], "val": tokens[cut:]})
    task = LMTask(LMTaskConfig(eval_tokens=200_000))
    task.__dict__["data"] = data  # the loaded corpus (cached_property)
    torch.manual_seed(0)
    model_config = task.model_config(LMConfig(hidden_size=16, embed_size=8, backward_lm=True))
    model = LanguageModel(model_config)
    model(next(iter(task.batches(TrainConfig(batch_size=32), model_config)(0))))  # warm up
    base = peak = anon_mb()
    batches = iter(task.batches(TrainConfig(batch_size=32), model_config)(0))
    for i in range(300):
        model(next(batches)).loss.backward()
        peak = max(peak, anon_mb())
    metrics = task.evaluate(model, "val").metrics
    peak = max(peak, anon_mb())
    print(json.dumps({"base": base, "peak": peak, "scored": len(task.held_out_tokens("val")),
                      "val_loss": metrics["val_loss"]}))
    """
)


def test_anonymous_memory_stays_bounded_on_a_corpus_much_larger_than_the_bound(tmp_path):
    corpus_mb, bound_mb = 400, 64
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "tokens.bin"), str(corpus_mb << 20)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["peak"] - r["base"] < bound_mb, r  # while 360 MB of training text are read
    assert r["scored"] == 200_000  # a bounded number of held-out tokens (the first ones)
    assert r["val_loss"] > 0
