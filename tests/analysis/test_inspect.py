import pytest

from rnnkit.analysis.inspect import label_separator


@pytest.mark.parametrize(
    "labels, sep",
    [
        (["t", "h", "e", " ", "c"], ""),  # characters
        (["The", " cat", " sat", "."], ""),  # word tokens carry their own spaces
        (["To", " ", "be", "\n"], ""),
        (["0.52*", "0.13", "0.90"], " "),  # series values need a gap
    ],
)
def test_label_separator(labels, sep):
    assert label_separator(labels) == sep
