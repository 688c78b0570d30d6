"""The fused backend: rnnkit's own whole-sequence kernels for every cell on the CPU."""

from rnnkit.layers.fused.build import status
from rnnkit.layers.fused.run import available, fusable, run_fused, usable

__all__ = ["available", "fusable", "run_fused", "status", "usable"]
