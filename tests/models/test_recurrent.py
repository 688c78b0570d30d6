"""The recurrent part of every model config: runs of an earlier rnnkit load unchanged.

``legacy/`` holds the ``model`` section of config.json and best/model.safetensors of three
tiny runs trained by rnnkit 0.1.0 (commit 0abb65d, before the cell registry), with the
predictions the loaded model made then on one batch:

- ``adding-gru-cho``: ``longrange adding --cell gru --no-reset-after --layers 2``
- ``adding-lstm``: ``longrange adding --cell lstm --peephole`` (the task's forget bias 1.0)
- ``lm-rnn``: ``lm train --cell rnn --nonlinearity relu --layer-norm``
"""

import json
from pathlib import Path

import pytest
import safetensors.torch
import torch

from rnnkit.models.lm import LanguageModel, LMBatch, LMConfig
from rnnkit.models.sequence import ManyToOne, SeqBatch, SequenceConfig
from rnnkit.training.checkpoint import load_weights

LEGACY = Path(__file__).parent / "legacy"
RUNS = {
    "adding-gru-cho": (SequenceConfig, ManyToOne, SeqBatch),
    "adding-lstm": (SequenceConfig, ManyToOne, SeqBatch),
    "lm-rnn": (LMConfig, LanguageModel, LMBatch),
}


@pytest.mark.parametrize("name", RUNS)
def test_model_sections_and_weights_of_earlier_runs_load_and_predict_the_same(name):
    config_cls, model_cls, batch_cls = RUNS[name]
    section = json.loads((LEGACY / f"{name}.json").read_text())
    config = config_cls.from_dict(section)
    written = config.to_dict()  # the same layout; fields added since at their defaults
    assert {k: written[k] for k in section} == section
    assert {k: v for k, v in written.items() if k not in section} == {
        k: v for k, v in config_cls().to_dict().items() if k not in section
    }
    model = model_cls(config).eval()
    load_weights(model, LEGACY / f"{name}.safetensors")
    expected = safetensors.torch.load_file(LEGACY / f"{name}.expected.safetensors")
    with torch.no_grad():
        prediction = model(batch_cls(expected["x"])).prediction
    torch.testing.assert_close(prediction, expected["prediction"], atol=1e-6, rtol=1e-5)


def test_a_commands_default_cell_option_is_dropped_for_a_cell_without_it():
    """A task's default for an option of one cell (longrange's LSTM forget bias) is not an
    error under another --cell; the same option given as a flag is kept, to be refused."""
    defaults = {"hidden_size": 64, "cell_options.forget_bias": 1.0}
    assert SequenceConfig.merge(defaults, {}) == defaults  # the default cell: the LSTM
    assert SequenceConfig.merge(defaults, {"cell": "gru"}) == {"hidden_size": 64, "cell": "gru"}
    given = {"cell": "gru", "cell_options.forget_bias": 2.0}
    assert SequenceConfig.merge(defaults, given) == {"hidden_size": 64, **given}


def test_the_model_config_checks_its_layer_fields_with_the_layer_configs_checks():
    with pytest.raises(ValueError, match=r"^SequenceConfig.hidden_size must be greater than zero"):
        SequenceConfig(hidden_size=0)
    with pytest.raises(ValueError, match=r"^SequenceConfig.num_layers must be greater than zero"):
        SequenceConfig(num_layers=0)
    with pytest.raises(ValueError, match=r"^SequenceConfig.dropout must be below 1"):
        SequenceConfig(dropout=1.0)
    with pytest.raises(ValueError, match="layer_norm must be False for the original GRU form"):
        SequenceConfig(cell="gru", cell_options={"layer_norm": True, "reset_after": False})
    layer = SequenceConfig(cell="gru", cell_options={"reset_after": False}).layer(3)
    assert type(layer.cell()).__name__ == "ChoGRUCell" and layer.batch_first
