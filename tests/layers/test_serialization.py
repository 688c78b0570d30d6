"""Layers saved by an earlier rnnkit load and compute what they computed then.

``legacy/`` holds nine small layers written by rnnkit 0.1.0 (commit 0abb65d, before the
cell registry): their configs (``layer.config.to_dict()``), state_dicts, whole-module
pickles (``torch.save``) and their outputs and final states on one input with lengths.
"""

import json
from pathlib import Path

import pytest
import safetensors.torch
import torch

import rnnkit
from rnnkit.layers import from_config

LEGACY = Path(__file__).parent / "legacy"
CONFIGS = json.loads((LEGACY / "layers.json").read_text())
TENSORS = safetensors.torch.load_file(LEGACY / "layers.safetensors")
LENGTHS = [5, 3]


def saved(name: str) -> tuple[dict[str, torch.Tensor], list[torch.Tensor]]:
    """The case's state_dict and its outputs then: out, then each final state tensor."""
    state = {k[len(name) + 1 :]: v for k, v in TENSORS.items() if k.startswith(name + ".")}
    outputs = [TENSORS[f"{name}/out"]]
    outputs += [TENSORS[k] for k in sorted(TENSORS) if k.startswith(f"{name}/state")]
    return state, outputs


def assert_computes_as_then(layer: torch.nn.Module, name: str) -> None:
    _, expected = saved(name)
    with torch.no_grad():
        out, state = layer.eval()(TENSORS["x"], lengths=LENGTHS)
    got = [out, *(state if isinstance(state, tuple) else (state,))]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_saved_configs_and_state_dicts_load(name):
    config = rnnkit.RecurrentConfig.from_dict(CONFIGS[name])
    layer = from_config(config)
    state, _ = saved(name)
    layer.load_state_dict(state)  # strict: the parameter names are the same
    assert_computes_as_then(layer, name)
    assert rnnkit.RecurrentConfig.from_dict(layer.config.to_dict()) == layer.config


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_saved_whole_modules_load_with_weights_only(name):
    with rnnkit.safe_globals():
        modules = torch.load(LEGACY / "layers.pt", weights_only=True)
    assert_computes_as_then(modules[name], name)
