"""The long short-term memory cell, with peepholes, layer norm and projection."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.cells.base import Gates, RecurrentCell, State, check_size
from rnnkit.errors import ArgumentTypeError, torch_words


def check_projection(proj_size: object, hidden_size: int, *, owner: str = "") -> int:
    """The LSTM's projection size P: 0 (none) or an integer below hidden_size. The one
    check of it for a cell or a layer config; errors name ``owner.proj_size``."""
    where = f"{owner}.proj_size" if owner else "proj_size"
    if isinstance(proj_size, bool) or not isinstance(proj_size, int):
        raise ArgumentTypeError(f"{where} must be a non-negative integer, got {proj_size!r}")
    if proj_size < 0:
        torch_says = "proj_size should be a positive integer or zero to disable projections"
        message = f"{where} must be a non-negative integer, got {proj_size!r}"
        raise ValueError(torch_words(message, torch_says))
    if proj_size >= hidden_size:
        torch_says = "proj_size has to be smaller than hidden_size"
        message = f"{where} must be smaller than hidden_size ({hidden_size}), got {proj_size}"
        raise ValueError(torch_words(message, torch_says))
    return proj_size


class LSTMCell(RecurrentCell):
    r"""LSTM cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

    .. math::
        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi} + w_{ci} \odot c_{t-1}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf} + w_{cf} \odot c_{t-1}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho} + w_{co} \odot c_t) \\
        h_t &= W_{hr} (o_t \odot \tanh(c_t))

    Gate order in ``weight_ih``/``weight_hh``/biases is torch.nn's ``i, f, g, o``, so a
    ``torch.nn.LSTMCell`` state_dict loads unchanged. State: ``(h, c)``, h (B, P or H),
    c (B, H).

    Options beyond torch.nn:

    - ``peephole=True`` adds the diagonal peephole weights ``weight_ch`` (3*H,), rows
      ``w_ci, w_cf, w_co`` (Gers & Schmidhuber 2000); without it those terms are absent.
    - ``layer_norm=True`` (Ba et al. 2016) normalises exactly three tensors: the input
      contribution ``W_ih x_t`` (all 4H pre-activations, module ``ln_ih``), the recurrent
      contribution ``W_hh h_{t-1}`` (``ln_hh``), each before its bias is added, and the
      cell state inside the output, ``h_t = o_t * tanh(LN(c_t))`` (``ln_c``). The carried
      ``c_t`` itself is not normalised.
    - ``proj_size=P > 0`` adds ``weight_hr`` (P, H): h_t is projected to P features
      (Sak et al. 2014), as in ``torch.nn.LSTM(proj_size=P)``.
    - ``forget_bias=b`` initialises the forget-gate bias so that ``b_if + b_hf = b``
      (commonly 1.0, Jozefowicz et al. 2015); ``None`` keeps torch.nn's uniform init.
    """

    gates = ("i", "f", "g", "o")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        proj_size: int = 0,
        peephole: bool = False,
        layer_norm: bool = False,
        forget_bias: float | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_size("hidden_size", hidden_size)  # before proj_size is compared with it
        check_projection(proj_size, hidden_size)
        if forget_bias is not None and not bias:
            raise ValueError("forget_bias needs bias=True")
        super().__init__(
            input_size,
            hidden_size,
            bias,
            recurrent_size=proj_size or hidden_size,
            layer_norm=layer_norm,
            device=device,
            dtype=dtype,
        )
        self.proj_size = proj_size
        self.peephole = bool(peephole)
        self.forget_bias = forget_bias
        kw = {"device": device, "dtype": dtype}
        if proj_size:
            self.weight_hr = nn.Parameter(torch.empty(proj_size, hidden_size, **kw))
        if self.peephole:
            self.weight_ch = nn.Parameter(torch.empty(3 * hidden_size, **kw))
        if self.layer_norm:
            self.ln_c = nn.LayerNorm(hidden_size, **kw)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.layer_norm:
            self.ln_c.reset_parameters()
        if self.forget_bias is not None:
            H = self.hidden_size
            with torch.no_grad():
                self.bias_ih[H : 2 * H].fill_(self.forget_bias)
                self.bias_hh[H : 2 * H].zero_()

    @property
    def output_size(self) -> int:
        return self.proj_size or self.hidden_size

    def state_sizes(self) -> tuple[int, ...]:
        return (self.output_size, self.hidden_size)

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, Gates]:
        h, c = state  # (B, P or H), (B, H)
        a_i, a_f, a_g, a_o = (xp_t + self.project_hidden(h)).chunk(4, dim=-1)  # 4 x (B, H)
        if self.peephole:
            w_ci, w_cf, w_co = self.weight_ch.chunk(3)  # 3 x (H,)
            a_i = a_i + w_ci * c
            a_f = a_f + w_cf * c
        i, f, g = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g)
        c = f * c + i * g
        if self.peephole:
            a_o = a_o + w_co * c
        o = torch.sigmoid(a_o)
        h = o * torch.tanh(self.ln_c(c) if self.layer_norm else c)  # (B, H)
        if self.proj_size:
            h = F.linear(h, self.weight_hr)  # (B, P)
        return h, (h, c), {"i": i, "f": f, "g": g, "o": o}

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.peephole:
            s += ", peephole=True"
        if self.forget_bias is not None:
            s += f", forget_bias={self.forget_bias}"
        return s
