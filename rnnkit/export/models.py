"""The graphs of each task model: what a host needs to run it outside PyTorch.

- language models (lm): ``step``: (token, state) -> (logits, state): generation one token
  at a time, the prefix read the same way;
- conditional generators (names): ``start``: class -> state, then the same ``step``;
- classifiers, the memory-lab models (adding, copy) and the next-step regressor (demo):
  ``model``: the whole padded batch (with its lengths) -> predictions;
- forecasters: ``model``: windows (and the calendar of the forecast steps) -> the mean
  forecast of the exported horizon (recursive and seq2seq feed their forecasts back
  inside the graph);
- sequence to sequence and captioning: ``encoder``: sources (or images) -> the decoder's
  state; ``decoder_step``: (token, state) -> (logits, state), as beam or greedy search calls it.

Every graph takes and gives plain tensors; states are the layer's ``h`` (L, B, H) and, for
an LSTM, ``c``. Shapes: ``B`` batch, ``T`` steps, ``S`` source steps, ``V`` vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.export.graph import ExportError, Graph, Port
from rnnkit.export.layers import as_hx, flat, state_ports
from rnnkit.models.captioner import Captioner, ImageBatch
from rnnkit.models.classifier import Classifier
from rnnkit.models.conditional import ConditionalLM
from rnnkit.models.decoder import DecoderState, WritingModel
from rnnkit.models.forecaster import RNNForecaster
from rnnkit.models.lm import LanguageModel
from rnnkit.models.regressor import NextStepRegressor
from rnnkit.models.seq2seq import Seq2Seq
from rnnkit.models.sequence import ManyToMany, ManyToOne, SeqBatch

Builder = Callable[[Any], list[Graph]]


class _Call(nn.Module):
    """A graph's module: ``fn(model, *inputs)`` with the model as a submodule."""

    def __init__(self, model: nn.Module, fn: Callable[..., tuple[Tensor, ...]]) -> None:
        super().__init__()
        self.model, self.fn = model, fn

    def forward(self, *inputs: Tensor) -> tuple[Tensor, ...]:
        return self.fn(self.model, *inputs)


def _ids(name: str, shape: tuple[int | str, ...], high: int, about: str = "") -> Port:
    return Port(name, shape, "int64", high=high, about=about)


def _lengths(of: str = "steps") -> Port:
    return Port("lengths", ("batch",), "int64", lengths_of=of, about="true length of each row")


def _sequence_input(c: Any) -> Port:
    """Token ids (B, T) for a token model, else features (B, T, I)."""
    V = getattr(c, "vocab_size", 0)
    if V:
        return _ids("x", ("batch", "steps"), V, "token ids, padded")
    return Port("x", ("batch", "steps", c.input_size), about="features, padded")


# -- language models ------------------------------------------------------------------


def _step_graph(model: Any, layer: Any, vocab: int, backward: bool = False) -> Graph:
    def step(m: Any, token: Tensor, *states: Tensor) -> tuple[Tensor, ...]:
        hx = as_hx(layer, states)
        logits, hx = m.step(token, hx, backward=True) if backward else m.step(token, hx)
        return (logits, *flat(layer, hx))

    return Graph(
        "step_backward" if backward else "step",
        _Call(model, step),
        (_ids("token", ("batch",), vocab, "the last token"), *state_ports(layer, ("h", "c"))),
        (
            Port("logits", ("batch", vocab), about="scores of the next token"),
            *state_ports(layer, ("h_next", "c_next")),
        ),
        ("the backward model, right to left: " if backward else "")
        + "one token in, the next token's logits and the new state out; start from zero states",
    )


def language_model(model: LanguageModel) -> list[Graph]:
    c = model.config
    graphs = [_step_graph(model, model.rnn, c.vocab_size)]
    if c.backward_lm:  # the reversed text's model (fill-in-the-blank scoring)
        graphs.append(_step_graph(model, model.rnn_backward, c.vocab_size, backward=True))
    return graphs


def conditional(model: ConditionalLM) -> list[Graph]:
    layer, c = model.rnn, model.config

    def start(m: Any, condition: Tensor) -> tuple[Tensor, ...]:
        return flat(layer, m.initial_state(condition))

    first = Graph(
        "start",
        _Call(model, start),
        (_ids("condition", ("batch",), c.num_classes, "class id (e.g. language)"),),
        state_ports(layer, ("h", "c")),
        "the initial state of each class; then call step from the start token",
    )
    return [first, _step_graph(model, layer, c.vocab_size)]


# -- whole-sequence models ----------------------------------------------------------------


def classifier(model: Classifier) -> list[Graph]:
    c = model.config

    def run(m: Any, x: Tensor, lengths: Tensor) -> tuple[Tensor, ...]:
        return (m.classify(SeqBatch(x, None, lengths))[0],)

    return [
        Graph(
            "model",
            _Call(model, run),
            (_sequence_input(c), _lengths()),
            (Port("logits", ("batch", c.num_classes), about="class scores"),),
            "padded sequences and their lengths -> class logits",
        )
    ]


def sequence_model(model: ManyToOne | ManyToMany) -> list[Graph]:
    c = model.config
    O = c.output_size
    shape = ("batch", O) if isinstance(model, ManyToOne) else ("batch", "steps", O)

    def run(m: Any, x: Tensor, lengths: Tensor) -> tuple[Tensor, ...]:
        return (m(SeqBatch(x, None, lengths)).prediction,)

    return [
        Graph(
            "model",
            _Call(model, run),
            (_sequence_input(c), _lengths()),
            (Port("prediction", shape),),
            "padded sequences and their lengths -> predictions",
        )
    ]


def regressor(model: NextStepRegressor) -> list[Graph]:
    c = model.config

    def run(m: Any, x: Tensor) -> tuple[Tensor, ...]:
        return (m(SimpleNamespace(x=x, y=None)).prediction,)

    return [
        Graph(
            "model",
            _Call(model, run),
            (Port("x", ("batch", "steps", c.input_size)),),
            (Port("prediction", ("batch", "steps", c.output_size), about="next value"),),
            "a series -> the prediction of its next value at every step",
        )
    ]


def forecaster(model: RNNForecaster) -> list[Graph]:
    c = model.config
    h, F = c.horizon, c.future_size

    def run(m: Any, x: Tensor, *future: Tensor) -> tuple[Tensor, ...]:
        ahead = future[0] if future else x.new_zeros(x.shape[0], h, 0)
        return (m.forecast(x, ahead)[0],)

    inputs = [Port("x", ("batch", "steps", c.input_size), about="scaled window, origin-relative")]
    if F:
        inputs.append(Port("future", ("batch", h, F), about="calendar of the forecast steps"))
    return [
        Graph(
            "model",
            _Call(model, run),
            tuple(inputs),
            (Port("mean", ("batch", h), about="forecast, origin-relative and scaled"),),
            f"windows -> the mean forecast of the next {h} steps ({c.strategy})",
        )
    ]


# -- writing models: an encoder graph and a decoder-step graph ------------------------------


def _decoder_ports(model: WritingModel, state: DecoderState, out: bool) -> tuple[Port, ...]:
    """The decoder state's tensors as ports (given the fields ``state`` has)."""
    layer, H = model.decoder.rnn, model.config.hidden_size
    names = ("h_next", "c_next") if out else ("h", "c")
    ports = list(state_ports(layer, names))
    if state.feed is not None:
        ports.append(Port("feed_next" if out else "feed", ("batch", H), about="h~ (input feeding)"))
    if state.memory is not None and not out:
        S = "source" if state.mask is not None else state.memory.shape[1]
        ports += [Port("memory", ("batch", S, H)), Port("keys", ("batch", S, H))]
        if state.mask is not None:
            ports.append(Port("mask", ("batch", S), "bool", about="True on real source steps"))
    return tuple(ports)


def _state_tensors(layer: Any, state: DecoderState, out: bool) -> tuple[Tensor, ...]:
    parts = [*flat(layer, state.rnn)]
    if state.feed is not None:
        parts.append(state.feed)
    if not out:
        parts += [t for t in (state.memory, state.keys, state.mask) if t is not None]
    return tuple(parts)


def _writing(model: WritingModel, encoder: Graph, example: DecoderState) -> list[Graph]:
    layer, V = model.decoder.rnn, model.config.target_vocab
    n_rnn = 2 if layer.state_is_tuple else 1

    def step(m: Any, token: Tensor, *parts: Tensor) -> tuple[Tensor, ...]:
        rest = list(parts[n_rnn:])
        feed = rest.pop(0) if example.feed is not None else None
        memory = keys = mask = None
        if example.memory is not None:
            memory, keys = rest[0], rest[1]
            mask = rest[2] if example.mask is not None else None
        state = DecoderState(as_hx(layer, parts[:n_rnn]), feed, memory, keys, mask)
        logits, new = m.decoder.step(token, state)
        return (logits, *_state_tensors(layer, new, out=True))

    decoder = Graph(
        "decoder_step",
        _Call(model, step),
        (_ids("token", ("batch",), V, "the last token (<s> = 1 first)"),)
        + _decoder_ports(model, example, out=False),
        (Port("logits", ("batch", V), about="scores of the next token (</s> = 2 ends)"),)
        + _decoder_ports(model, example, out=True),
        "one target token in, the next token's logits and the new state out",
    )
    return [encoder, decoder]


def seq2seq(model: Seq2Seq) -> list[Graph]:
    c = model.config
    with torch.no_grad():
        example = model.eval().encode(torch.zeros(1, 2, dtype=torch.long), torch.tensor([2]))

    def encode(m: Any, source: Tensor, lengths: Tensor) -> tuple[Tensor, ...]:
        state = m.encode(source, lengths)
        return _state_tensors(m.decoder.rnn, state, out=False)

    encoder = Graph(
        "encoder",
        _Call(model, encode),
        (_ids("source", ("batch", "source"), c.source_vocab, "source ids"), _lengths("source")),
        _decoder_ports(model, example, out=False),
        "source ids and lengths -> the decoder's state before its first token",
    )
    return _writing(model, encoder, example)


def captioner(model: Captioner) -> list[Graph]:
    c = model.config
    images = torch.zeros(1, c.image_height, c.image_width)
    with torch.no_grad():
        example = model.eval().start(ImageBatch(images))

    def encode(m: Any, images: Tensor) -> tuple[Tensor, ...]:
        return _state_tensors(m.decoder.rnn, m.start(ImageBatch(images)), out=False)

    encoder = Graph(
        "encoder",
        _Call(model, encode),
        (Port("images", ("batch", c.image_height, c.image_width), about="pixels in [0, 1]"),),
        _decoder_ports(model, example, out=False),
        "images -> the decoder's state before its first token",
    )
    return _writing(model, encoder, example)


BUILDERS: dict[type, Builder] = {
    LanguageModel: language_model,
    ConditionalLM: conditional,
    Classifier: classifier,
    ManyToOne: sequence_model,
    ManyToMany: sequence_model,
    NextStepRegressor: regressor,
    RNNForecaster: forecaster,
    Seq2Seq: seq2seq,
    Captioner: captioner,
}


def model_graphs(model: nn.Module) -> list[Graph]:
    """The graphs of a task model (see the module docstring)."""
    builder = BUILDERS.get(type(model))
    if builder is None:
        known = ", ".join(sorted(t.__name__ for t in BUILDERS))
        raise ExportError(f"no ONNX export for a {type(model).__name__}; known models: {known}")
    return builder(model.eval())
