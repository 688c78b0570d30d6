"""What every recurrent task model shares: the recurrent part of its config, the layer
built from it, checked token ids and the padding mask.

A model config extends :class:`RecurrentModelConfig` with its own fields; the fields
here are the ones the command line offers for every model (``--cell``, ``--hidden``,
``--layers``, ``--dropout`` and the cell options from the layer registry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import Tensor

from rnnkit.config import Config, require
from rnnkit.layers import LAYERS, CellOptions, CellType, RecurrentLayer


@dataclass(kw_only=True)
class RecurrentModelConfig(Config):
    """The recurrent layer of a task model; JSON-serialisable."""

    cell: CellType = "lstm"  # recurrent cell: rnn (Elman), lstm, gru, mingru or minlstm
    hidden_size: int = 128  # H: units per layer
    num_layers: int = 1  # L: stacked layers
    dropout: float = 0.0  # dropout between stacked layers
    cell_options: CellOptions = field(default_factory=CellOptions)  # options of the cell

    dropout_between_layers_only: ClassVar[bool] = True  # False: the model drops elsewhere too

    def validate(self) -> None:
        for name in ("hidden_size", "num_layers"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "dropout", 0 <= self.dropout < 1, "in [0, 1)")
        self.cell_options = self.cell_options.only_for(self.cell)

    def check_given(self, given: set[str]) -> None:
        """Refuse cell options set for a cell that has no use for them (CLI flags)."""
        for name in self.cell_options.inapplicable(self.cell, given):
            cells = " or ".join(CellOptions.APPLIES[name])
            raise ValueError(
                f"CellOptions.{name} applies to the {cells} cell only, not to "
                f"{type(self).__name__}.cell {self.cell!r}"
            )

    def layer(self, input_size: int, *, bidirectional: bool = False) -> RecurrentLayer:
        """The configured rnnkit layer, batch first, dropout between stacked layers.

        Where dropout acts between layers only, a one-layer model with dropout gets the
        layer's warning (as torch.nn gives): the rate would change nothing.
        """
        dropout = self.dropout
        if self.num_layers == 1 and not self.dropout_between_layers_only:
            dropout = 0.0  # the model applies it to its embeddings and read-out
        return LAYERS[self.cell](
            input_size,
            self.hidden_size,
            num_layers=self.num_layers,
            batch_first=True,
            dropout=dropout,
            bidirectional=bidirectional,
            **self.cell_options.kwargs(self.cell),
        )


def check_token_ids(x: Tensor, vocab_size: int) -> Tensor:
    """``x`` unchanged if every id is in [0, vocab_size); else an error naming the id."""
    if x.is_floating_point():
        raise ValueError(f"token ids must be integers, got a {x.dtype} tensor")
    if x.numel():
        low, high = int(x.min()), int(x.max())
        if low < 0 or high >= vocab_size:
            bad = high if high >= vocab_size else low
            raise ValueError(
                f"token id {bad} is outside the vocabulary of {vocab_size} tokens "
                f"(ids 0..{vocab_size - 1})"
            )
    return x


def padding_mask(shape: torch.Size, lengths: Tensor | None, device: object) -> Tensor:
    """(B, T) float mask: 1 where t < length, 0 on padding."""
    B, T = shape[0], shape[1]
    if lengths is None:
        return torch.ones(B, T, device=device)
    return (torch.arange(T, device=device) < lengths.to(device)[:, None]).float()  # (B, T)
