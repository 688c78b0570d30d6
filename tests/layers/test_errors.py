"""torch.nn's error words: code that matches them (``assertRaisesRegex``) works with rnnkit.

Each case is raised by torch.nn and by rnnkit: rnnkit's error is an instance of torch.nn's
type and its one-line message, rnnkit's own words first, matches the pattern torch.nn's
message matches. The patterns of the constructor and cell cases are those of torch's
own module tests (``module_error_inputs_torch_nn_RNN_GRU``, ``..._RNN_GRU_Cell`` and
``..._LSTMCell`` in torch/testing/_internal/common_modules.py); the others are the
messages torch.nn raises, escaped.
"""

import re

import pytest
import torch

import rnnkit

LAYERS = ("RNN", "GRU", "LSTM")
CELLS = ("RNNCell", "GRUCell", "LSTMCell")
DTYPE = r"RNN input dtype .* does not match weight dtype .* "
DTYPE += r"Convert input: input\.to\(.*\), or convert model: model\.to\(.*\)"


def build(kind, *args, **kwargs):
    return lambda lib: getattr(lib, kind)(*args, **kwargs)


def call(kind, make_args, *inputs):
    """Build ``kind`` from ``make_args`` (args, kwargs) and call it on ``inputs``."""
    args, kwargs = make_args
    return lambda lib: getattr(lib, kind)(*args, **kwargs)(*inputs)


def constructor_cases():
    """torch's module tests of RNN, GRU and LSTM construction, for each of the three."""
    bad = [
        ((10, 0, 1), {}, ValueError, "hidden_size must be greater than zero"),
        ((10, 10, 0), {}, ValueError, "num_layers must be greater than zero"),
        ((3, 5), {"bias": 0}, TypeError, "bias should be of type bool, got: int"),
        ((3, 5), {"bias": 1}, TypeError, "bias should be of type bool, got: int"),
        ((3, 5), {"bias": "True"}, TypeError, "bias should be of type bool, got: str"),
        ((3, 5), {"batch_first": 0}, TypeError, "batch_first should be of type bool, got: int"),
        (
            (3, 5),
            {"batch_first": "False"},
            TypeError,
            "batch_first should be of type bool, got: str",
        ),
        ((3.0, 5), {}, TypeError, "input_size should be of type int, got: float"),
        (("10", 5), {}, TypeError, "input_size should be of type int, got: str"),
        ((0, 5), {}, ValueError, "input_size must be greater than zero"),
        ((-1, 5), {}, ValueError, "input_size must be greater than zero"),
        ((3, 5.0), {}, TypeError, "hidden_size should be of type int, got: float"),
        ((3, 5, 2), {"dropout": 2}, ValueError, r"dropout should be a number in range \[0, 1\]"),
    ]
    for kind in LAYERS:
        for args, kwargs, error, pattern in bad:
            yield f"{kind}{args}{kwargs}", build(kind, *args, **kwargs), error, pattern


def forward_cases():
    x, h = torch.randn(5, 2, 3), torch.zeros(1, 2, 4)
    meta_h = torch.zeros(1, 2, 4, device="meta")
    for kind in LAYERS:
        hx = (meta_h, h) if kind == "LSTM" else meta_h
        yield (
            f"{kind} dtype",
            call(kind, ((3, 5), {}), torch.randn(2, 4, 3).double()),
            ValueError,
            DTYPE,
        )
        yield f"{kind} integer input", call(kind, ((3, 4), {}), x.long()), ValueError, DTYPE
        device = "Input and parameter tensors are not at the same device, found input tensor "
        device += "at meta and parameter tensor at cpu"
        yield f"{kind} device", call(kind, ((3, 4), {}), x.to("meta")), RuntimeError, device
        device = "Input and hidden tensors are not at the same device, found input tensor "
        device += "at cpu and hidden tensor at meta"
        yield f"{kind} hx device", call(kind, ((3, 4), {}), x, hx), RuntimeError, device
        empty = "Expected sequence length to be larger than 0 in RNN"
        yield (
            f"{kind} no steps",
            call(kind, ((3, 4), {}), torch.randn(0, 2, 3)),
            RuntimeError,
            empty,
        )
        no_steps = torch.randn(2, 0, 3)
        first = ((3, 4), {"batch_first": True})
        yield f"{kind} no steps, batch first", call(kind, first, no_steps), RuntimeError, empty
        yield (
            f"{kind} no steps, unbatched",
            call(kind, ((3, 4), {}), torch.randn(0, 3)),
            RuntimeError,
            empty,
        )


def option_cases():
    unknown = r"Unknown nonlinearity 'sigmoid'\. Select from 'tanh' or 'relu'\."
    yield "nonlinearity", build("RNN", 3, 4, nonlinearity="sigmoid"), ValueError, unknown
    yield "nonlinearity, 4th", build("RNN", 3, 4, 1, "sigmoid"), ValueError, unknown
    proj = "proj_size argument is only supported for LSTM, not RNN or GRU"
    yield "proj_size on GRU", build("GRU", 3, 4, proj_size=2), ValueError, proj
    yield "proj_size on RNN", build("RNN", 3, 4, proj_size=2), ValueError, proj
    negative = "proj_size should be a positive integer or zero to disable projections"
    yield "proj_size=-1", build("LSTM", 3, 4, proj_size=-1), ValueError, negative
    too_big = "proj_size has to be smaller than hidden_size"
    yield "proj_size=H", build("LSTM", 3, 4, proj_size=4), ValueError, too_big


def cell_cases():
    """torch's module tests of RNNCell, GRUCell and LSTMCell calls."""
    x = torch.randn(3, 10)
    for kind in CELLS:

        def state(*shape, kind=kind):
            h = torch.randn(*shape)
            return (h, h.clone()) if kind == "LSTMCell" else h

        rank = (
            r"Expected hx\[0\] to be 1D or 2D"
            if kind == "LSTMCell"
            else "Expected hidden to be 1D or 2D"
        )
        cases = [
            (
                "input_size",
                torch.randn(3, 11),
                state(3, 20),
                RuntimeError,
                "input has inconsistent input_size: got 11 expected 10",
            ),
            (
                "hidden_size",
                x,
                state(3, 21),
                RuntimeError,
                "hidden0 has inconsistent hidden_size: got 21, expected 20",
            ),
            (
                "batch",
                x,
                state(5, 20),
                RuntimeError,
                "Input batch size 3 doesn't match hidden0 batch size 5",
            ),
            ("rank", x, state(3, 1, 1, 20), ValueError, rank + ", got 4D instead"),
        ]
        for name, xi, hi, error, pattern in cases:
            yield f"{kind} {name}", call(kind, ((10, 20), {}), xi, hi), error, pattern
    relu = call("RNNCell", ((10, 20, "relu"), {}), x, torch.randn(3, 21))
    yield "RNNCell relu hidden_size", relu, RuntimeError, "hidden0 has inconsistent hidden_size"


CASES = [*constructor_cases(), *forward_cases(), *option_cases(), *cell_cases()]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_errors_carry_torch_nns_words(case):
    _, make, error, pattern = case
    with pytest.raises(error) as theirs:
        make(torch.nn)
    assert re.search(pattern, str(theirs.value)), str(theirs.value)  # the pattern is torch's
    with pytest.raises(error) as ours:
        make(rnnkit)
    message = str(ours.value)
    assert re.search(pattern, message), message
    assert "\n" not in message and not message.startswith(str(theirs.value))  # rnnkit's first
    assert isinstance(ours.value, ValueError)  # rnnkit's own callers catch ValueError
