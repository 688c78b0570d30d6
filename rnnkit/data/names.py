"""Surnames by language of origin, from the per-locale lists of the `faker` package.

For many-to-one (name -> language) and one-to-many (language -> names) models. Each
locale's `Provider` in `faker.providers.person.<locale>` holds attributes whose names
start with `last_name`: tuples or lists of names, dicts of name -> weight (the keys
are used), or tuples of (native, ..., romanised) (the last element is used). Names are
romanised with `unidecode`, reduced to letters, spaces, apostrophes and hyphens,
de-duplicated within each language and sorted. A name may appear under two languages.

Locales per language are in `LANGUAGE_LOCALES` (23 languages, about 16,400 names,
unevenly spread: Irish 2,323 ... Korean 44). Japanese uses only the romanised readings
(`last_name_pairs`), since transliterating kanji gives Chinese readings; Arabic
(unidecode drops most vowels) and Vietnamese (10 names) are left out.

Needs the optional extra: `pip install 'rnnkit[data]'`.
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnkit.config import Config, require

DATA_EXTRA_HINT = "pip install 'rnnkit[data]'"

LANGUAGE_LOCALES: dict[str, tuple[str, ...]] = {
    "Chinese": ("zh_CN", "zh_TW"),
    "Croatian": ("hr_HR",),
    "Czech": ("cs_CZ",),
    "Danish": ("da_DK",),
    "Dutch": ("nl_NL", "nl_BE"),
    "English": ("en", "en_GB", "en_US"),
    "Finnish": ("fi_FI",),
    "French": ("fr_FR", "fr_CA", "fr_QC"),
    "German": ("de_DE", "de_AT", "de_CH"),
    "Greek": ("el_GR",),
    "Hungarian": ("hu_HU",),
    "Irish": ("ga_IE",),
    "Italian": ("it_IT",),
    "Japanese": ("ja_JP",),
    "Korean": ("ko_KR",),
    "Norwegian": ("no_NO",),
    "Portuguese": ("pt_PT", "pt_BR"),
    "Russian": ("ru_RU",),
    "Slovak": ("sk_SK",),
    "Spanish": ("es_ES", "es_MX"),
    "Swedish": ("sv_SE",),
    "Turkish": ("tr_TR",),
    "Ukrainian": ("uk_UA",),
}
ATTRIBUTES: dict[str, tuple[str, ...]] = {"ja_JP": ("last_name_pairs",)}  # default: all
_NOT_NAME = re.compile(r"[^A-Za-z' -]+")


@dataclass
class NamesConfig(Config):
    """Which languages, and how names are split (stratified by language)."""

    split: tuple[float, ...] = (0.8, 0.1, 0.1)  # train/val/test fractions
    seed: int = 0  # shuffles each language's names before splitting
    languages: tuple[str, ...] | None = None  # subset of LANGUAGE_LOCALES; None = all

    def validate(self) -> None:
        s = self.split
        ok = len(s) == 3 and min(s) >= 0 and s[0] > 0 and math.isclose(sum(s), 1.0)
        require(self, "split", ok, "three fractions >= 0 summing to 1")
        check_languages(self, "languages")


def check_languages(config: Config, name: str) -> None:
    """``config.<name>`` is None or a non-empty subset of LANGUAGE_LOCALES."""
    languages = getattr(config, name)
    if languages is None:
        return
    unknown = sorted(set(languages) - set(LANGUAGE_LOCALES))
    if unknown or not languages:
        raise ValueError(
            f"{type(config).__name__}.{name}: unknown {unknown or 'empty'}; "
            f"known: {', '.join(LANGUAGE_LOCALES)}"
        )


@dataclass
class NamesData:
    """(name, language) pairs split into train/val/test, each sorted by language."""

    languages: list[str]  # sorted; a language's class index is its position
    splits: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def train(self) -> list[tuple[str, str]]:
        return self.splits["train"]

    @property
    def val(self) -> list[tuple[str, str]]:
        return self.splits["val"]

    @property
    def test(self) -> list[tuple[str, str]]:
        return self.splits["test"]


def romanise(name: str) -> str:
    """ASCII form of a name: transliterated, letters/space/'/- only, capitalised."""
    from unidecode import unidecode

    text = " ".join(_NOT_NAME.sub("", unidecode(name)).split())
    return text[:1].upper() + text[1:]


def language_names(language: str) -> list[str]:
    """The sorted, de-duplicated romanised surnames of one language."""
    names: set[str] = set()
    for locale in LANGUAGE_LOCALES[language]:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            continue  # a locale missing from this faker version
        attrs = ATTRIBUTES.get(locale) or [a for a in vars(provider) if a.startswith("last_name")]
        for attr in attrs:
            names.update(romanise(n) for n in _raw_names(getattr(provider, attr, ())))
    names.discard("")
    return sorted(names)


def _raw_names(value: Any) -> list[str]:
    """Names in a provider attribute: strings, dict keys, or the last item of tuples."""
    if isinstance(value, dict):
        value = list(value.keys())
    if not isinstance(value, (list, tuple)):
        return []
    return [v[-1] if isinstance(v, tuple) else v for v in value if isinstance(v, (str, tuple))]


def load_names(config: NamesConfig | None = None) -> NamesData:
    """The surnames dataset, split per language by `config.split` after a seeded shuffle."""
    config = config or NamesConfig()
    _require_extra()
    languages = sorted(config.languages or LANGUAGE_LOCALES)
    rng = np.random.default_rng(config.seed)
    splits: dict[str, list[tuple[str, str]]] = {"train": [], "val": [], "test": []}
    for language in languages:
        names = language_names(language)
        order = rng.permutation(len(names))
        edges = np.rint(np.cumsum((0.0, *config.split)) * len(names)).astype(int)
        for name, a, b in zip(splits, edges[:-1], edges[1:], strict=True):
            splits[name] += [(names[i], language) for i in order[a:b]]
    if not splits["train"]:
        raise ValueError("faker provided no surnames for the chosen languages")
    return NamesData(languages, splits)


def _require_extra() -> None:
    """A one-line error when faker or unidecode is missing."""
    for module in ("faker", "unidecode"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise ValueError(f"the names dataset needs {module}: {DATA_EXTRA_HINT}") from None
