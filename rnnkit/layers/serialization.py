"""Whole-module loading with ``torch.load(..., weights_only=True)``.

``torch.save(model)`` of a module holding rnnkit layers pickles the layers, their cells
and configs; ``weights_only=True`` (torch's safe loader) rebuilds only the classes it is
told to trust. :data:`SAFE_GLOBALS` lists the ones rnnkit's layers need::

    torch.save(model, "model.pt")
    with rnnkit.safe_globals():          # or torch.serialization.safe_globals(rnnkit.SAFE_GLOBALS)
        model = torch.load("model.pt", weights_only=True)

(together with the user's own module classes). rnnkit's run directories never pickle:
their weights are safetensors and their configs JSON.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import torch
from torch import nn

import rnnkit.cells
from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.recurrent import LAYERS
from rnnkit.layers.registry import CellOptions

CELL_CLASSES = [
    c for c in vars(rnnkit.cells).values() if isinstance(c, type) and issubclass(c, RecurrentCell)
]  # every cell class of rnnkit.cells
SAFE_GLOBALS: list[type] = [
    *LAYERS.values(),
    *CELL_CLASSES,
    RecurrentConfig,
    CellOptions,
    nn.LayerNorm,  # the cells' layer normalisation (layer_norm=True)
]


def safe_globals() -> AbstractContextManager[None]:
    """``torch.serialization.safe_globals(SAFE_GLOBALS)``: trust rnnkit's layer classes."""
    return torch.serialization.safe_globals(SAFE_GLOBALS)
