"""ONNX export of the layers: onnxruntime against torch.nn and rnnkit, at untraced sizes."""

import warnings

import numpy as np
import pytest
import torch

import rnnkit
from rnnkit.export import ExportError, to_onnx
from rnnkit.export.graph import check_gru_nodes

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize(
    "kind, layers, bidirectional, batch_first",
    [
        ("LSTM", 1, False, False),
        ("LSTM", 2, True, True),
        ("GRU", 3, False, True),
        ("GRU", 1, True, False),
        ("RNN", 2, True, False),
    ],
)
def test_whole_sequence_matches_torch_nn_with_lengths_and_state(
    tmp_path, kind, layers, bidirectional, batch_first
):
    torch.manual_seed(0)
    layer = getattr(rnnkit, kind)(
        3, 6, layers, batch_first=batch_first, bidirectional=bidirectional
    )
    ref = getattr(torch.nn, kind)(
        3, 6, layers, batch_first=batch_first, bidirectional=bidirectional
    )
    ref.load_state_dict(layer.state_dict())
    manifest = to_onnx(layer, tmp_path / "layer.onnx")
    assert [c["sizes"]["batch"] for c in manifest["graphs"]["layer"]["checked"]] == [3, 1]
    B, T = 4, 11  # neither the traced (2, 5) nor the checked sizes
    x = torch.randn(B, T, 3) if batch_first else torch.randn(T, B, 3)
    n = torch.tensor([11, 4, 1, 7])
    LD = layers * (2 if bidirectional else 1)
    h0 = torch.randn(LD, B, 6)
    feeds = {"input": x.numpy(), "lengths": n.numpy(), "h0": h0.numpy()}
    hx = h0
    if kind == "LSTM":
        c0 = torch.randn(LD, B, 6)
        feeds["c0"], hx = c0.numpy(), (h0, c0)
    got = session(tmp_path / "layer.onnx").run(None, feeds)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, n, batch_first, enforce_sorted=False)
    out, final = ref(packed, hx)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first, total_length=T)
    want = [out, *(final if kind == "LSTM" else (final,))]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-5, rtol=1e-5)


def test_every_gru_node_computes_torchs_gru(tmp_path):
    to_onnx(rnnkit.GRU(3, 4, 2, bidirectional=True), tmp_path / "gru.onnx", lengths=False)
    proto = onnx.load(str(tmp_path / "gru.onnx"))
    nodes = [n for n in proto.graph.node if n.op_type == "GRU"]
    assert len(nodes) == 2
    for node in nodes:
        assert {a.name: a.i for a in node.attribute}["linear_before_reset"] == 1
    node = nodes[0]
    for a in node.attribute:
        if a.name == "linear_before_reset":
            a.i = 0
    with pytest.raises(ExportError, match="linear_before_reset=0"):
        check_gru_nodes(proto)


@pytest.mark.parametrize(
    "layer",
    [
        rnnkit.LSTM(3, 5, layer_norm=True),
        rnnkit.LSTM(3, 5, 2, peephole=True),
        rnnkit.LSTM(3, 5, proj_size=2),
        rnnkit.GRU(3, 5, reset_after=False),
        rnnkit.MinGRU(3, 5, 2),
    ],
    ids=["layernorm", "peephole", "proj", "cho", "mingru"],
)
def test_custom_cells_export_a_step_graph_the_host_loops(tmp_path, layer):
    to_onnx(layer, tmp_path / "step.onnx", step=True)
    step = session(tmp_path / "step.onnx")
    names = [i.name for i in step.get_inputs()][1:]  # h (and c)
    x = torch.randn(7, 4, 3)  # (T, B, I), B not the traced 2
    state = {n: np.zeros((layer.num_layers, 4, s), np.float32) for n, s in zip(names, [5, 5])}
    if layer.proj_size:
        state["h"] = np.zeros((1, 4, 2), np.float32)
    outs = []
    for x_t in x:
        y, *new = step.run(None, {"input": x_t.numpy(), **state})
        state = dict(zip(names, new))
        outs.append(y)
    want, final = layer(x)
    np.testing.assert_allclose(np.stack(outs), want.detach().numpy(), atol=1e-5, rtol=1e-5)
    h_n = final[0] if layer.state_is_tuple else final
    np.testing.assert_allclose(state["h"], h_n.detach().numpy(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "layer",
    [
        rnnkit.LSTM(3, 5, 2, layer_norm=True, bidirectional=True),
        rnnkit.GRU(3, 5, reset_after=False, batch_first=True),
        rnnkit.MinLSTM(3, 5, bidirectional=True),
    ],
    ids=["layernorm-bi", "cho", "minlstm-bi"],
)
def test_custom_cells_run_whole_sequences_as_an_onnx_loop(tmp_path, layer):
    to_onnx(layer, tmp_path / "whole.onnx", state=False)
    proto = onnx.load(str(tmp_path / "whole.onnx"))
    ops = {n.op_type for n in proto.graph.node}
    assert "Loop" in ops and not {"LSTM", "GRU", "RNN"} & ops
    assert all(o.domain in ("", "ai.onnx") for o in proto.opset_import)
    x = torch.randn(4, 10, 3) if layer.batch_first else torch.randn(10, 4, 3)
    n = torch.tensor([10, 1, 6, 3])
    got = session(tmp_path / "whole.onnx").run(None, {"input": x.numpy(), "lengths": n.numpy()})
    want, final = layer(x, lengths=n)
    finals = final if layer.state_is_tuple else (final,)
    for g, w in zip(got, [want, *finals]):
        np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-5, rtol=1e-5)


def test_export_leaves_the_module_in_training_mode(tmp_path):
    layer = rnnkit.GRU(3, 4, 2, dropout=0.5)
    to_onnx(layer, tmp_path / "gru.onnx")
    assert layer.training


def test_what_cannot_be_exported_says_why(tmp_path):
    with pytest.raises(ExportError, match="reverse direction"):
        to_onnx(rnnkit.GRU(3, 4, bidirectional=True), tmp_path / "s.onnx", step=True)
    with pytest.raises(ExportError, match="ending in .onnx"):
        to_onnx(rnnkit.GRU(3, 4), tmp_path / "dir")
    layer = rnnkit.GRU(3, 4, layer_norm=True).eval()  # torch.onnx.export alone: no Loop
    with pytest.raises(ValueError, match="rnnkit.export.to_onnx"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's note on this exporter
        torch.onnx.export(layer, (torch.zeros(5, 2, 3),), tmp_path / "t.onnx", dynamo=False)


@pytest.mark.parametrize("layer", [rnnkit.GRU(3, 4, 2), rnnkit.LSTM(3, 4, layer_norm=True)])
def test_parametrized_weights_export_as_computed(tmp_path, layer):
    torch.nn.utils.parametrizations.weight_norm(layer, "weight_hh_l0")
    with torch.no_grad():
        layer.parametrizations.weight_hh_l0.original0.mul_(3.0)  # the norm, away from 1
    to_onnx(layer, tmp_path / "p.onnx", lengths=False, state=False)
    x = torch.randn(6, 2, 3)
    (got, *_) = session(tmp_path / "p.onnx").run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got, layer(x)[0].detach().numpy(), atol=1e-5, rtol=1e-5)
