"""Every Python example in README.md, DESIGN.md and docs/*.md runs as written.

Each file's blocks run in order in one namespace, in a fresh working directory that
holds the small runs the examples refer to (``runs/names``); tasks an example registers
are unregistered afterwards.
"""

import re
from pathlib import Path

import pytest

from rnnkit.cli.main import main
from rnnkit.data.corpora import fortunes_corpus
from rnnkit.tasks import registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "DESIGN.md", *sorted((ROOT / "docs").glob("*.md"))]
NEEDS = {"names.md": "faker", "README.md": "onnxruntime", "export.md": "onnxruntime"}
LM_TEXT = "The cat sat on the mat. The dog ran in the park.\n" * 40


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working directory with a tiny names run at runs/names and a tiny language
    model exported to runs/shakespeare/onnx."""
    tmp = tmp_path_factory.mktemp("readme")
    (tmp / "tiny.txt").write_text(LM_TEXT)
    lm = tmp / "runs" / "shakespeare"
    argv = ["lm", "train", "--data", str(tmp / "tiny.txt"), "--hidden", "16", "--steps", "5"]
    assert main([*argv, "--quiet", "--threads", "1", "--out", str(lm)]) == 0
    try:
        import onnxruntime  # noqa: F401

        assert main(["export", str(lm), "--quiet"]) == 0
    except ImportError:
        pass  # the export examples are skipped
    try:
        import faker  # noqa: F401
    except ImportError:
        return tmp  # the names examples are skipped
    argv = ["names", "train", "--languages", "Italian,Russian", "--per-language", "40"]
    argv += ["--hidden", "16", "--batch-size", "16", "--steps", "10", "--quiet"]
    assert main([*argv, "--threads", "1", "--out", str(tmp / "runs" / "names")]) == 0
    return tmp


def test_the_docs_have_examples():
    assert sum(len(python_blocks(p)) for p in DOCS) >= 8
    assert python_blocks(ROOT / "README.md") and python_blocks(ROOT / "DESIGN.md")


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_examples_run(path, workdir, monkeypatch):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no Python example")
    if path.name in NEEDS:
        pytest.importorskip(NEEDS[path.name])
    if path.name == "data.md":
        try:
            fortunes_corpus()
        except ValueError:
            pytest.skip("the fortunes corpus needs the data extra")
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("RNNKIT_CACHE", str(workdir / "cache"))
    saved = dict(registry.TASKS), dict(registry.COMMANDS)
    namespace: dict = {"__name__": f"readme_{path.stem}"}
    try:
        for i, code in enumerate(blocks):
            exec(compile(code, f"{path.name}, example {i + 1}", "exec"), namespace)
    finally:
        registry.TASKS.clear()
        registry.TASKS.update(saved[0])
        registry.COMMANDS.clear()
        registry.COMMANDS.update(saved[1])
