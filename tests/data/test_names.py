import sys
from importlib.util import find_spec

import pytest

from rnnkit.data.names import LANGUAGE_LOCALES, NamesConfig, load_names, romanise

needs_extra = pytest.mark.skipif(
    find_spec("faker") is None or find_spec("unidecode") is None,
    reason="needs the data extra (faker, unidecode)",
)


def test_missing_extra_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "faker", None)  # makes `import faker` fail
    with pytest.raises(ValueError) as info:
        load_names()
    assert str(info.value) == "the names dataset needs faker: pip install 'rnnkit[data]'"


@needs_extra
def test_names_load_romanised_and_split_by_language():
    data = load_names(NamesConfig(languages=("Irish", "Japanese", "Russian", "Greek")))
    assert data.languages == ["Greek", "Irish", "Japanese", "Russian"]
    pairs = data.train + data.val + data.test
    assert len(pairs) == len(set(pairs)) > 3000
    assert all(name.isascii() and name[:1].isupper() for name, _ in pairs)
    assert {lang for _, lang in data.val} == set(data.languages)
    assert len(data.train) > 7 * len(data.test)
    russian = {n for n, lang in pairs if lang == "Russian"}
    assert "Smirnov" in russian


@needs_extra
def test_split_is_deterministic_disjoint_and_seeded():
    config = NamesConfig(languages=("Italian", "Korean"), seed=3)
    a, b = load_names(config), load_names(config)
    assert a.splits == b.splits
    assert not set(a.train) & set(a.test) and not set(a.val) & set(a.test)
    other = load_names(NamesConfig(languages=("Italian", "Korean"), seed=4))
    assert set(other.train) != set(a.train)


@needs_extra
def test_romanise():
    assert romanise("Смирнов") == "Smirnov"
    assert romanise("Ó Briain") == "O Briain"
    assert romanise("  van   der Berg ") == "Van der Berg"


@needs_extra
def test_all_languages_have_names():
    data = load_names()
    assert data.languages == sorted(LANGUAGE_LOCALES)
    assert {lang for _, lang in data.train} == set(LANGUAGE_LOCALES)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"split": (0.5, 0.6, 0.1)}, "split"), ({"languages": ("Klingon",)}, "languages")],
)
def test_config_errors_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        NamesConfig(**kwargs)
