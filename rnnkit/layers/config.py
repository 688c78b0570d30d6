"""The validated configuration of a recurrent layer."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal, get_args

from rnnkit.config import Config, require
from rnnkit.errors import ArgumentTypeError

BACKENDS = ("auto", "native", "fused", "reference")
CellType = Literal["rnn", "lstm", "gru", "mingru", "minlstm"]
CELL_TYPES: tuple[str, ...] = get_args(CellType)  # the layer registry's keys (recurrent.LAYERS)


@dataclass
class CellOptions(Config):
    """Cell options beyond torch.nn; each applies to some cells (``APPLIES``)."""

    nonlinearity: Literal["tanh", "relu"] = "tanh"  # vanilla RNN: the nonlinearity phi
    forget_bias: float | None = None  # LSTM: forget-gate bias at initialisation (None: torch's)
    peephole: bool = False  # LSTM: peephole connections from the cell state to the gates
    layer_norm: bool = False  # layer-normalise the gate pre-activations (RNN, LSTM, GRU)
    reset_after: bool = True  # GRU: reset gate after W_hn h (torch's form); off: Cho et al. 2014

    APPLIES: ClassVar[dict[str, tuple[str, ...]]] = {
        "nonlinearity": ("rnn",),
        "forget_bias": ("lstm",),
        "peephole": ("lstm",),
        "layer_norm": ("rnn", "lstm", "gru"),
        "reset_after": ("gru",),
    }

    def validate(self) -> None:
        v = self.forget_bias
        require(self, "forget_bias", v is None or math.isfinite(v), "None or a finite number")

    def only_for(self, cell: str) -> CellOptions:
        """These options with the ones that do not apply to ``cell`` at their defaults."""
        defaults = CellOptions()
        return self.replace(
            **{
                name: getattr(self, name) if cell in cells else getattr(defaults, name)
                for name, cells in self.APPLIES.items()
            }
        )

    def inapplicable(self, cell: str, names: set[str]) -> list[str]:
        """Those of ``names`` (options set by the user) that ``cell`` has no use for."""
        return sorted(n for n in names if n in self.APPLIES and cell not in self.APPLIES[n])

    def kwargs(self, cell: str) -> dict[str, Any]:
        """Keyword arguments of the ``cell`` layer's constructor (rnnkit.layers.LAYERS)."""
        return {name: getattr(self, name) for name, cells in self.APPLIES.items() if cell in cells}


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class RecurrentConfig:
    """Everything that defines a recurrent layer; JSON-serialisable via ``to_dict``."""

    cell: str  # "rnn" | "lstm" | "gru" | "mingru" | "minlstm"
    input_size: int  # I: features per time step of the input
    hidden_size: int  # H: hidden units per direction
    num_layers: int = 1  # L: stacked layers, each reading the previous one's output
    bias: bool = True  # whether cells have bias_ih and bias_hh
    batch_first: bool = False  # input/output as (B, T, *) instead of (T, B, *)
    dropout: float = 0.0  # dropout on each layer's output except the last, in training
    bidirectional: bool = False  # D = 2: a reverse-direction cell per layer
    proj_size: int = 0  # P: LSTM output projection size (0 = none)
    backend: str = "auto"  # "auto" | "native" (torch's) | "fused" (rnnkit's) | "reference"
    cell_options: dict[str, Any] = field(default_factory=dict)  # nonlinearity, peephole, ...

    def __post_init__(self) -> None:
        if self.cell not in CELL_TYPES:
            raise ValueError(f"cell must be one of {CELL_TYPES}, got {self.cell!r}")
        _positive("input_size", self.input_size)
        _positive("hidden_size", self.hidden_size)
        _positive("num_layers", self.num_layers)
        _flag("bias", self.bias)
        _flag("batch_first", self.batch_first)
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)):
            raise ValueError(f"dropout must be a number in [0, 1], got {self.dropout!r}")
        if not 0.0 <= self.dropout <= 1.0:
            raise ValueError(f"dropout must be a number in [0, 1], got {self.dropout}")
        if isinstance(self.proj_size, bool) or not isinstance(self.proj_size, int):
            raise ArgumentTypeError(
                f"proj_size must be a non-negative integer, got {self.proj_size!r}"
            )
        if self.proj_size < 0:
            raise ValueError(f"proj_size must be a non-negative integer, got {self.proj_size}")
        if self.proj_size and self.cell != "lstm":
            raise ValueError("proj_size is only supported by the LSTM")
        if self.proj_size >= self.hidden_size:
            raise ValueError(
                f"proj_size must be smaller than hidden_size ({self.hidden_size}), "
                f"got {self.proj_size}"
            )
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")

    @property
    def num_directions(self) -> int:
        """D: 2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features of each direction's output: P if projected, else H."""
        return self.proj_size or self.hidden_size

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecurrentConfig:
        return cls(**data)
