"""What every recurrent task model shares: the recurrent part of its config, the layer
built from it, checked token ids and the padding mask.

A model config extends :class:`RecurrentModelConfig` with its own fields; the fields
here are the ones the command line offers for every model (``--cell``, ``--hidden``,
``--layers``, ``--dropout`` and the cell options of the layer registry). They are
checked by the layer config's own checks (:func:`rnnkit.layers.check_recurrent`), in
its words, naming this config's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnnkit.config import Config, require
from rnnkit.layers import (
    CELLS,
    CellOptions,
    CellType,
    RecurrentConfig,
    RecurrentLayer,
    check_recurrent,
    from_config,
    options_for,
)

OPTION = "cell_options."  # the dotted prefix of the cell options' flags' fields


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
        check_recurrent(self)  # an option the cell has no use for is refused
        require(self, "dropout", self.dropout < 1, "below 1 (1 drops every activation)")

    def check_given(self, given: set[str]) -> None:
        """Refuse cell options named on the command line for a cell that has no use for
        them, even at their default values."""
        check_recurrent(self, given)

    def with_cell(self, cell: str) -> Any:
        """This config for another ``cell``, the options that cell has no use for back at
        their defaults (``replace(cell=...)`` refuses them)."""
        return self.replace(cell=cell, cell_options=options_for(cell, self.cell_options))

    @classmethod
    def merge(cls, defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        """A command's values: the ``given`` flags over its ``defaults`` (dotted field
        paths), less the default cell options the chosen cell has no use for (a task's
        LSTM forget bias under ``--cell gru``); given ones stay, to be refused."""
        values = {**defaults, **given}
        kind = CELLS.get(values.get("cell", cls.__dataclass_fields__["cell"].default))
        if kind is None:  # an unknown cell: the config names it
            return values
        return {
            path: value
            for path, value in values.items()
            if path in given or not path.startswith(OPTION) or path[len(OPTION) :] in kind.options
        }

    def layer_config(self, input_size: int, *, bidirectional: bool = False) -> RecurrentConfig:
        """The configured layer: batch first, dropout between stacked layers.

        Where dropout acts between layers only, a one-layer model with dropout keeps it
        (the layer warns, as torch.nn does: the rate would change nothing)."""
        dropout = self.dropout
        if self.num_layers == 1 and not self.dropout_between_layers_only:
            dropout = 0.0  # the model applies it to its embeddings and read-out
        return RecurrentConfig(
            self.cell,
            input_size,
            self.hidden_size,
            self.num_layers,
            batch_first=True,
            dropout=dropout,
            bidirectional=bidirectional,
            cell_options=self.cell_options,
        )

    def layer(self, input_size: int, *, bidirectional: bool = False) -> RecurrentLayer:
        """The configured rnnkit layer (:meth:`layer_config`)."""
        return from_config(self.layer_config(input_size, bidirectional=bidirectional))


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
