"""The README's library examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("title", ["Recurrent layers"])
def test_examples_run(title):
    blocks = python_blocks(section(title))
    assert blocks
    namespace: dict = {}
    for code in blocks:
        exec(compile(code, f"README:{title}", "exec"), namespace)
