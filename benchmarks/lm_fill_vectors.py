"""Fill in the blank with a word-level bidirectional LM on the fortunes, with and without GloVe.

    python -m benchmarks.lm_fill_vectors --vectors glove-6b-50d --minutes 10
    python -m benchmarks.lm_fill_vectors --vectors none --minutes 10

Trains what ``rnnkit lm train --data fortunes --level word --backward-lm --tie
--embeddings SOURCE --freeze-embeddings`` trains (an LSTM, H = 256, E = 50, dropout 0.2)
for the time budget, its embedding from the vectors (frozen, so the tied read-out scores
every word through its pretrained vector) or learnt from scratch; then ranks the
candidates of each blank below by log P_fwd + log P_bwd (rnnkit.tasks.lm.fill) and counts
how often the intended word comes first. Nothing is special-cased: the blanks are scored
like any other text.
"""

from __future__ import annotations

import argparse
import time

import torch

from rnnkit.data.text import TextDataConfig
from rnnkit.models.lm import LMConfig
from rnnkit.tasks.lifecycle import Run, fit
from rnnkit.tasks.lm import LMTask, LMTaskConfig
from rnnkit.tasks.lm.fill import rank
from rnnkit.training import TrainConfig

BLANKS = [  # (template, the intended word first, then the distractors)
    ("Exercise is very effective at ___ belly fat.", "reducing,increasing,multiplying"),
    ("She ___ to the store yesterday.", "went,go,goes"),
    ("The cat sat on the ___.", "mat,sky,idea"),
    ("He drank a glass of cold ___.", "water,paper,music"),
    ("I will see you ___ morning.", "tomorrow,yesterday,purple"),
    ("The sun rises in the ___.", "east,west,table"),
    ("A bird in the hand is worth two in the ___.", "bush,tree,house"),
    ("Money is the root of all ___.", "evil,good,cats"),
    ("Better late than ___.", "never,always,soon"),
    ("He opened the door with a ___.", "key,spoon,cloud"),
    ("Please turn off the ___ when you leave.", "lights,sun,ocean"),
    ("Two plus two equals ___.", "four,five,seven"),
    ("She was so tired that she fell ___.", "asleep,awake,upward"),
    ("Birds can ___, but fish cannot.", "fly,swim,eat"),
    ("The early bird catches the ___.", "worm,cat,train"),
    ("Don't count your chickens before they ___.", "hatch,fly,sing"),
    ("Time is ___.", "money,purple,walking"),
    ("He was sentenced to ten years in ___.", "prison,heaven,school"),
    ("Love is ___.", "blind,square,loud"),
    ("The quick brown fox jumps over the lazy ___.", "dog,cat,table"),
]


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--vectors", default="glove-6b-50d", help="a vector source, or none")
    a.add_argument("--minutes", type=float, default=10.0, help="training time")
    a.add_argument("--seed", type=int, default=0, help="training seed")
    args = a.parse_args()
    torch.set_num_threads(1)
    source = None if args.vectors == "none" else args.vectors
    text = TextDataConfig(corpus="fortunes", level="word")
    task = LMTask(LMTaskConfig(text=text, baselines=False, embeddings=source))
    model = LMConfig(
        cell="lstm", hidden_size=256, embed_size=50, tie_weights=True, backward_lm=True,
        dropout=0.2, freeze_embeddings=source is not None,
    )  # fmt: skip
    budget = TrainConfig(
        steps=10**6, minutes=args.minutes, batch_size=32, lr=3e-3, schedule="cosine", clip=1.0,
        eval_every=10**6, log_every=50, seed=args.seed,
    )  # fmt: skip
    t = time.perf_counter()
    result, finished = fit(task, Run(model, budget))
    print(f"trained {time.perf_counter() - t:.0f} s; val {result.get('val_loss')}")
    print("coverage", result.get("vectors"))
    wins = 0
    for template, candidates in BLANKS:
        ranked = rank(finished.model, task.tokenizer, template, candidates.split(","))
        intended = candidates.split(",")[0]
        wins += ranked[0].candidate == intended
        order = ", ".join(f"{f.candidate} {f.score:.1f}" for f in ranked)
        print(f"{'OK ' if ranked[0].candidate == intended else '   '}{template}  {order}")
    print(f"the intended word first in {wins} of {len(BLANKS)} blanks ({args.vectors})")


if __name__ == "__main__":
    main()
