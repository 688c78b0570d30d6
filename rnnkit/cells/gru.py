"""The gated recurrent unit: torch's (cuDNN's) form, and Cho et al.'s original form."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.cells.base import Gates, RecurrentCell, State


class GRUCell(RecurrentCell):
    r"""GRU cell (Cho et al. 2014) in torch.nn's and cuDNN's form: the reset gate
    multiplies the result of the recurrent matmul.

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Gate order is torch.nn's ``r, z, n``, so a ``torch.nn.GRUCell`` state_dict loads
    unchanged. State: ``(h,)``, h (B, H). ``layer_norm=True`` normalises ``W_ih x_t`` and
    ``W_hh h_{t-1}`` over all 3H pre-activations (``ln_ih``, ``ln_hh``), before the biases.
    """

    gates = ("r", "z", "n")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        layer_norm: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            input_size, hidden_size, bias, layer_norm=layer_norm, device=device, dtype=dtype
        )
        self.reset_parameters()

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, Gates]:
        (h,) = state  # (B, H)
        x_r, x_z, x_n = xp_t.chunk(3, dim=-1)  # 3 x (B, H)
        h_r, h_z, h_n = self.project_hidden(h).chunk(3, dim=-1)  # 3 x (B, H)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        return h, (h,), {"r": r, "z": z, "n": n}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A GRUCell pickled by rnnkit 0.1 (``torch.save`` of a whole module) held its
        form in ``reset_after``; the original form comes back as a ChoGRUCell."""
        original = state.pop("reset_after", True) is False
        super().__setstate__(state)
        if original:
            self.__class__ = ChoGRUCell


class ChoGRUCell(RecurrentCell):
    r"""GRU cell in the original form of Cho et al. 2014: the reset gate multiplies the
    previous state before the recurrent matmul.

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Parameters have :class:`GRUCell`'s (torch.nn's) names, shapes and gate order ``r, z,
    n``, so state_dicts move between the two forms (they compute different functions).
    State: ``(h,)``, h (B, H). No layer norm: the candidate's recurrent matmul reads
    r_t, so the 3H recurrent pre-activations never exist together to be normalised.
    """

    gates = ("r", "z", "n")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.reset_parameters()

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, Gates]:
        (h,) = state  # (B, H)
        x_r, x_z, x_n = xp_t.chunk(3, dim=-1)  # 3 x (B, H)
        H = self.hidden_size
        W_hr, W_hz, W_hn = self.weight_hh.split(H)  # 3 x (H, H)
        b_hr, b_hz, b_hn = (None,) * 3 if self.bias_hh is None else self.bias_hh.split(H)
        r = torch.sigmoid(x_r + F.linear(h, W_hr, b_hr))
        z = torch.sigmoid(x_z + F.linear(h, W_hz, b_hz))
        n = torch.tanh(x_n + F.linear(r * h, W_hn, b_hn))
        h = (1 - z) * n + z * h
        return h, (h,), {"r": r, "z": z, "n": n}
