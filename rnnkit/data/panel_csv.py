"""A user's panel from a CSV file: long (a row per series and date) or wide (a column per
series); the rules are in rnnkit.data.panel's docstring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.optional import optional_import
from rnnkit.data.panel import Panel, PanelConfig, PanelSeries
from rnnkit.data.series import _date_column, _infer_freq, _season_of, read_frame

ID_NAMES = ("unique_id", "id", "series")
TARGET_NAMES = ("y", "value", "target")


def read_panel_csv(config: PanelConfig, *, known: str = "") -> Panel:
    """Read, check and fill a CSV panel; the series' horizon and season from the config."""
    optional_import("pandas", "forecast", "panels of series")
    path = Path(config.data)
    frame = read_frame(path, what="panel", known=f"a registered panel ({known})")
    if len(frame) < 2:
        raise ValueError(f"{path}: {len(frame)} rows; a panel needs series of several points")
    id_column = config.id_column or next((c for c in ID_NAMES if c in frame.columns), None)
    if config.layout == "long" or (config.layout == "auto" and id_column is not None):
        return _long(frame, config, path, id_column)
    return _wide(frame, config, path)


def _dates(frame: Any, config: PanelConfig, path: Path) -> str | None:
    import pandas as pd

    date = config.date_column or _date_column(frame)
    if date is None:
        return None
    if date not in frame.columns:
        raise ValueError(f"{path}: no date column {date!r} (PanelConfig.date_column)")
    try:
        frame[date] = pd.to_datetime(frame[date], format="mixed")
    except (ValueError, TypeError):
        raise ValueError(f"{path}: column {date!r} does not hold dates") from None
    return date


def _numeric(column: Any, what: str, path: Path, ids: Any = None) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        at = int(np.argmax(bad.to_numpy()))
        where = f" (series {ids.iloc[at]!r})" if ids is not None else ""
        raise ValueError(f"{path}: {what} is not numeric{where}: {column.iloc[at]!r}")
    return values.to_numpy(dtype=np.float64)


def _long(frame: Any, config: PanelConfig, path: Path, id_column: str | None) -> Panel:
    if id_column is None or id_column not in frame.columns:
        raise ValueError(
            f"{path}: no id column {id_column or ''!r} for a long panel (PanelConfig.id_column)"
        )
    date = _dates(frame, config, path)
    extra = (*config.covariates, *config.known)
    target = config.target or _target_column(frame, path, {id_column, date, *extra})
    for column in (target, *extra):
        if column not in frame.columns:
            raise ValueError(f"{path}: no column {column!r} (PanelConfig.target/covariates)")
    ids = frame[id_column].astype(str)
    frame[target] = _numeric(frame[target], f"column {target!r}", path, ids)
    for column in extra:
        frame[column] = _numeric(frame[column], f"covariate {column!r}", path, ids)
    dup = frame.duplicated([id_column, date]) if date else frame[id_column].isna()
    if dup.any():
        at = frame[dup].iloc[0]
        raise ValueError(f"{path}: series {str(at[id_column])!r} has two rows at {at[date]}")
    frame[id_column] = ids
    freq = _panel_freq(frame, id_column, date, path) if date else None
    columns = [target, *extra]
    series = []
    for sid, rows in frame.groupby(id_column, sort=False):
        rows = rows.set_index(date).sort_index() if date else rows
        if date:
            rows = _on_grid(rows, freq, path, sid)
        series.append(_series(str(sid), rows[columns], config, path, freq))
    return _panel(series, config, path, freq, [s for s in config.covariates], [*config.known])


def _target_column(frame: Any, path: Path, used: set[Any]) -> str:
    import pandas as pd

    for name in TARGET_NAMES:
        if name in frame.columns and name not in used:
            return name
    numeric = [
        c for c in frame.columns if c not in used and pd.api.types.is_numeric_dtype(frame[c])
    ]
    if len(numeric) != 1:
        raise ValueError(
            f"{path}: say which column holds the values with PanelConfig.target "
            f"(numeric columns: {', '.join(map(str, numeric)) or 'none'})"
        )
    return numeric[0]


def _panel_freq(frame: Any, id_column: str, date: str, path: Path) -> Any:
    """The frequency of the longest series whose dates are regular (the others must follow
    it, with gaps as missing values)."""
    import pandas as pd

    counts = frame.groupby(id_column)[date].count().sort_values(ascending=False)
    for sid in counts.index:
        dates = frame.loc[frame[id_column] == sid, date].sort_values()
        freq = _infer_freq(pd.DatetimeIndex(dates))
        if freq is not None:
            return freq
    raise ValueError(f"{path}: no series has regular dates; give one frequency")


def _on_grid(rows: Any, freq: Any, path: Path, sid: Any) -> Any:
    """A series' rows on the panel's regular dates; dates missing inside become NaN."""
    import pandas as pd

    grid = pd.date_range(rows.index[0], rows.index[-1], freq=freq)
    off = rows.index.difference(grid)
    if len(off):
        raise ValueError(
            f"{path}: series {sid!r} has a date off the panel's {freq.freqstr} calendar: {off[0]}"
        )
    return rows.reindex(grid)


def _wide(frame: Any, config: PanelConfig, path: Path) -> Panel:
    date = _dates(frame, config, path)
    if date:
        frame = frame.set_index(date)
    import pandas as pd

    freq = _infer_freq(pd.DatetimeIndex(frame.index)) if date else None
    if date and freq is None:
        raise ValueError(f"{path}: the dates are not regular; give one frequency")
    series = []
    for column in frame.columns:
        values = _numeric(frame[column], f"series {str(column)!r}", path)
        valid = np.flatnonzero(~np.isnan(values))
        if not len(valid):
            raise ValueError(f"{path}: series {str(column)!r} has no values")
        rows = pd.DataFrame({"y": values}, index=frame.index)[valid[0] : valid[-1] + 1]
        series.append(_series(str(column), rows, config, path, freq))
    return _panel(series, config, path, freq, [], [])


def _series(sid: str, rows: Any, config: PanelConfig, path: Path, freq: Any) -> PanelSeries:
    """One series: target in the first column, covariates after; missing values filled or
    refused by PanelConfig.fill."""
    if rows.isna().to_numpy().any():
        if config.fill == "error":
            at = rows.index[rows.isna().any(axis=1).to_numpy()][0]
            raise ValueError(
                f"{path}: series {sid!r} has a missing value at {at}; choose "
                "PanelConfig.fill interpolate or ffill"
            )
        if config.fill == "interpolate":
            rows = rows.interpolate(limit_direction="both")
        else:
            rows = rows.ffill().bfill()
    data = rows.to_numpy(dtype=np.float64)  # (N, 1 + C)
    season = config.season or _season_of(freq)
    return PanelSeries(
        id=sid,
        values=data[:, 0],
        test=np.zeros(0),
        season=season,
        horizon=config.horizon or (season if season > 1 else 8),
        group=path.stem,
        start=rows.index[0] if freq is not None else None,
        covariates=data[:, 1:],
    )


def _panel(
    series: list[PanelSeries], config: PanelConfig, path: Path, freq: Any, past: list, known: list
) -> Panel:
    return Panel(
        name=path.stem,
        series=series,
        freq=freq,
        covariate_names=tuple(past),
        known_names=tuple(known),
    )
