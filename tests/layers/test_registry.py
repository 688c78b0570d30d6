"""The registry of cells: the one list, and what is built from it."""

import dataclasses
import typing

import pytest
import torch

import rnnkit
from rnnkit.layers import CELLS, LAYERS, CellOptions, CellType, RecurrentConfig, from_config

NON_DEFAULT = {  # a value away from the default, per option
    "nonlinearity": "relu",
    "forget_bias": 1.0,
    "peephole": True,
    "layer_norm": True,
    "reset_after": False,
}


def test_every_list_of_cells_is_the_registry():
    assert list(LAYERS) == list(CELLS)
    assert typing.get_args(CellType) == tuple(CELLS)
    assert [f.name for f in dataclasses.fields(CellOptions)] == list(NON_DEFAULT)
    taken = {name for kind in CELLS.values() for name in kind.options}
    assert taken == set(NON_DEFAULT)  # every option is some cell's


@pytest.mark.parametrize("cell", list(CELLS))
def test_each_cell_takes_its_options_and_refuses_the_others(cell):
    kind = CELLS[cell]
    for name, value in NON_DEFAULT.items():
        config = {"cell": cell, "input_size": 3, "hidden_size": 4, "cell_options": {name: value}}
        if name in kind.options:
            layer = from_config(RecurrentConfig.from_dict(config))
            assert type(layer) is LAYERS[cell] and getattr(layer.config.cell_options, name) == value
            assert getattr(LAYERS[cell](3, 4, **{name: value}).config.cell_options, name) == value
        else:
            with pytest.raises(TypeError, match=f"CellOptions.{name} applies to the"):
                RecurrentConfig.from_dict(config)
            with pytest.raises(ValueError, match=f"not to RecurrentConfig.cell '{cell}'"):
                LAYERS[cell](3, 4, **{name: value})


def test_the_gru_entry_builds_the_cho_form_without_reset_after():
    layer = rnnkit.GRU(3, 4, 2, bidirectional=True, reset_after=False)
    assert {type(layer.cell(k, d)) for k in range(2) for d in range(2)} == {rnnkit.ChoGRUCell}
    assert type(rnnkit.GRU(3, 4).cell()) is rnnkit.GRUCell
    assert not layer.native_ok and layer.fused_ok  # torch has no kernel for it; rnnkit has


def test_from_config_gives_the_torch_nn_style_class_with_the_same_config():
    config = RecurrentConfig(
        "rnn", 3, 4, 2, bidirectional=True, cell_options={"nonlinearity": "relu"}
    )
    layer = from_config(config, dtype=torch.float64)
    assert type(layer) is rnnkit.RNN and layer.config == config and layer.nonlinearity == "relu"
    assert layer.weight_ih_l1_reverse.dtype == torch.float64
