"""`rnnkit caption predict`: caption images with a trained run.

``predict`` captions the strips of an ``.npz`` file (array ``images``, (N, 8, W) in
[0, 1]) or strips it draws itself for ``--number`` values from the test images.
``rnnkit caption eval`` is the generic eval command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.analysis.attention_plots import plot_attention
from rnnkit.config import Config, require
from rnnkit.data.strips import compose
from rnnkit.tasks.caption import CaptionTask
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.registry import register_verb
from rnnkit.tasks.writing.report import attention_maps


@dataclass
class CaptionPredictOptions(Config):
    """Which run, which images."""

    run: str  # run directory of `rnnkit caption train`
    file: str | None = None  # an .npz with `images` (N, 8, W), pixel values in [0, 1]
    number: tuple[int, ...] = ()  # caption strips drawn from test digit images of these numbers
    beam: int = 1  # beam width (1: greedy)
    attention_png: str | None = None  # draw the attention of the first images (up to 3) here

    def validate(self) -> None:
        require(self, "beam", self.beam >= 1, "an integer >= 1")
        require(self, "number", all(n >= 0 for n in self.number), "integers >= 0")


def read_images(task: CaptionTask, options: CaptionPredictOptions, seed: int) -> np.ndarray:
    if (options.file is None) == (not options.number):
        raise ValueError("give --file with images, or --number values to draw (not both)")
    W = 8 * task.config.max_digits
    if options.file is not None:
        path = Path(options.file)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        with np.load(path, allow_pickle=False) as f:
            if "images" not in f:
                raise ValueError(f"{path}: no array named 'images' (found: {', '.join(f.files)})")
            images = np.asarray(f["images"], dtype=np.float32)
        if images.ndim != 3 or images.shape[1:] != (8, W):
            raise ValueError(f"{path}: images must be (N, 8, {W}), got {images.shape}")
        return images
    too_long = [n for n in options.number if len(str(n)) > task.config.max_digits]
    if too_long:
        raise ValueError(
            f"--number {too_long[0]}: this run writes up to {task.config.max_digits} digits"
        )
    rng = np.random.default_rng(seed)
    return compose(
        task.pools, "test", [str(n) for n in options.number], rng, task.config.max_digits
    )


def run_predict(console: Console, *, options: CaptionPredictOptions, seed: int) -> dict[str, Any]:
    """caption digit strips with a trained run

    Write the number in words for each strip of an .npz file (--file) or for strips
    drawn from the test digit images (--number 312,7).
    """
    loaded = load(options.run, expect=CaptionTask)
    task = loaded.task
    images = list(read_images(task, options, seed))
    hyps = task.write(loaded.model, images, beam=options.beam)
    captions = [task.decode_text(h.tokens) for h in hyps]
    for c in captions:
        console.say(c)
    if options.attention_png:
        W = 8 * task.config.max_digits
        labels = [[str(w // 8) for w in range(W)] for _ in images[:3]]
        maps = attention_maps(task, loaded.model, images[:3], captions[:3], labels)
        if not maps:
            raise ValueError("--attention-png: this model has no attention (--attention none)")
        plot_attention(maps, options.attention_png, title="attention over the image columns")
    shown = [str(n) for n in options.number] or [f"{options.file}[{i}]" for i in range(len(images))]
    return {"captions": [{"input": s, "caption": c} for s, c in zip(shown, captions)]}


register_verb(("caption", "predict"), run_predict, CaptionPredictOptions, "captioning", threads=1)
