"""The cell contract: one time step of a recurrent network, and nothing else.

A cell never loops over time and holds no state of its own. The runner
(:func:`rnnkit.layers.runner.run`) owns the time loop; it calls
:meth:`RecurrentCell.project_input` once for the whole sequence (one GEMM for all
steps) and :meth:`RecurrentCell.recur` once per step.

Shapes: ``B`` batch, ``T`` time, ``I`` input features, ``H`` hidden units,
``P`` projection size (LSTM only), ``G`` gates per unit (RNN 1, GRU 3, LSTM 4).
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.cells.checks import check_step_input, check_step_state
from rnnkit.errors import ArgumentTypeError, torch_words

State = tuple[Tensor, ...]  # (h,) for RNN/GRU, (h, c) for LSTM; each (B, H) or (B, P)
Gates = dict[str, Tensor]  # gate name -> activation, each (B, H)


def check_size(name: str, value: object, *, owner: str = "") -> int:
    """A size (input_size, hidden_size, num_layers): an integer greater than zero, as
    torch.nn requires. The one check of every size of a cell, layer or model config;
    its errors name ``owner.name`` (a config's class) or ``name``."""
    where = f"{owner}.{name}" if owner else name
    if isinstance(value, bool) or not isinstance(value, int):
        message = f"{where} must be an integer, got {value!r}"
        torch_says = f"{name} should be of type int, got: {type(value).__name__}"
        raise ArgumentTypeError(torch_words(message, torch_says))
    if value <= 0:
        raise ValueError(f"{where} must be greater than zero, got {value!r}")
    return value


class RecurrentCell(nn.Module):
    """Shared parameters and plumbing of the RNN, LSTM and GRU cells.

    Parameters carry torch.nn's names and layouts: ``weight_ih`` (G*H, I),
    ``weight_hh`` (G*H, R), ``bias_ih`` and ``bias_hh`` (G*H), where R is the size
    of the recurrent input (H, or P for a projected LSTM). A cell with
    ``recurrent = False`` (minGRU, minLSTM) has ``weight_ih`` and ``bias_ih`` only.
    With ``layer_norm=True`` the cell also owns ``ln_ih`` and ``ln_hh``: layer
    normalisation of the input contribution ``W_ih x`` and of the recurrent
    contribution ``W_hh h`` over all G*H pre-activations, each applied before its bias is added
    (Ba et al. 2016: ``LN(W_ih x) + b_ih + LN(W_hh h) + b_hh``).
    """

    gates: ClassVar[tuple[str, ...]]  # gate names in parameter order
    recurrent: ClassVar[bool] = True  # False: no weight_hh, bias_hh (minGRU, minLSTM)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        recurrent_size: int | None = None,
        layer_norm: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.input_size = check_size("input_size", input_size)
        self.hidden_size = check_size("hidden_size", hidden_size)
        self.bias = bool(bias)
        self.layer_norm = bool(layer_norm)
        recurrent_size = recurrent_size or hidden_size
        kw = {"device": device, "dtype": dtype}
        G, H = len(self.gates), hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size, **kw))
        if self.recurrent:
            self.weight_hh = nn.Parameter(torch.empty(G * H, recurrent_size, **kw))
        if self.bias:
            self.bias_ih = nn.Parameter(torch.empty(G * H, **kw))
        else:
            self.register_parameter("bias_ih", None)
        if self.bias and self.recurrent:
            self.bias_hh = nn.Parameter(torch.empty(G * H, **kw))
        elif self.recurrent:
            self.register_parameter("bias_hh", None)
        if self.layer_norm:
            self.ln_ih = nn.LayerNorm(G * H, **kw)
            self.ln_hh = nn.LayerNorm(G * H, **kw)

    # -- initialisation ---------------------------------------------------------
    def reset_parameters(self) -> None:
        """torch.nn's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for name, p in self.named_parameters():
            if not name.startswith("ln_"):
                nn.init.uniform_(p, -bound, bound)
        if self.layer_norm:
            self.ln_ih.reset_parameters()
            self.ln_hh.reset_parameters()

    # -- the contract -------------------------------------------------------------
    @property
    def output_size(self) -> int:
        """Size of the hidden output h_t."""
        return self.hidden_size

    def project_input(self, x: Tensor) -> Tensor:
        """W_ih x + b_ih for any leading shape: (..., I) -> (..., G*H); one GEMM for all steps."""
        if self.layer_norm:
            xp = self.ln_ih(F.linear(x, self.weight_ih))
            return xp if self.bias_ih is None else xp + self.bias_ih
        return F.linear(x, self.weight_ih, self.bias_ih)

    def project_hidden(self, h: Tensor) -> Tensor:
        """W_hh h + b_hh: (B, R) -> (B, G*H)."""
        if self.layer_norm:
            hp = self.ln_hh(F.linear(h, self.weight_hh))
            return hp if self.bias_hh is None else hp + self.bias_hh
        return F.linear(h, self.weight_hh, self.bias_hh)

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, Gates]:
        """One step from the projected input xp_t (B, G*H): (output (B, H), state, gates)."""
        raise NotImplementedError

    def forward(self, x_t: Tensor, state: State | Tensor | None = None) -> tuple[Tensor, State]:
        """Project and recur one step: x_t (B, I) -> (h_t (B, H), new state).

        Unbatched, as torch.nn's cells: x_t (I,) with a state of (size,) tensors gives
        h_t (H,). A one-tensor state may be given bare (``h`` for ``(h,)``)."""
        x_t = check_step_input(self, x_t)
        state = None if state is None else check_step_state(self, state, x_t)
        unbatched = x_t.dim() == 1
        if unbatched:
            x_t = x_t.unsqueeze(0)  # (1, I)
            state = None if state is None else tuple(s.unsqueeze(0) for s in state)  # (1, size)
        if state is None:
            state = self.initial_state(x_t.shape[0], device=x_t.device, dtype=x_t.dtype)
        out, state, _ = self.recur(self.project_input(x_t), state)
        if unbatched:
            return out.squeeze(0), tuple(s.squeeze(0) for s in state)
        return out, state

    def reference_tensor(self) -> Tensor:
        """A tensor with the parameters' dtype and device, read without computing any
        weight (a parametrized ``weight_ih`` would be computed by ``self.weight_ih``)."""
        return next(self.parameters())

    def state_sizes(self) -> tuple[int, ...]:
        """Feature size of each state tensor, in state order."""
        return (self.output_size,)

    def initial_state(
        self,
        batch: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> State:
        """The zero state for a batch: a tuple of (B, size) tensors."""
        like = self.reference_tensor()
        device = device if device is not None else like.device
        dtype = dtype if dtype is not None else like.dtype
        return tuple(torch.zeros(batch, n, device=device, dtype=dtype) for n in self.state_sizes())

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.layer_norm:
            s += ", layer_norm=True"
        return s
