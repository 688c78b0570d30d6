"""The gated recurrent unit, in torch's (cuDNN) form and in Cho et al.'s original form."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.cells.base import Gates, RecurrentCell, State


class GRUCell(RecurrentCell):
    r"""GRU cell (Cho et al. 2014).

    With ``reset_after=True`` (the default; torch.nn's and cuDNN's form) the reset gate
    multiplies the recurrent matmul's result:

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    With ``reset_after=False`` (the original form of Cho et al. 2014) the reset gate
    multiplies the previous state before the matmul:
    :math:`n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})`.

    Gate order is torch.nn's ``r, z, n``, so a ``torch.nn.GRUCell`` state_dict loads
    unchanged. State: ``(h,)``, h (B, H). ``layer_norm=True`` normalises ``W_ih x_t`` and
    ``W_hh h_{t-1}`` over all 3H pre-activations (``ln_ih``, ``ln_hh``), before the biases;
    it needs ``reset_after=True`` (in the original form the recurrent matmul of the
    candidate depends on r_t, so the 3H recurrent pre-activations never exist together).
    """

    gates = ("r", "z", "n")
    native_mode = "GRU"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        reset_after: bool = True,
        layer_norm: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if layer_norm and not reset_after:
            raise ValueError("layer_norm=True needs reset_after=True for the GRU cell")
        super().__init__(
            input_size, hidden_size, bias, layer_norm=layer_norm, device=device, dtype=dtype
        )
        self.reset_after = bool(reset_after)
        self.reset_parameters()

    @property
    def native_compatible(self) -> bool:
        return self.reset_after and not self.layer_norm

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, Gates]:
        (h,) = state  # (B, H)
        x_r, x_z, x_n = xp_t.chunk(3, dim=-1)  # 3 x (B, H)
        if self.reset_after:
            h_r, h_z, h_n = self.project_hidden(h).chunk(3, dim=-1)  # 3 x (B, H)
            r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
        else:
            H = self.hidden_size
            b_hh = (None, None, None) if self.bias_hh is None else self.bias_hh.split(H)
            W_hr, W_hz, W_hn = self.weight_hh.split(H)  # 3 x (H, H)
            r = torch.sigmoid(x_r + F.linear(h, W_hr, b_hh[0]))
            z = torch.sigmoid(x_z + F.linear(h, W_hz, b_hh[1]))
            n = torch.tanh(x_n + F.linear(r * h, W_hn, b_hh[2]))
        h = (1 - z) * n + z * h
        return h, (h,), {"r": r, "z": z, "n": n}

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.reset_after else s + ", reset_after=False"
