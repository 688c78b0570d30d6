"""Which backend runs a layer's cells: what each backend supports, and ``auto``'s choice.

Each backend says which cells it computes exactly: torch's kernels
(:func:`rnnkit.layers.native.native_mode`), rnnkit's fused kernels
(:func:`rnnkit.layers.fused.fusable`, and :func:`~rnnkit.layers.fused.usable` where they
run), the reference runner every cell. Cells know only their equations.
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.fused import fusable, status, usable
from rnnkit.layers.native import native_mode


def supported(cells: Sequence[RecurrentCell]) -> tuple[bool, bool]:
    """(native, fused): whether torch's kernels and rnnkit's compute every one of ``cells``."""
    return all(native_mode(c) for c in cells), all(fusable(c) for c in cells)


def check_backend(backend: str, cells: Sequence[RecurrentCell]) -> None:
    """Refuse a ``backend`` asked for by name that cannot run ``cells``, in one line."""
    native, fused = supported(cells)
    if backend == "native" and not native:
        raise ValueError(
            "backend='native' cannot run this configuration (torch's fused kernels have "
            "no peephole, layer norm, reset_after=False, minGRU or minLSTM); use "
            "backend='auto' or 'reference'"
        )
    if backend == "fused" and not fused:
        raise ValueError(
            "backend='fused' cannot run this configuration (rnnkit's kernels have no "
            "LSTM projection); use backend='auto' or 'reference'"
        )
    if backend == "fused" and not usable(cells[0]):
        raise ValueError(
            f"backend='fused' needs rnnkit's compiled CPU kernels ({status()}); use backend='auto'"
        )


def choose(cell: RecurrentCell, *, native: bool, fused: bool) -> str:
    """``auto``'s choice for a layer of such cells (``native``, ``fused``: whether those
    backends compute them): native for the plain LSTM on the CPU (oneDNN's LSTM is faster
    than any per-step GEMM) and for everything native runs on a GPU (cuDNN); fused for
    every other cell on the CPU in float32/float64 where the kernels built, and for
    minGRU/minLSTM everywhere (their scan: the C loop, else a parallel scan); native
    where it can run; the reference loop otherwise."""
    on_cpu = cell.weight_ih.device.type == "cpu"
    if native and (not on_cpu or native_mode(cell) == "LSTM"):
        return "native"
    if fused and usable(cell):  # usable: the CPU, but minGRU/minLSTM anywhere
        return "fused"
    return "native" if native else "reference"
