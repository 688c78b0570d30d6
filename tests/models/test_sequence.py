"""rnnkit/models/sequence.py: one prediction shape, padding never scored, configs checked."""

import pytest
import torch

from rnnkit.models.sequence import ManyToMany, ManyToOne, SeqBatch, SequenceConfig


def tokens(B: int = 3, T: int = 7, V: int = 6, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("loss, outputs", [("mse", 1), ("mse", 3), ("xent", 4)])
def test_many_to_one_predicts_b_by_o_whatever_the_config(loss, outputs):
    torch.manual_seed(0)
    m = ManyToOne(SequenceConfig(input_size=2, hidden_size=5, output_size=outputs, loss=loss))
    x = torch.randn(4, 6, 2)
    y = torch.randn(4) if loss == "mse" and outputs == 1 else None
    out = m(SeqBatch(x, y))
    assert out.prediction.shape == (4, outputs)
    if y is not None:  # a (B,) target still fits a (B, 1) prediction
        torch.testing.assert_close(out.loss, ((out.prediction[:, 0] - y) ** 2).mean())


@pytest.mark.parametrize("loss", ["xent", "mse"])
def test_appending_padding_does_not_change_the_loss(loss):
    torch.manual_seed(0)
    V, O = 6, 4
    config = SequenceConfig(cell="gru", vocab_size=V, hidden_size=8, output_size=O, loss=loss)
    m = ManyToMany(config).eval()
    x = tokens()
    y = tokens(seed=1, V=O) if loss == "xent" else torch.randn(3, 7, O)
    lengths = torch.tensor([7, 4, 2])
    short = m(SeqBatch(x, y, lengths)).loss
    pad = 5  # append padding with arbitrary inputs and targets
    x_long = torch.cat([x, tokens(T=pad, seed=2)], dim=1)
    y_extra = tokens(T=pad, seed=3, V=O) if loss == "xent" else torch.randn(3, pad, O) * 100
    longer = m(SeqBatch(x_long, torch.cat([y, y_extra], dim=1), lengths)).loss
    torch.testing.assert_close(short, longer)
    # and the loss is the mean over the real steps only
    per_row = [
        m(SeqBatch(x[i : i + 1, :n], y[i : i + 1, :n])).loss * n for i, n in enumerate([7, 4, 2])
    ]
    torch.testing.assert_close(short, sum(per_row) / 13, atol=1e-5, rtol=1e-5)


def test_token_ids_outside_the_vocabulary_are_named():
    m = ManyToMany(SequenceConfig(vocab_size=6, hidden_size=4, output_size=2, loss="xent"))
    with pytest.raises(ValueError, match="token id 9 is outside the vocabulary of 6 tokens"):
        m(SeqBatch(torch.tensor([[1, 9]])))


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dropout": "0.1"}, "SequenceConfig.dropout must be a number, got '0.1'"),
        ({"hidden_size": 2.5}, "SequenceConfig.hidden_size must be an integer"),
        ({"cell": "tcn"}, "SequenceConfig.cell must be one of 'rnn', 'lstm', 'gru'"),
        ({"loss": "l1"}, "SequenceConfig.loss must be one of 'mse', 'xent'"),
        ({"bidirectional": "yes"}, "SequenceConfig.bidirectional must be true or false"),
    ],
)
def test_configs_reject_wrong_types_by_field_name(options, message):
    with pytest.raises(ValueError, match=message):
        SequenceConfig(**options)


def test_cell_options_apply_only_to_their_cell():
    lstm = SequenceConfig(cell="lstm", cell_options={"forget_bias": 1.0})
    refused = "CellOptions.forget_bias applies to the lstm cell only, not to SequenceConfig.cell"
    with pytest.raises(ValueError, match=refused):  # as the command line refuses --forget-bias
        lstm.replace(cell="gru")
    with pytest.raises(ValueError, match=refused):
        SequenceConfig(cell="gru", cell_options={"forget_bias": 1.0})
    gru = lstm.with_cell("gru")  # the options the GRU has no use for back at their defaults
    assert lstm.cell_options.forget_bias == 1.0 and gru.cell_options.forget_bias is None
    with pytest.raises(ValueError, match="forget_bias applies to the lstm cell only"):
        gru.check_given({"forget_bias"})  # a flag given at its default is refused too
    layer, H = ManyToOne(lstm).rnn, lstm.hidden_size
    forget = (layer.bias_ih_l0 + layer.bias_hh_l0).detach()[H : 2 * H]  # b_if + b_hf
    torch.testing.assert_close(forget, torch.ones(H))
