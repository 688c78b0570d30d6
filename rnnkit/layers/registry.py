"""The registry of cells: the one list of the cells a recurrent layer can be made of.

Each entry (:class:`CellKind`) names a cell as configs and the command line spell it
(``"gru"``), says how to build it and which of the options beyond torch.nn's arguments
(:class:`CellOptions`) it takes. Everything else that lists cells reads this table: the
``cell`` field's choices (:data:`CellType`), the layer classes (rnnkit.layers.LAYERS),
the options a model config accepts for its cell, the classes trusted by
``torch.load(weights_only=True)``. Which backends run which cell is the backends' to
say (rnnkit.layers.native, rnnkit.layers.fused); a cell knows only its equations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

import torch

from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, MinGRUCell, MinLSTMCell, RNNCell
from rnnkit.cells.base import RecurrentCell
from rnnkit.cells.rnn import nonlinearity_error
from rnnkit.config import Config, require
from rnnkit.errors import ArgumentTypeError


@dataclass(frozen=True)
class CellOptions(Config):
    """Cell options beyond torch.nn; each applies to the cells whose entry lists it."""

    nonlinearity: Literal["tanh", "relu"] = "tanh"  # vanilla RNN: the nonlinearity phi
    forget_bias: float | None = None  # LSTM: forget-gate bias at initialisation (None: torch's)
    peephole: bool = False  # LSTM: peephole connections from the cell state to the gates
    layer_norm: bool = False  # layer-normalise the gate pre-activations (RNN, LSTM, GRU)
    reset_after: bool = True  # GRU: reset gate after W_hn h (torch's form); off: Cho et al. 2014

    def validate(self) -> None:
        v = self.forget_bias
        require(self, "forget_bias", v is None or math.isfinite(v), "None or a finite number")
        original_gru = not self.reset_after  # Cho et al.'s candidate reads r_t * h_{t-1}
        require(self, "layer_norm", not (self.layer_norm and original_gru), _NO_LAYER_NORM)

    def type_error(self, name: str, expected: str, value: Any) -> ValueError:
        if name == "nonlinearity":
            return nonlinearity_error(value, owner=type(self).__name__)
        return super().type_error(name, expected, value)


_NO_LAYER_NORM = "False for the original GRU form (reset_after False), which has no layer norm"


@dataclass(frozen=True)
class CellKind:
    """One entry of the registry: a cell, how to build it, the options it takes."""

    name: str  # how configs and --cell spell it
    build: Callable[..., RecurrentCell]  # (input_size, hidden_size, bias, *, options...) -> cell
    options: tuple[str, ...] = ()  # the CellOptions it takes, as keyword arguments of build
    projection: bool = False  # whether it takes torch.nn's proj_size (the LSTM's output)

    def cell(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        options: CellOptions,
        *,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> RecurrentCell:
        """One cell of this kind with ``options`` (those it takes)."""
        kwargs = {name: getattr(options, name) for name in self.options}
        if self.projection:
            kwargs["proj_size"] = proj_size
        return self.build(input_size, hidden_size, bias, **kwargs, device=device, dtype=dtype)


def gru(
    input_size: int,
    hidden_size: int,
    bias: bool = True,
    *,
    reset_after: bool = True,
    layer_norm: bool = False,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> RecurrentCell:
    """torch's GRU cell, or with ``reset_after=False`` the original form of Cho et al."""
    kw = {"device": device, "dtype": dtype}
    if reset_after:
        return GRUCell(input_size, hidden_size, bias, layer_norm=layer_norm, **kw)
    return ChoGRUCell(input_size, hidden_size, bias, **kw)


CELLS: dict[str, CellKind] = {
    kind.name: kind
    for kind in (
        CellKind("rnn", RNNCell, ("nonlinearity", "layer_norm")),
        CellKind("lstm", LSTMCell, ("peephole", "layer_norm", "forget_bias"), projection=True),
        CellKind("gru", gru, ("reset_after", "layer_norm")),
        CellKind("mingru", MinGRUCell),
        CellKind("minlstm", MinLSTMCell),
    )
}
CellType = Literal[tuple(CELLS)]  # type: ignore[valid-type]  # "rnn" | "lstm" | ... : --cell


def check_options(
    config: Config, cell: str, options: CellOptions, given: Collection[str] = ()
) -> None:
    """Refuse an option ``cell`` has no use for: set away from its default, or named in
    ``given`` (flags on the command line). ``config`` owns the ``cell`` field."""
    defaults = CellOptions()
    takes = CELLS[cell].options
    for name in CellOptions.__dataclass_fields__:
        changed = getattr(options, name) != getattr(defaults, name)
        if name not in takes and (changed or name in given):
            cells = " or ".join(k.name for k in CELLS.values() if name in k.options)
            raise ArgumentTypeError(
                f"CellOptions.{name} applies to the {cells} cell only, not to "
                f"{type(config).__name__}.cell {cell!r}"
            )


def options_for(cell: str, options: CellOptions) -> CellOptions:
    """``options`` with those ``cell`` has no use for back at their defaults."""
    defaults, takes = CellOptions(), CELLS[cell].options
    return options.replace(
        **{n: getattr(defaults, n) for n in CellOptions.__dataclass_fields__ if n not in takes}
    )
