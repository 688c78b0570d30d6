"""The validated configuration of a recurrent layer, and the checks every recurrent config
shares (a layer's, and the recurrent part of a model's).

Each value is checked once, on construction, by one function and in one wording
(``Class.field must be ..., got V``); where torch.nn raises for the same mistake, the
layer config's message carries torch.nn's words too (docs/layers.md, "Bad input").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from rnnkit.cells.base import check_size
from rnnkit.cells.lstm import check_projection
from rnnkit.config import Config, require
from rnnkit.errors import torch_words
from rnnkit.layers.registry import CELLS, CellOptions, CellType, check_options

Backend = Literal["auto", "native", "fused", "reference"]


def check_recurrent(config: Any, given: Collection[str] = ()) -> None:
    """The checks of the fields a layer config shares with a model's: ``hidden_size``,
    ``num_layers``, ``dropout`` and the ``cell_options`` the ``cell`` takes (``given``:
    the options named on the command line, refused even at their defaults)."""
    owner = type(config).__name__
    check_size("hidden_size", config.hidden_size, owner=owner)
    check_size("num_layers", config.num_layers, owner=owner)
    require(config, "dropout", 0 <= config.dropout <= 1, "a number in [0, 1]")
    check_options(config, config.cell, config.cell_options, given)


@dataclass(frozen=True)
class RecurrentConfig(Config):
    """Everything that defines a recurrent layer; JSON-serialisable (``to_dict``)."""

    cell: CellType  # the cell: a key of the registry (rnnkit.layers.CELLS)
    input_size: int  # I: features per time step of the input
    hidden_size: int  # H: hidden units per direction
    num_layers: int = 1  # L: stacked layers, each reading the previous one's output
    bias: bool = True  # whether cells have bias_ih and bias_hh
    batch_first: bool = False  # input/output as (B, T, *) instead of (T, B, *)
    dropout: float = 0.0  # dropout on each layer's output except the last, in training
    bidirectional: bool = False  # D = 2: a reverse-direction cell per layer
    proj_size: int = 0  # P: LSTM output projection size (0 = none)
    backend: Backend = "auto"  # native (torch's kernels), fused (rnnkit's), reference, or auto
    cell_options: CellOptions = field(default_factory=CellOptions)  # options beyond torch.nn

    TORCH_TYPES: ClassVar[dict[str, str]] = {  # the types torch.nn's layers check
        "input_size": "int",
        "hidden_size": "int",
        "bias": "bool",
        "batch_first": "bool",
    }
    TORCH_WORDS: ClassVar[dict[str, str]] = {  # torch.nn's message for a bad value
        "dropout": "dropout should be a number in range [0, 1] representing the probability "
        "of an element being zeroed",
    }

    def validate(self) -> None:
        check_size("input_size", self.input_size, owner="RecurrentConfig")
        check_recurrent(self)
        if self.proj_size and not CELLS[self.cell].projection:
            message = (
                f"RecurrentConfig.proj_size is only supported by the LSTM, got {self.proj_size} "
                f"for the {self.cell!r} cell"
            )
            torch_says = "proj_size argument is only supported for LSTM, not RNN or GRU"
            raise ValueError(torch_words(message, torch_says))
        check_projection(self.proj_size, self.hidden_size, owner="RecurrentConfig")

    def message(self, name: str, what: str, value: Any) -> str:
        """``RecurrentConfig.field must be WHAT, got V``, then torch.nn's words where it
        raises for the same mistake (a type it checks, or a value)."""
        text = super().message(name, what, value)
        if name in self.TORCH_TYPES:
            kind = type(value).__name__
            return torch_words(
                text, f"{name} should be of type {self.TORCH_TYPES[name]}, got: {kind}"
            )
        if name in self.TORCH_WORDS:
            return torch_words(text, self.TORCH_WORDS[name])
        return text

    @property
    def num_directions(self) -> int:
        """D: 2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features of each direction's output: P if projected, else H."""
        return self.proj_size or self.hidden_size

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the layer class (rnnkit.layers.LAYERS[cell]) that
        builds this configuration: torch.nn's, ``backend`` and the cell's options."""
        options = self.cell_options
        torch_nn = {name: getattr(self, name) for name in _ARGUMENTS}
        return {**torch_nn, **{name: getattr(options, name) for name in CELLS[self.cell].options}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A RecurrentConfig pickled by rnnkit 0.1 held its cell options as a dict."""
        options = state.get("cell_options")
        if isinstance(options, dict):
            state = {**state, "cell_options": CellOptions.from_dict(options)}
        self.__dict__.update(state)


_ARGUMENTS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout")
_ARGUMENTS += ("bidirectional", "proj_size", "backend")
