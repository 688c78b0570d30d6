import json

import pytest

from rnnkit.training import TrainConfig


def test_defaults_are_valid_and_round_trip_through_json():
    cfg = TrainConfig(steps=10, clip=1.0, schedule="cosine", warmup=3)
    again = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


@pytest.mark.parametrize(
    "field, value",
    [
        ("lr", -1.0),
        ("lr", float("nan")),
        ("steps", 0),
        ("batch_size", 0),
        ("clip", 0.0),
        ("clip_value", -2.0),
        ("optimizer", "adagrad"),
        ("schedule", "linear"),
        ("mode", "up"),
        ("momentum", 1.0),
        ("warmup", -1),
        ("patience", 0),
        ("minutes", 0.0),
    ],
)
def test_bad_values_raise_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"TrainConfig.{field} "):
        TrainConfig(**{field: value})


def test_unknown_field_is_named():
    with pytest.raises(ValueError, match="bogus"):
        TrainConfig.from_dict({"bogus": 1})
