"""Each ``rnnkit::Recur`` placeholder (rnnkit.layers.onnx_loop) becomes an ONNX ``Loop``
over time whose body is the cell's own step, traced into ONNX.

    M = T (from x's shape);  states carried;  body(i, states):
        x_t = x[i]
        out_t, new = cell_step(x_t, states)          (the cell's traced equations)
        m = i < lengths                              (with lengths: past the end, keep
        new = where(m, new, states); out_t = where(m, out_t, 0)     the state, output 0)
    -> final states, y = [out_0 .. out_{T-1}]  (T, B, out)
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.onnx_loop import DOMAIN


class _CellStep(nn.Module):
    def __init__(self, cell: RecurrentCell) -> None:
        super().__init__()
        self.cell = cell

    def forward(self, x_t: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        out, new = self.cell(x_t, tuple(state))
        return (out, *new)


def step_graph(cell: RecurrentCell, opset: int) -> Any:
    """The cell's step (x_t (B, I), *states (B, S)) -> (out_t, *new states) as ONNX."""
    import onnx

    sizes = cell.state_sizes()
    names = [f"s{j}" for j in range(len(sizes))]
    args = (torch.zeros(2, cell.input_size), *(torch.zeros(2, s) for s in sizes))
    outputs = ["out", *(f"n{j}" for j in range(len(sizes)))]
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _CellStep(cell).eval(),
            args,
            buffer,
            dynamo=False,
            opset_version=opset,
            input_names=["x", *names],
            output_names=outputs,
            dynamic_axes={n: {0: "batch"} for n in ["x", *names, *outputs]},
        )
    return onnx.load_from_string(buffer.getvalue()).graph


def splice_loops(proto: Any, cells: dict[int, RecurrentCell], opset: int) -> Any:
    """``proto`` with every placeholder replaced by its Loop; the rnnkit domain dropped."""
    graph = proto.graph
    nodes = list(graph.node)
    del graph.node[:]
    for node in nodes:
        if node.domain == DOMAIN and node.op_type == "Recur":
            key = next(a.i for a in node.attribute if a.name == "cell")
            graph.node.extend(_loop(graph, node, cells[key], f"rk{key}_", opset))
        else:
            graph.node.append(node)
    kept = [o for o in proto.opset_import if o.domain != DOMAIN]
    del proto.opset_import[:]
    proto.opset_import.extend(kept)
    return proto


def _loop(graph: Any, node: Any, cell: RecurrentCell, prefix: str, opset: int) -> list[Any]:
    from onnx import TensorProto, helper, numpy_helper

    x, lengths, *init = node.input  # lengths "" when every sequence is full
    y, *finals = node.output
    step = step_graph(cell, opset)
    p = prefix

    def const(name: str, value: np.ndarray) -> Any:
        return helper.make_node("Constant", [], [p + name], value=numpy_helper.from_array(value))

    outer = [
        helper.make_node("Shape", [x], [p + "shape"]),
        const("zero", np.array(0, dtype=np.int64)),
        helper.make_node("Gather", [p + "shape", p + "zero"], [p + "T"], axis=0),
    ]
    S = len(init)
    body_in = [
        helper.make_tensor_value_info(p + "i", TensorProto.INT64, []),
        helper.make_tensor_value_info(p + "cond", TensorProto.BOOL, []),
        *(helper.make_tensor_value_info(p + f"s{j}", TensorProto.FLOAT, None) for j in range(S)),
    ]
    body = [helper.make_node("Gather", [x, p + "i"], [p + "x"], axis=0)]  # x_t (B, I)
    rename = {"x": p + "x", **{f"s{j}": p + f"s{j}" for j in range(S)}}
    for t in step.initializer:  # the step's weights become the outer graph's
        t.name = rename.setdefault(t.name, p + "w_" + t.name)
        graph.initializer.append(t)
    for n in step.node:
        n.name = p + n.name
        n.input[:] = [rename.setdefault(v, p + "v_" + v) if v else v for v in n.input]
        n.output[:] = [rename.setdefault(v, p + "v_" + v) for v in n.output]
        body.append(n)
    out_t = rename["out"]
    new = [rename[f"n{j}"] for j in range(S)]
    if lengths:
        body += [
            const("axis1", np.array([1], dtype=np.int64)),
            const("zerof", np.array(0, dtype=np.float32)),
            helper.make_node("Less", [p + "i", lengths], [p + "m1"]),  # (B,)
            helper.make_node("Unsqueeze", [p + "m1", p + "axis1"], [p + "m"]),  # (B, 1)
        ]
        masked = [p + f"k{j}" for j in range(S)]
        body += [
            helper.make_node("Where", [p + "m", n, p + f"s{j}"], [masked[j]])
            for j, n in enumerate(new)
        ]
        body.append(helper.make_node("Where", [p + "m", out_t, p + "zerof"], [p + "outm"]))
        new, out_t = masked, p + "outm"
    body.append(helper.make_node("Identity", [p + "cond"], [p + "cond_out"]))
    body_out = [
        helper.make_tensor_value_info(p + "cond_out", TensorProto.BOOL, []),
        *(helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in new),
        helper.make_tensor_value_info(out_t, TensorProto.FLOAT, None),
    ]
    loop_body = helper.make_graph(body, p + "body", body_in, body_out)
    loop = helper.make_node(
        "Loop", [p + "T", "", *init], [*finals, y], name=p + "loop", body=loop_body
    )
    return [*outer, loop]
