"""The names data: which surnames, the character encoder, and the per-language n-grams.

Shared by the names task (rnnkit.tasks.names) and name generation
(rnnkit.tasks.names.generate).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np
import torch

from rnnkit.baselines import NGramLM
from rnnkit.config import Config, require
from rnnkit.data.names import NamesConfig, check_languages, load_names
from rnnkit.models.conditional import ConditionalBatch

PAD, BOS, EOS = "<pad>", "<s>", "</s>"  # ids 0, 1, 2
ALPHABET = " '-" + string.ascii_uppercase + string.ascii_lowercase  # what romanise() keeps
TOKENS = (PAD, BOS, EOS, *ALPHABET)
BASELINE_ORDERS = (1, 2, 3, 4)  # n-gram context lengths: bigram .. 5-gram
MAX_LENGTH = 30  # generation stops after this many characters


@dataclass
class NamesTaskConfig(Config):
    """Which names: languages, split seed, and an optional cap per language (for trials)."""

    languages: tuple[str, ...] | None = None  # subset of the 23 languages (None: all)
    split_seed: int = 0  # seed of the train/val/test split
    per_language: int | None = None  # keep at most N names per language and split

    def validate(self) -> None:
        check_languages(self, "languages")
        n = self.per_language
        require(self, "per_language", n is None or n >= 1, "None or an integer >= 1")

    def load(self) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
        """Languages (sorted) and the train/val/test (name, language) pairs."""
        data = load_names(NamesConfig(seed=self.split_seed, languages=self.languages))
        splits = dict(data.splits)
        if self.per_language is not None:
            splits = {k: _cap(v, self.per_language) for k, v in splits.items()}
        return data.languages, splits


def _cap(pairs: list[tuple[str, str]], n: int) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    out = []
    for name, language in pairs:
        seen[language] = seen.get(language, 0) + 1
        if seen[language] <= n:
            out.append((name, language))
    return out


class Encoder:
    """Characters <-> ids, and (name, language) pairs -> padded batches."""

    def __init__(self, tokens: list[str] | tuple[str, ...], languages: list[str]) -> None:
        self.tokens, self.languages = list(tokens), list(languages)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.bos, self.eos = self.index[BOS], self.index[EOS]

    def ids(self, text: str) -> list[int]:
        unknown = sorted({ch for ch in text if ch not in self.index or len(ch) != 1})
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        return [self.index[ch] for ch in text]

    def language(self, name: str) -> int:
        if name not in self.languages:
            raise ValueError(f"unknown language {name!r}; available: {', '.join(self.languages)}")
        return self.languages.index(name)

    def batch(self, pairs: list[tuple[str, str]]) -> ConditionalBatch:
        """Inputs <s> n_1 .. n_k and targets n_1 .. n_k </s>, padded to the longest."""
        seqs = [self.ids(name) for name, _ in pairs]
        lengths = torch.tensor([len(s) + 1 for s in seqs])  # (B,)
        x = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)  # (B, T) padded
        y = torch.zeros_like(x)  # (B, T)
        for i, s in enumerate(seqs):
            x[i, : len(s) + 1] = torch.tensor([self.bos, *s])
            y[i, : len(s) + 1] = torch.tensor([*s, self.eos])
        condition = torch.tensor([self.language(lang) for _, lang in pairs])  # (B,)
        return ConditionalBatch(condition, x, y, lengths)


def baseline_xent(encoder: Encoder, train: list, heldout: list, order: int) -> float:
    """Nats per character of per-language Kneser-Ney n-grams with `order` context tokens.

    Each language's names are concatenated as <s>^order name </s> ...; the <s> padding
    gives every name the same start context and is never scored, so the model predicts
    exactly what the network predicts: each character and the end of the name.
    """
    total = count = 0.0
    for language in encoder.languages:
        fit, _ = _ngram_stream(encoder, train, language, order)
        seq, scored = _ngram_stream(encoder, heldout, language, order)
        if len(fit) == 0 or not scored.any():
            continue
        lm = NGramLM(order, smoothing="kn").fit(fit, vocab_size=len(encoder.tokens))
        lp = lm.log_prob(seq)  # (N,)
        total, count = total - float(lp[scored].sum()), count + float(scored.sum())
    return total / count


def _ngram_stream(encoder: Encoder, pairs: list, language: str, order: int):
    """One language's names as a token stream (N,) and the mask of scored positions (N,)."""
    ids: list[int] = []
    for name, lang in pairs:
        if lang == language:
            ids += [encoder.bos] * order + encoder.ids(name) + [encoder.eos]
    seq = np.array(ids, dtype=np.int64)
    return seq, seq != encoder.bos
