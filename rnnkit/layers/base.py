"""The torch.nn-compatible front shared by rnnkit.RNN, LSTM, GRU, MinGRU and MinLSTM.

Shapes: ``T`` time, ``B`` batch, ``I`` input features, ``H`` hidden units, ``P``
projection, ``L`` layers, ``D`` directions.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnnkit.cells.base import RecurrentCell, State
from rnnkit.layers.checks import check_input, check_lengths, check_pair, check_state
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.fused import fusable, run_fused, status, usable
from rnnkit.layers.fused.step import fused_step
from rnnkit.layers.native import run_native
from rnnkit.layers.onnx import onnx_forward
from rnnkit.layers.prepared import Prepared
from rnnkit.layers.runner import Trace, run
from rnnkit.layers.stack import run_stack
from rnnkit.layers.weights import TorchNNAttributes

Stacked = tuple[Tensor, ...]  # each state stacked over layers and directions: (L*D, B, *)


@dataclass
class Capture:
    """A recorded run: the layer's usual outputs plus every step of every cell."""

    output: Tensor  # like forward's output (padded, batch_first honoured)
    state: Any  # like forward's final state
    traces: dict[str, Trace]  # "l{k}" / "l{k}_reverse" -> name -> (T, B, H), or (B, T, H)


class RecurrentLayer(TorchNNAttributes, nn.Module):
    """Stacked, optionally bidirectional recurrent layer over one kind of cell.

    Parameters are owned here under torch.nn's flat names (``weight_ih_l0``,
    ``bias_hh_l1_reverse``, ...); each cell reads them through shared references.
    """

    cell_class: ClassVar[type[RecurrentCell]]
    state_is_tuple: ClassVar[bool] = False  # LSTM: hx is (h, c)

    def __init__(
        self,
        config: RecurrentConfig,
        cell_kwargs: dict[str, Any],
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if config.dropout > 0 and config.num_layers == 1:
            warnings.warn(  # as torch.nn does: the last layer's output is never dropped
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={config.dropout} "
                f"and num_layers={config.num_layers}",
                UserWarning,
                stacklevel=3,
            )
        self.config = config
        D = config.num_directions
        self._cells: list[list[RecurrentCell]] = []
        self._bindings: list[tuple[nn.Module, str, str]] = []  # (owner, attribute, flat name)
        for k in range(config.num_layers):
            in_size = config.input_size if k == 0 else D * config.output_size
            row = []
            for d in range(D):
                cell = self.cell_class(
                    in_size,
                    config.hidden_size,
                    config.bias,
                    **cell_kwargs,
                    device=device,
                    dtype=dtype,
                )
                self._adopt(cell, suffix=f"_l{k}" + ("_reverse" if d else ""))
                row.append(cell)
            self._cells.append(row)
        self.native_ok = all(c.native_compatible for row in self._cells for c in row)
        self.fused_ok = all(fusable(c) for row in self._cells for c in row)
        if config.backend == "native" and not self.native_ok:
            raise ValueError(
                "backend='native' cannot run this configuration (torch's fused kernels have "
                "no peephole, layer norm, reset_after=False, minGRU or minLSTM); use "
                "backend='auto' or 'reference'"
            )
        if config.backend == "fused" and not self.fused_ok:
            raise ValueError(
                "backend='fused' cannot run this configuration (rnnkit's kernels have no "
                "LSTM projection); use backend='auto' or 'reference'"
            )
        if config.backend == "fused" and not usable(self._cells[0][0]):
            raise ValueError(
                f"backend='fused' needs rnnkit's compiled CPU kernels ({status()}); "
                "use backend='auto'"
            )

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

    # torch.nn attribute names, for code written against torch.nn layers
    input_size = property(lambda self: self.config.input_size)
    hidden_size = property(lambda self: self.config.hidden_size)
    num_layers = property(lambda self: self.config.num_layers)
    bias = property(lambda self: self.config.bias)
    batch_first = property(lambda self: self.config.batch_first)
    bidirectional = property(lambda self: self.config.bidirectional)
    proj_size = property(lambda self: self.config.proj_size)
    backend = property(lambda self: self.config.backend)

    @property
    def dropout(self) -> float:
        """Dropout between stacked layers in training; settable, as in torch.nn."""
        return self.config.dropout

    @dropout.setter
    def dropout(self, p: float) -> None:
        self.config = dataclasses.replace(self.config, dropout=p)  # validated

    def flatten_parameters(self) -> None:
        """Accepted for torch.nn compatibility; parameters need no flattening here."""

    @property
    def uses_native(self) -> bool:
        """Whether forward runs torch's fused kernels."""
        return self.chosen_backend == "native"

    @property
    def chosen_backend(self) -> str:
        """What forward runs now: "native" (torch's kernels: oneDNN, cuDNN), "fused"
        (rnnkit's CPU kernels) or "reference" (the runner over the cells, with autograd).

        ``auto`` picks, in order: native for the plain LSTM on the CPU (oneDNN's LSTM is
        faster than any per-step GEMM) and for everything native runs on a GPU (cuDNN);
        fused for every other cell on the CPU in float32/float64 where the kernels built,
        and for minGRU/minLSTM everywhere (their scan: the C loop, else a parallel scan);
        native where it can run; the reference loop otherwise.
        """
        backend = self.config.backend
        wrapped = self.__dict__.get("_wrapped", False)
        if wrapped or backend == "reference" or torch.compiler.is_compiling():
            return "reference"  # (torch.compile and torch.export trace the cells)
        if backend != "auto":
            return backend
        cell = self._cells[0][0]
        on_cpu = cell.weight_ih.device.type == "cpu"
        if self.native_ok and (not on_cpu or cell.native_mode == "LSTM"):
            return "native"
        if self.fused_ok and usable(cell):  # usable: the CPU, but minGRU/minLSTM anywhere
            return "fused"
        return "native" if self.native_ok else "reference"

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
        return self._restore(out, prep), self._external(final, prep)

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
            n: {k: self._layout(v, prep) for k, v in t.items()} for n, t in zip(names, traces)
        }
        return Capture(self._restore(out, prep), self._external(final, prep), traces)

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
            states = self._zeros(prep.x.shape[1], prep.x)
        cell = self._cells[0][0]
        return run_native(
            cell.native_mode,
            self.config,
            self._flat_weights,
            prep.x,
            states,
            lengths=prep.lengths,
            training=self.training,
        )

    # -- streaming -------------------------------------------------------------------
    def step(self, x_t: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        """Advance one time step: x_t (B, I) -> (output_t (B, P or H), hx like forward's).

        With autograd off on the CPU, one fused kernel call advances every layer."""
        fast = fused_step(self, x_t, hx)
        if fast is not None:
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
        ref = self._like()
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError("give either a PackedSequence or lengths, not both")
            data = check_input(
                input.data, input_size=self.input_size, like=ref, ranks=(2,), steps=False
            )
            if data is not input.data:  # cast back from autocast's dtype
                input = input._replace(data=data)
            x, n = pad_packed_sequence(input)  # (T, B, I), original batch order
            return Prepared(x, self._full(n, x), input, unbatched=False)
        x = check_input(
            input, input_size=self.input_size, like=ref, ranks=(2, 3), batch_first=self.batch_first
        )
        if x.dim() == 2:
            if lengths is not None:
                raise ValueError("lengths need a batched (3-D) input")
            return Prepared(x.unsqueeze(1), None, None, unbatched=True)  # (T, 1, I)
        x = x.transpose(0, 1) if self.batch_first else x  # (T, B, I)
        if lengths is None:
            return Prepared(x, None, None, unbatched=False)
        n = check_lengths(lengths, batch=x.shape[1], steps=x.shape[0])
        return Prepared(x, self._full(n, x), None, unbatched=False)

    @staticmethod
    def _full(n: Tensor, x: Tensor) -> Tensor | None:
        """Drop lengths when every sequence fills the padded length (not while
        torch.compile or torch.export traces: the lengths are data there)."""
        if torch.compiler.is_compiling():
            return n
        return None if bool((n == x.shape[0]).all()) else n

    def _layout(self, out: Tensor, prep: Prepared) -> Tensor:
        """(T, B, F) back to the caller's layout for padded or unbatched input."""
        if prep.unbatched:
            return out.squeeze(1)  # (T, F)
        return out.transpose(0, 1) if self.batch_first and prep.packed is None else out

    def _restore(self, out: Tensor, prep: Prepared) -> Tensor | PackedSequence:
        if prep.packed is None:
            return self._layout(out, prep)
        p = prep.packed
        n = pad_packed_sequence(p)[1]
        if p.sorted_indices is not None:
            out, n = out.index_select(1, p.sorted_indices), n[p.sorted_indices.cpu()]
        data = pack_padded_sequence(out, n, enforce_sorted=True).data
        return PackedSequence(data, p.batch_sizes, p.sorted_indices, p.unsorted_indices)

    def _state_shapes(self, batch: int, unbatched: bool) -> list[tuple[int, ...]]:
        LD = self.num_layers * self.config.num_directions
        sizes = self._cells[0][0].state_sizes()
        return [(LD, n) if unbatched else (LD, batch, n) for n in sizes]

    def _check_hx(self, hx: Any, prep: Prepared) -> Stacked | None:
        """Validate the caller's initial state; returns it stacked (L*D, B, *) or None."""
        if hx is None:
            return None
        names = ("h_0", "c_0") if self.state_is_tuple else ("hx",)
        parts = check_pair(hx, type(self).__name__) if self.state_is_tuple else (hx,)
        shapes = self._state_shapes(prep.x.shape[1], prep.unbatched)
        ref = self._like()
        parts = tuple(check_state(n, h, s, ref) for n, h, s in zip(names, parts, shapes))
        return tuple(h.unsqueeze(1) for h in parts) if prep.unbatched else parts

    def _external(self, final: Stacked, prep: Prepared) -> Any:
        if prep.unbatched:
            final = tuple(h.squeeze(1) for h in final)  # (L*D, *)
        return final if self.state_is_tuple else final[0]

    def _zeros(self, batch: int, like: Tensor) -> Stacked:
        return tuple(like.new_zeros(s) for s in self._state_shapes(batch, unbatched=False))

    def _split(self, states: Stacked | None) -> list[State | None]:
        """(L*D, B, *) stacked states -> one state tuple per cell, in (layer, direction) order."""
        count = self.num_layers * self.config.num_directions
        if states is None:
            return [None] * count
        return [tuple(s[i] for s in states) for i in range(count)]

    @staticmethod
    def _stack(finals: list[State]) -> Stacked:
        """One state tuple per cell -> each state stacked (L*D, B, *)."""
        return tuple(torch.stack(parts) for parts in zip(*finals))

    def extra_repr(self) -> str:
        c = self.config
        s = f"{c.input_size}, {c.hidden_size}"
        defaults = RecurrentConfig(cell=c.cell, input_size=1, hidden_size=c.hidden_size)
        for name in (
            "num_layers",
            "bias",
            "batch_first",
            "dropout",
            "bidirectional",
            "proj_size",
            "backend",
        ):
            if getattr(c, name) != getattr(defaults, name):
                s += f", {name}={getattr(c, name)!r}"
        for name, value in c.cell_options.items():
            s += f", {name}={value!r}"
        return s
