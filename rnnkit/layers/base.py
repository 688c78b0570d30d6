"""The torch.nn-compatible front shared by rnnkit.RNN, LSTM, GRU, MinGRU and MinLSTM.

Shapes: ``T`` time, ``B`` batch, ``I`` input features, ``H`` hidden units, ``P``
projection, ``L`` layers, ``D`` directions.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from rnnkit.cells.base import RecurrentCell, State
from rnnkit.layers.backends import check_backend, choose, supported
from rnnkit.layers.checks import check_input
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.fused import run_fused
from rnnkit.layers.fused.step import fused_step
from rnnkit.layers.native import native_mode, run_native
from rnnkit.layers.onnx import onnx_forward
from rnnkit.layers.prepared import Prepared, layout, prepare, restore
from rnnkit.layers.registry import CELLS, CellOptions
from rnnkit.layers.runner import Trace, run
from rnnkit.layers.stack import run_stack
from rnnkit.layers.states import Stacked, check_hx, external, split, stack, state_shapes
from rnnkit.layers.weights import TorchNNAttributes


@dataclass
class Capture:
    """A recorded run: the layer's usual outputs plus every step of every cell."""

    output: Tensor  # like forward's output (padded, batch_first honoured)
    state: Any  # like forward's final state
    traces: dict[str, Trace]  # "l{k}" / "l{k}_reverse" -> name -> (T, B, H), or (B, T, H)


class RecurrentLayer(TorchNNAttributes, nn.Module):
    """Stacked, optionally bidirectional recurrent layer over one kind of cell.

    The one constructor of rnnkit.RNN, LSTM, GRU, MinGRU and MinLSTM: torch.nn's
    arguments in torch.nn's order (``torch.nn.RNNBase``'s), then keyword-only
    ``backend`` and the cell options beyond torch.nn (:class:`CellOptions`) that the
    cell takes (the registry, :data:`rnnkit.layers.CELLS`). Parameters are owned here
    under torch.nn's flat names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...); each
    cell reads them through shared references.
    """

    cell_type: ClassVar[str]  # the registry's name of the cell: "rnn", "lstm", ...

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str = "auto",
        **options: Any,
    ) -> None:
        super().__init__()
        torch_nn = (input_size, hidden_size, num_layers, bias, batch_first, dropout)
        self.config = RecurrentConfig(
            self.cell_type, *torch_nn, bidirectional, proj_size, backend, CellOptions(**options)
        )
        if dropout > 0 and num_layers == 1:
            warnings.warn(  # as torch.nn does: the last layer's output is never dropped
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} "
                f"and num_layers={num_layers}",
                UserWarning,
                stacklevel=2,
            )
        self._build(device, dtype)

    def _build(self, device: torch.device | str | None, dtype: torch.dtype | None) -> None:
        """The cells of every layer and direction, their parameters adopted here."""
        c = self.config
        kind, D = CELLS[c.cell], c.num_directions
        self._cells: list[list[RecurrentCell]] = []
        self._bindings: list[tuple[nn.Module, str, str]] = []  # (owner, attribute, flat name)
        kw = {"proj_size": c.proj_size, "device": device, "dtype": dtype}
        for k in range(c.num_layers):
            in_size = c.input_size if k == 0 else D * c.output_size
            row = []
            for d in range(D):
                cell = kind.cell(in_size, c.hidden_size, c.bias, c.cell_options, **kw)
                self._adopt(cell, suffix=f"_l{k}" + ("_reverse" if d else ""))
                row.append(cell)
            self._cells.append(row)
        cells = [cell for row in self._cells for cell in row]
        self.native_ok, self.fused_ok = supported(cells)
        check_backend(c.backend, cells)

    @property
    def state_is_tuple(self) -> bool:
        """Whether hx is a pair (h, c) (the LSTM) rather than one tensor."""
        return len(self._cells[0][0].state_sizes()) == 2

    def _adopt(self, cell: RecurrentCell, suffix: str) -> None:
        """Register the cell's parameters here under flat torch.nn names."""
        for name, p in cell.named_parameters():
            owner_path, _, attr = name.rpartition(".")
            owner = cell.get_submodule(owner_path) if owner_path else cell
            flat = name.replace(".", "_") + suffix
            self.register_parameter(flat, p)
            self._bindings.append((owner, attr, flat))

    def _bind(self, weights: Sequence[Tensor] | None = None) -> None:
        """Point every cell at this layer's current weights: its parameters, or what a
        parametrization (torch.nn.utils.parametrize, prune, weight_norm) computes; or at
        ``weights`` given in that order (``_flat_weights``, read once by the caller)."""
        weights = self._flat_weights if weights is None else weights
        for (owner, attr, _), w in zip(self._bindings, weights):
            if owner._parameters[attr] is not w:
                owner._parameters[attr] = w

    def cell(self, layer: int = 0, direction: int = 0) -> RecurrentCell:
        """The cell of ``layer`` k and ``direction`` (0 forward, 1 reverse)."""
        self._bind()
        return self._cells[layer][direction]

    @property
    def uses_native(self) -> bool:
        """Whether forward runs torch's fused kernels."""
        return self.chosen_backend == "native"

    @property
    def chosen_backend(self) -> str:
        """What forward runs now: "native" (torch's kernels: oneDNN, cuDNN), "fused"
        (rnnkit's CPU kernels) or "reference" (the runner over the cells, with autograd).

        ``auto`` picks by :func:`rnnkit.layers.backends.choose`.
        """
        backend = self.config.backend
        wrapped = self.__dict__.get("_wrapped", False)
        if wrapped or backend == "reference" or torch.compiler.is_compiling():
            return "reference"  # (torch.compile and torch.export trace the cells)
        if backend != "auto":
            return backend
        return choose(self._cells[0][0], native=self.native_ok, fused=self.fused_ok)

    @contextmanager
    def wrapped_cells(self, wrap: Callable[[RecurrentCell], Any]) -> Iterator[None]:
        """Within the block, forward runs the reference runner over ``wrap(cell)`` for
        every cell: a hook for analysis tools that watch each step (e.g. gradient flow)."""
        self._bind()
        original = self._cells
        self._cells = [[wrap(cell) for cell in row] for row in original]
        self._wrapped = True
        try:
            yield
        finally:
            self._cells, self._wrapped = original, False

    # -- forward ---------------------------------------------------------------------
    def forward(self, input: Tensor | PackedSequence, hx: Any = None, lengths: Any = None):
        """Run the stack. Returns ``(output, h_n)`` or ``(output, (h_n, c_n))`` as torch.nn.

        ``input`` (T, B, I) [(B, T, I) if batch_first], (T, I) unbatched, or a
        PackedSequence; ``lengths`` (B,) marks each padded sequence's true length.
        """
        if torch.onnx.is_in_onnx_export():  # ONNX's own recurrent operators
            return onnx_forward(self, input, hx, lengths)
        prep = self._prepare(input, lengths)
        states = self._check_hx(hx, prep)
        backend = self.chosen_backend if prep.x.shape[1] else "reference"  # B = 0: no kernel
        if backend == "native":
            out, final = self._forward_native(prep, states)
        else:
            out, final, _ = self._forward_reference(
                prep, states, capture=False, fused=backend == "fused"
            )
        return restore(out, prep, self.batch_first), external(final, prep)

    def capture(
        self, input: Tensor | PackedSequence, hx: Any = None, *, lengths: Any = None
    ) -> Capture:
        """Forward through the reference runner, recording every step's gates and states."""
        prep = self._prepare(input, lengths)
        states = self._check_hx(hx, prep)
        out, final, traces = self._forward_reference(prep, states, capture=True)
        names = [
            f"l{k}" + ("_reverse" if d else "")
            for k in range(self.num_layers)
            for d in range(self.config.num_directions)
        ]
        traces = {
            n: {k: layout(v, prep, self.batch_first) for k, v in t.items()}
            for n, t in zip(names, traces)
        }
        return Capture(restore(out, prep, self.batch_first), external(final, prep), traces)

    def _forward_reference(
        self,
        prep: Prepared,
        states: Stacked | None,
        *,
        capture: bool,
        fused: bool = False,
        weights: Sequence[Tensor] | None = None,
    ):
        """The stack over the cells: the reference runner, or with ``fused`` rnnkit's
        kernels; with the given flat ``weights`` (else the layer's own)."""
        self._bind(weights)
        D = self.config.num_directions
        per_cell = self._split(states)
        grid = [per_cell[k * D : (k + 1) * D] for k in range(self.num_layers)]
        out, finals, traces = run_stack(
            self._cells,
            prep.x,
            grid,
            lengths=prep.lengths,
            dropout=self.dropout,
            training=self.training,
            capture=capture,
            runner=run_fused if fused else run,
        )
        return out, self._stack(finals), traces

    def _forward_native(self, prep: Prepared, states: Stacked | None) -> tuple[Tensor, Stacked]:
        if states is None:
            sizes = self._cells[0][0].state_sizes()
            shapes = state_shapes(sizes, self._count, prep.x.shape[1], unbatched=False)
            states = tuple(prep.x.new_zeros(shape) for shape in shapes)
        return run_native(
            native_mode(self._cells[0][0]),  # type: ignore[arg-type] (native_ok)
            self.config,
            self._flat_weights,
            prep.x,
            states,
            lengths=prep.lengths,
            training=self.training,
        )

    # -- streaming -------------------------------------------------------------------
    def step(self, x_t: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        """Advance one time step: x_t (B, I) -> (output_t (B, P or H), hx like forward's);
        with autograd off on the CPU, one fused kernel call for every layer."""
        if (fast := fused_step(self, x_t, hx)) is not None:
            return fast
        if self.bidirectional:
            raise ValueError(
                "step() needs a unidirectional layer: the reverse direction reads whole sequences"
            )
        ref = self._like()
        x_t = check_input(x_t, input_size=self.input_size, like=ref, ranks=(2,), steps=False)
        prep = Prepared(x_t.unsqueeze(0), None, None, unbatched=False)
        states = self._split(self._check_hx(hx, prep))
        self._bind()
        finals: list[State] = []
        out = x_t
        for k, (cell,) in enumerate(self._cells):
            out, state = cell(out, states[k])
            finals.append(state)
            if self.dropout > 0 and k < self.num_layers - 1:
                out = nn.functional.dropout(out, self.dropout, self.training)
        return out, self._external(self._stack(finals), prep)

    # -- layout helpers --------------------------------------------------------------
    def _prepare(self, input: Any, lengths: Any) -> Prepared:
        c = self.config
        return prepare(
            input, lengths, input_size=c.input_size, batch_first=c.batch_first, like=self._like()
        )

    def _check_hx(self, hx: Any, prep: Prepared) -> Stacked | None:
        """Validate the caller's initial state; returns it stacked (L*D, B, *) or None."""
        if hx is None:
            return None
        sizes = self._cells[0][0].state_sizes()
        name = type(self).__name__
        return check_hx(hx, prep, sizes=sizes, count=self._count, layer=name, like=self._like())

    def _external(self, final: Stacked, prep: Prepared) -> Any:
        return external(final, prep)

    def _split(self, states: Stacked | None) -> list[State | None]:
        return split(states, self._count)

    _stack = staticmethod(stack)

    @property
    def _count(self) -> int:
        """L*D: the number of cells."""
        return self.num_layers * self.config.num_directions
