"""The fused inference step: a unidirectional stack advanced by one token in one call.

``RecurrentLayer.step`` runs every layer of its stack through one call of the C kernel
in ``step.inc`` when autograd is off (``torch.no_grad()``, ``torch.inference_mode()``)
on the CPU in float32/float64 with the kernels built; a language model's step can add
its embedding lookup before the stack and its linear read-out after it to the same call
(:func:`fused_step_logits`). The kernel reads the layer's weights in place, in torch's
layouts: nothing is copied or cached, so a weight changed in any way is seen at the next
step. Anything else — autograd on, dropout between layers in training, autocast, a
parametrized or pruned weight, an input or state of another dtype, shape or layout —
returns None, and the caller runs the cells' step (which validates, and raises in one
line where an input is wrong). Results equal the cells' step to rounding.

Shapes: ``B`` batch, ``I`` input, ``H`` hidden, ``P`` output (H, or the LSTM's
projection), ``L`` layers, ``V`` vocabulary.
"""

from __future__ import annotations

import ctypes
import weakref
from typing import Any

import torch
from torch import Tensor

from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, MinGRUCell, MinLSTMCell, RNNCell
from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.fused.build import load

SLOTS = ("weight_ih", "bias_ih", "weight_hh", "bias_hh", "ln_ih.weight", "ln_ih.bias")
SLOTS += ("ln_hh.weight", "ln_hh.bias", "ln_c.weight", "ln_c.bias", "weight_ch", "weight_hr")
SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
P, I64 = ctypes.c_void_p, ctypes.c_int64
ARGTYPES = [P, ctypes.c_int, *[P] * 8]  # stack, B, x, tokens, h, c, h_n, c_n, out, logits


class LayerSpec(ctypes.Structure):
    """step.inc's ``rk_layer``: one layer's kind, sizes and weight pointers."""

    _fields_ = [("kind", I64), ("G", I64), ("I", I64), ("H", I64), ("P", I64), ("w", P * 12)]


class StackSpec(ctypes.Structure):
    """step.inc's ``rk_stack``: the layers, and an embedding and read-out or NULL."""

    _fields_ = [("nl", I64), ("layers", P), ("table", P), ("V_in", I64)]
    _fields_ += [("Wo", P), ("bo", P), ("V_out", I64)]


def kind(cell: RecurrentCell) -> int | None:
    """step.inc's number for this cell, or None where the kernel has no such cell."""
    if type(cell) is RNNCell:
        return 0 if cell.nonlinearity == "tanh" else 1
    return {GRUCell: 2, ChoGRUCell: 3, LSTMCell: 4, MinGRUCell: 5, MinLSTMCell: 6}.get(type(cell))


class Plan:
    """One stack's layer specs, kept while its weights stay where they are; and the
    embedding and read-out a language model's step adds, checked once per tensor."""

    def __init__(self, layer: Any) -> None:
        cells = [row[0] for row in layer._cells]
        self.config = layer.config  # a changed config (dropout, ...) makes a new plan
        self.kinds = [kind(c) for c in cells]
        self.names = [[s.replace(".", "_") + f"_l{k}" for s in SLOTS] for k in range(len(cells))]
        self.flat = [n for names in self.names for n in names if n in layer._parameters]
        self.sizes = [(len(c.gates), c.input_size, c.hidden_size, c.output_size) for c in cells]
        self.L, self.I = len(cells), cells[0].input_size
        self.H, self.P = cells[-1].hidden_size, cells[-1].output_size  # of the last layer
        self.lstm = isinstance(cells[0], LSTMCell)
        self.key: tuple | None = None  # where the weights were when the specs were made
        self.extras: tuple | None = None  # where the embedding and read-out were
        self.specs = (LayerSpec * len(cells))()
        self.stack = StackSpec(len(cells), ctypes.addressof(self.specs))  # the layers alone
        self.lm = StackSpec(len(cells), ctypes.addressof(self.specs))  # with embedding, read-out
        self.dtype: torch.dtype | None = None
        self.fn: Any = None

    def ready(self, params: dict[str, Tensor | None]) -> bool:
        """Point the specs at the current weights; False if the kernel cannot read them."""
        try:
            key = tuple([None if (w := params[n]) is None else _where(w) for n in self.flat])
        except KeyError:  # a weight parametrized or pruned since: computed, not stored
            return False
        if key != self.key:
            self.key, self.extras = None if None in self.kinds else self._build(params), None
        return self.key is not None

    def _build(self, params: dict[str, Tensor | None]) -> tuple | None:
        weights = [params[n] for n in self.flat]
        kernels = load()
        if kernels is None or not _dense(weights[0].dtype, *weights):
            return None
        for names, sizes in zip(self.names, self.sizes):
            for name, shape in zip(names, _shapes(*sizes)):
                w = params.get(name)
                if w is not None and w.shape != shape:
                    return None  # a weight replaced by one of another shape: the cells say so
        for spec, k, names, (G, I, H, Pk) in zip(self.specs, self.kinds, self.names, self.sizes):
            spec.kind, spec.G, spec.I, spec.H, spec.P = k, G, I, H, Pk
            for s, name in enumerate(names):
                w = params.get(name)
                spec.w[s] = None if w is None else w.data_ptr()
        self.dtype = weights[0].dtype
        self.fn = getattr(kernels.lib, f"rk_step_{SUFFIX[self.dtype]}")
        self.fn.argtypes, self.fn.restype = ARGTYPES, ctypes.c_int
        self.address, self.lm_address = ctypes.addressof(self.stack), ctypes.addressof(self.lm)
        return tuple(None if w is None else _where(w) for w in weights)

    def readout_ok(self, table: Tensor | None, weight: Tensor | None, bias: Tensor | None) -> bool:
        """Whether the kernel can read this embedding (V_in, I) and read-out (V, P), (V,)."""
        key = tuple([None if t is None else _where(t) for t in (table, weight, bias)])
        if key != self.extras:
            ok = table is not None and weight is not None
            ok = ok and _dense(self.dtype, table, weight, bias)
            ok = ok and table.dim() == 2 and table.shape[1] == self.I
            ok = ok and weight.dim() == 2 and weight.shape[1] == self.P
            ok = ok and (bias is None or bias.shape == weight.shape[:1])
            self.extras = key if ok else None
            if ok:
                lm = self.lm
                lm.table, lm.V_in = table.data_ptr(), table.shape[0]
                lm.Wo, lm.bo, lm.V_out = weight.data_ptr(), _ptr(bias), weight.shape[0]
        return self.extras is not None

    def empty(self, *shape: int) -> Tensor:
        """A new tensor of the plan's dtype (the varargs form is the cheapest call)."""
        if self.dtype is torch.get_default_dtype():
            return torch.empty(*shape)
        return torch.empty(*shape, dtype=self.dtype)


def _shapes(G: int, I: int, H: int, P: int) -> list[tuple[int, ...]]:
    """The shape of each weight in SLOTS for a cell of G gates, I inputs, H units, P outputs."""
    N = G * H
    return [(N, I), (N,), (N, P), (N,), (N,), (N,), (N,), (N,), (H,), (H,), (3 * H,), (P, H)]


def _where(t: Tensor) -> tuple[int, torch.Size]:
    """A tensor's memory and shape: what the kernel's pointers depend on."""
    return t.data_ptr(), t.shape


def _dense(dtype: torch.dtype | None, *tensors: Tensor | None) -> bool:
    """Whether each tensor (None passes) is dense, on the CPU, of ``dtype`` (float32/64)."""
    if dtype not in SUFFIX:
        return False
    return all(t is None or (t.dtype == dtype and t.is_cpu and t.is_contiguous()) for t in tensors)


_plans: weakref.WeakKeyDictionary[Any, Plan] = weakref.WeakKeyDictionary()


def _plan(layer: Any) -> Plan | None:
    """The layer's plan if the fused step can run it now (autograd off, CPU, ...)."""
    if torch.is_grad_enabled() or torch.is_autocast_enabled("cpu"):
        return None
    if torch.jit.is_tracing() or torch.compiler.is_compiling():
        return None  # an exporter or compiler records the cells' operations
    plan = _plans.get(layer)
    if plan is None or plan.config is not layer.config:
        c = layer.config
        if c.bidirectional or c.backend == "reference":
            return None  # the reference backend: the cells' own step, as asked
        plan = _plans[layer] = Plan(layer)
    if layer.training and plan.config.dropout > 0 and plan.L > 1:
        return None  # dropout between layers: the cells' step draws it
    if layer.__dict__.get("_wrapped"):
        return None  # an analysis tool watches every step of the cells
    return plan if plan.ready(layer._parameters) else None


def _state(plan: Plan, hx: Any, B: int) -> tuple[Tensor | None, Tensor | None] | None:
    """(h (L, B, P), c (L, B, H) or None), both None for zeros; None if not in layout."""
    if hx is None:
        return None, None
    if not plan.lstm:
        return (hx, None) if _state_ok(plan, hx, (plan.L, B, plan.P)) else None
    if type(hx) is not tuple or len(hx) != 2:
        return None
    h, c = hx
    ok = _state_ok(plan, h, (plan.L, B, plan.P)) and _state_ok(plan, c, (plan.L, B, plan.H))
    return (h, c) if ok else None


def _state_ok(plan: Plan, t: Any, shape: tuple[int, int, int]) -> bool:
    return (
        type(t) is Tensor
        and t.dtype is plan.dtype
        and t.shape == shape
        and t.is_cpu
        and (t.is_contiguous())
    )


def _ptr(t: Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def _run(plan: Plan, stack: int, B: int, x: int | None, tokens: int | None, state, out, logits):
    """Call the kernel; returns (code, h_n, c_n), h_n and c_n new tensors."""
    h, c = state
    h_n = plan.empty(plan.L, B, plan.P)
    c_n = plan.empty(plan.L, B, plan.H) if plan.lstm else None
    code = plan.fn(
        stack, B, x, tokens, _ptr(h), _ptr(c), h_n.data_ptr(), _ptr(c_n), _ptr(out), _ptr(logits)
    )
    if code < -B:
        raise MemoryError("the fused step could not allocate its scratch memory")
    return code, h_n, c_n


def fused_step(layer: Any, x: Tensor, hx: Any) -> tuple[Tensor, Any] | None:
    """``layer.step(x, hx)`` in one kernel call: x (B, I) -> (out (B, P), hx like forward's);
    None where it cannot run (the caller then runs the cells' step)."""
    plan = _plan(layer)
    if plan is None or type(x) is not Tensor or x.dim() != 2 or x.dtype is not plan.dtype:
        return None
    B, I = x.shape
    if I != plan.I or B == 0 or not x.is_contiguous() or not x.is_cpu:
        return None
    state = _state(plan, hx, B)
    if state is None:
        return None
    out = plan.empty(B, plan.P)
    _, h_n, c_n = _run(plan, plan.address, B, x.data_ptr(), None, state, out, None)
    return out, ((h_n, c_n) if plan.lstm else h_n)


def fused_step_logits(
    layer: Any,
    tokens: Tensor,
    hx: Any,
    table: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
) -> tuple[Tensor, Any] | None:
    """Embedding, stack and read-out in one call: tokens (B,) -> (logits (B, V), hx), with
    ``table`` (V_in, I) the embedding and ``weight`` (V, P), ``bias`` (V,) the read-out;
    None where it cannot run, or for a token out of the table's range (the caller's own
    path then says what is wrong)."""
    plan = _plan(layer)
    if plan is None or type(tokens) is not Tensor or tokens.dtype is not torch.int64:
        return None
    if tokens.dim() != 1 or not tokens.is_contiguous() or not tokens.is_cpu:
        return None
    B = tokens.shape[0]
    if B == 0 or not plan.readout_ok(table, weight, bias):
        return None
    state = _state(plan, hx, B)
    if state is None:
        return None
    logits = plan.empty(B, plan.lm.V_out)
    code, h_n, c_n = _run(plan, plan.lm_address, B, None, tokens.data_ptr(), state, None, logits)
    if code < 0:
        return None
    return logits, ((h_n, c_n) if plan.lstm else h_n)
