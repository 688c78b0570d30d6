"""ONNX export of every task model: the graphs, and hosts that run them match PyTorch."""

import json

import numpy as np
import pytest
import torch

from rnnkit.export import ExportError, to_onnx
from rnnkit.layers import CellOptions
from rnnkit.models.captioner import CaptionConfig, Captioner
from rnnkit.models.classifier import Classifier, ClassifierConfig
from rnnkit.models.conditional import ConditionalConfig, ConditionalLM
from rnnkit.models.forecaster import ForecasterConfig, RNNForecaster
from rnnkit.models.lm import LanguageModel, LMConfig
from rnnkit.models.regressor import NextStepRegressor, RegressorConfig
from rnnkit.models.seq2seq import PairBatch, Seq2Seq, Seq2SeqConfig
from rnnkit.models.sequence import ManyToMany, ManyToOne, SeqBatch, SequenceConfig

ort = pytest.importorskip("onnxruntime")
H = dict(hidden_size=8)
VECTORS = dict(pretrained_vectors=True, freeze_embeddings=True)


def with_vectors(model, *embeddings):
    """Load random vectors for every other row of the named embeddings."""
    for name in embeddings:
        e = model.get_submodule(name)
        table = torch.randn(e.num_embeddings, e.embedding_dim)
        e.load_vectors(table, torch.arange(e.num_embeddings) % 2 == 1)
    return model


MODELS = {
    "lm-lstm-backward": lambda: LanguageModel(LMConfig(vocab_size=11, **H, backward_lm=True)),
    "lm-minlstm": lambda: LanguageModel(LMConfig(vocab_size=11, **H, cell="minlstm")),
    "classify-layernorm": lambda: Classifier(
        ClassifierConfig(input_size=3, cell_options=CellOptions(layer_norm=True), **H)
    ),
    "names-gru": lambda: ConditionalLM(ConditionalConfig(vocab_size=9, num_classes=3, **H)),
    "classify-tokens": lambda: Classifier(ClassifierConfig(vocab_size=20, num_classes=3, **H)),
    "classify-attention": lambda: Classifier(
        ClassifierConfig(input_size=4, pool="attention", bidirectional=True, cell="gru", **H)
    ),
    "classify-vectors": lambda: with_vectors(
        Classifier(
            ClassifierConfig(vocab_size=20, embed_size=5, pool="max+attention", **VECTORS, **H)
        ),
        "embed",
    ),
    "lm-vectors-tied": lambda: with_vectors(
        LanguageModel(LMConfig(vocab_size=11, embed_size=8, tie_weights=True, **VECTORS, **H)),
        "embedding",
    ),
    "seq2seq-vectors": lambda: with_vectors(
        Seq2Seq(Seq2SeqConfig(source_vocab=13, target_vocab=10, embed_size=6, **VECTORS, **H)),
        "source_embed",
        "decoder.embed",
    ),
    "adding": lambda: ManyToOne(SequenceConfig(input_size=2, **H)),
    "copy": lambda: ManyToMany(SequenceConfig(vocab_size=6, output_size=6, loss="xent", **H)),
    "demo": lambda: NextStepRegressor(RegressorConfig(**H)),
    "forecast-recursive": lambda: RNNForecaster(
        ForecasterConfig(input_size=3, future_size=2, horizon=4, **H)
    ),
    "forecast-direct": lambda: RNNForecaster(
        ForecasterConfig(strategy="direct", input_size=2, future_size=1, horizon=3, **H)
    ),
    "forecast-seq2seq": lambda: RNNForecaster(
        ForecasterConfig(strategy="seq2seq", input_size=1, horizon=3, cell="lstm", **H)
    ),
    "seq2seq": lambda: Seq2Seq(Seq2SeqConfig(source_vocab=13, target_vocab=10, embed_size=6, **H)),
    "caption": lambda: Captioner(
        CaptionConfig(target_vocab=10, embed_size=6, channels=4, attention="none", **H)
    ),
}
GRAPHS = {
    "lm": ["step", "step_backward"],
    "names": ["start", "step"],
    "seq2seq": ["encoder", "decoder_step"],
    "caption": ["encoder", "decoder_step"],
}


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", MODELS)
def test_every_model_exports_checked_graphs(tmp_path, name):
    torch.manual_seed(0)
    manifest = to_onnx(MODELS[name](), tmp_path / "out", extra={"task": name})
    family = name.split("-")[0]
    expected = GRAPHS.get(family, ["model"])
    if name in ("lm-minlstm", "lm-vectors-tied"):
        expected = ["step"]
    assert list(manifest["graphs"]) == expected
    on_disk = json.loads((tmp_path / "out" / "export.json").read_text())
    assert on_disk["task"] == name and on_disk["graphs"].keys() == manifest["graphs"].keys()
    for graph in manifest["graphs"].values():
        assert (tmp_path / "out" / graph["file"]).exists()
        assert len(graph["checked"]) == 2
        assert all(c["max_abs_error"] < 1e-5 for c in graph["checked"])


def test_a_host_loop_over_the_lm_step_graph_gives_the_models_logits(tmp_path):
    torch.manual_seed(1)
    model = LanguageModel(LMConfig(vocab_size=11, hidden_size=8, num_layers=2)).eval()
    to_onnx(model, tmp_path / "lm")
    step = session(tmp_path / "lm" / "step.onnx")
    tokens = torch.randint(0, 11, (3, 9))
    state = {"h": np.zeros((2, 3, 8), np.float32), "c": np.zeros((2, 3, 8), np.float32)}
    logits = []
    for t in range(9):
        out, h, c = step.run(None, {"token": tokens[:, t].numpy(), **state})
        state = {"h": h, "c": c}
        logits.append(out)
    want, _ = model.read(tokens)  # the whole sequence at once, (B, T, V)
    np.testing.assert_allclose(np.stack(logits, 1), want.detach().numpy(), atol=1e-5)


def test_the_classifier_graph_ignores_padding_like_the_model(tmp_path):
    torch.manual_seed(2)
    config = ClassifierConfig(vocab_size=20, num_classes=3, hidden_size=8, pool="mean")
    model = Classifier(config).eval()
    to_onnx(model, tmp_path / "c")
    x, n = torch.randint(0, 20, (5, 12)), torch.tensor([12, 3, 1, 8, 5])
    (got,) = session(tmp_path / "c" / "model.onnx").run(
        None, {"x": x.numpy(), "lengths": n.numpy()}
    )
    want, _ = model.classify(SeqBatch(x, None, n))
    np.testing.assert_allclose(got, want.detach().numpy(), atol=1e-5)


def test_encoder_and_decoder_step_graphs_give_teacher_forced_logits(tmp_path):
    torch.manual_seed(3)
    config = Seq2SeqConfig(source_vocab=13, target_vocab=10, embed_size=6, hidden_size=8)
    model = Seq2Seq(config).eval()
    to_onnx(model, tmp_path / "s")
    encoder = session(tmp_path / "s" / "encoder.onnx")
    decoder = session(tmp_path / "s" / "decoder_step.onnx")
    source, n = torch.randint(0, 13, (3, 7)), torch.tensor([7, 2, 5])
    target = torch.randint(3, 10, (3, 4))
    names = [o.name for o in encoder.get_outputs()]
    state = dict(zip(names, encoder.run(None, {"source": source.numpy(), "lengths": n.numpy()})))
    logits = []
    for t in range(4):
        out, h, c, feed = decoder.run(None, {"token": target[:, t].numpy(), **state})
        state.update(h=h, c=c, feed=feed)
        logits.append(out)
    batch = PairBatch(source, n, target_in=target)
    want, _ = model.attend(batch)
    np.testing.assert_allclose(np.stack(logits, 1), want.detach().numpy(), atol=1e-5)


def test_a_failed_export_leaves_no_directory_and_a_used_one_untouched(tmp_path, monkeypatch):
    import rnnkit.export.onnx as exporting

    def mismatch(graph, path):
        raise ExportError(f"{graph.name}.onnx: output logits differs from PyTorch")

    monkeypatch.setattr(exporting, "check", mismatch)
    options = CellOptions(layer_norm=True)
    model = Classifier(ClassifierConfig(input_size=2, hidden_size=8, cell_options=options))
    with pytest.raises(ExportError, match="differs"):
        to_onnx(model, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("mine")
    with pytest.raises(ExportError, match="not an empty directory"):
        to_onnx(MODELS["demo"](), tmp_path / "taken")
    assert (tmp_path / "taken" / "x").read_text() == "mine"
