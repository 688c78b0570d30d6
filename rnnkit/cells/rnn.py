"""The vanilla (Elman) RNN cell."""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.cells.base import Gates, RecurrentCell, State
from rnnkit.errors import torch_words

NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


def nonlinearity_error(value: object, *, owner: str = "") -> ValueError:
    """The error for an unknown nonlinearity; it names ``owner.nonlinearity`` (a config)."""
    where = f"{owner}.nonlinearity" if owner else "nonlinearity"
    message = f"{where} must be one of 'tanh', 'relu', got {value!r}"
    torch_says = f"Unknown nonlinearity '{value}'. Select from 'tanh' or 'relu'."
    return ValueError(torch_words(message, torch_says))


class RNNCell(RecurrentCell):
    r"""Elman RNN cell.

    .. math::
        h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}),
        \quad \phi \in \{\tanh, \mathrm{relu}\}

    State: ``(h,)`` with h of shape (B, H). Parameters as ``torch.nn.RNNCell``.
    """

    gates = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        layer_norm: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise nonlinearity_error(nonlinearity)
        super().__init__(
            input_size, hidden_size, bias, layer_norm=layer_norm, device=device, dtype=dtype
        )
        self.nonlinearity = nonlinearity  # stored by name, so a saved module holds no function
        self.reset_parameters()

    @property
    def phi(self):
        """The nonlinearity phi (torch.tanh or torch.relu)."""
        return NONLINEARITIES[self.nonlinearity]

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, Gates]:
        (h,) = state
        h = self.phi(xp_t + self.project_hidden(h))  # (B, H)
        return h, (h,), {"h": h}

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity='relu'"
