"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?").

Their gates read the input x_t alone, never h_{t-1}, so each is the linear recurrence
``h_t = a_t ⊙ h_{t-1} + b_t`` with ``a_t, b_t`` computed from x_t. A cell gives both
the per-step form (:meth:`MinimalCell.recur`, for the reference runner and streaming)
and the coefficients for every step at once (:meth:`MinimalCell.coefficients`, for a
scan over time: :mod:`rnnkit.layers.fused.scan`). There are no recurrent weights:
parameters are ``weight_ih`` (G*H, I) and ``bias_ih`` (G*H,) only.

Shapes: ``B`` batch, ``T`` time, ``I`` input features, ``H`` hidden units,
``G`` gate blocks (minGRU 2, minLSTM 3).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.cells.base import Gates, RecurrentCell, State


class MinimalCell(RecurrentCell):
    """What minGRU and minLSTM share: the linear recurrence h_t = a_t ⊙ h_{t-1} + b_t."""

    recurrent = False  # no weight_hh / bias_hh

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

    def coefficients(self, xp: Tensor) -> tuple[Tensor, Tensor, Gates]:
        """(a, b, gates) of the recurrence from the projected input: (..., G*H) -> (..., H)."""
        raise NotImplementedError

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, Gates]:
        (h,) = state  # (B, H)
        a, b, gates = self.coefficients(xp_t)  # (B, H) each
        h = a * h + b
        return h, (h,), gates


class MinGRUCell(MinimalCell):
    r"""minGRU cell: a GRU whose update gate and candidate read x_t only.

    .. math::
        z_t &= \sigma(W_z x_t + b_z) \\
        \tilde h_t &= W_h x_t + b_h \\
        h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t

    Rows of ``weight_ih``/``bias_ih``: ``z, h_tilde`` (2H). State: ``(h,)``, h (B, H).
    """

    gates = ("z", "h_tilde")

    def coefficients(self, xp: Tensor) -> tuple[Tensor, Tensor, Gates]:
        a_z, h_tilde = xp.chunk(2, dim=-1)  # 2 x (..., H)
        z = torch.sigmoid(a_z)
        return 1 - z, z * h_tilde, {"z": z, "h_tilde": h_tilde}


class MinLSTMCell(MinimalCell):
    r"""minLSTM cell: forget and input gates from x_t only, normalised to sum to one.

    .. math::
        f_t &= \sigma(W_f x_t + b_f) \\
        i_t &= \sigma(W_i x_t + b_i) \\
        \tilde h_t &= W_h x_t + b_h \\
        f'_t &= f_t / (f_t + i_t), \quad i'_t = i_t / (f_t + i_t) \\
        h_t &= f'_t \odot h_{t-1} + i'_t \odot \tilde h_t

    Rows of ``weight_ih``/``bias_ih``: ``f, i, h_tilde`` (3H). State: ``(h,)``, h (B, H).
    The normalised gates are computed in log space,
    :math:`f'_t = \sigma(\log f_t - \log i_t)` and :math:`i'_t = 1 - f'_t`, so that they
    stay finite where both f_t and i_t underflow. The recorded gates ``f, i`` are the
    normalised f'_t, i'_t.
    """

    gates = ("f", "i", "h_tilde")

    def coefficients(self, xp: Tensor) -> tuple[Tensor, Tensor, Gates]:
        a_f, a_i, h_tilde = xp.chunk(3, dim=-1)  # 3 x (..., H)
        log_ratio = F.logsigmoid(a_f) - F.logsigmoid(a_i)  # log(f_t / i_t)
        f = torch.sigmoid(log_ratio)  # f'_t
        i = 1 - f  # i'_t
        return f, i * h_tilde, {"f": f, "i": i, "h_tilde": h_tilde}
