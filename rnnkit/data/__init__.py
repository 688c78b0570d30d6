"""rnnkit.data: tokenizers, vocabularies, the offline corpus registry and datasets.

Text language modelling: `load_text_data(TextDataConfig(...))` tokenises a corpus once
into a memory-mapped id array and splits it; `CharTokenizer` / `WordTokenizer` encode
and decode and are saved with a run as JSON. Names by language: `load_names()`.
Pretrained word vectors for a vocabulary: `load_vectors(source, tokens)`.
"""

from rnnkit.data.corpora import REGISTRY, CorpusSource, cache_root, load_corpus
from rnnkit.data.memmap import TokenArray, split_bounds, tokenize_to_memmap
from rnnkit.data.names import LANGUAGE_LOCALES, NamesConfig, NamesData, load_names
from rnnkit.data.text import TextData, TextDataConfig, load_text_data
from rnnkit.data.tokenize import (
    CharTokenizer,
    Tokenizer,
    WordTokenizer,
    load_tokenizer,
    make_tokenizer,
    tokenizer_from_json,
)
from rnnkit.data.vectors import SOURCES as VECTOR_SOURCES
from rnnkit.data.vectors import WordVectors, load_vectors
from rnnkit.data.vocab import UNK, Vocab

__all__ = [
    "LANGUAGE_LOCALES",
    "REGISTRY",
    "UNK",
    "VECTOR_SOURCES",
    "CharTokenizer",
    "CorpusSource",
    "NamesConfig",
    "NamesData",
    "TextData",
    "TextDataConfig",
    "TokenArray",
    "Tokenizer",
    "Vocab",
    "WordTokenizer",
    "WordVectors",
    "cache_root",
    "load_corpus",
    "load_names",
    "load_text_data",
    "load_vectors",
    "load_tokenizer",
    "make_tokenizer",
    "split_bounds",
    "tokenize_to_memmap",
    "tokenizer_from_json",
]
