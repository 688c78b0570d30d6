"""Time series for forecasting: the offline dataset registry and user CSV files.

``load_series(SeriesConfig(data="airpassengers"))`` gives a :class:`Series`: the target
values (N,), their index (dates, or positions when the dates are not regular, such as
trading days), the seasonal period m, and optional covariate columns (N, C).

Registered datasets (all offline, from the `forecast` extra):

| name | what | N | m |
|---|---|---:|---:|
| airpassengers | monthly airline passengers 1949-1960 (pmdarima) | 144 | 12 |
| sunspots | yearly sunspot activity 1700-2008 (statsmodels) | 309 | 11 |
| co2 | weekly Mauna Loa CO2 1958-2001, 59 missing (statsmodels) | 2,284 | 52 |
| msft | Microsoft daily close 1986-2017, trading days (pmdarima) | 7,983 | 5 |
| taylor | half-hourly electricity demand, 12 weeks (pmdarima) | 4,032 | 48 |
| macrodata | US quarterly real GDP 1959-2009, 13 other columns (statsmodels) | 203 | 4 |
| wineind | monthly Australian wine sales 1980-1994 (pmdarima) | 176 | 12 |

Anything else is a CSV file: a date column (``--date-column``, else the first column
whose values parse as dates, else none), the target (``--target``, else the only
numeric column), optional covariates (``--covariates a,b``). Missing values are an error
unless ``--fill interpolate`` (linear in time) or ``--fill ffill`` (last value carried
forward) says what to do; co2 fills by interpolation by default. Dates must be regular
(one frequency, no gaps): an irregular date column is an error naming the first gap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rnnkit.config import Config, require
from rnnkit.data.optional import optional_import

Fill = Literal["error", "interpolate", "ffill"]


@dataclass
class SeriesConfig(Config):
    """Which series, which column, and what to do with missing values."""

    data: str = "airpassengers"  # a registered dataset (see docs/forecast.md) or a CSV file
    target: str | None = None  # the column to forecast (None: the dataset's, a CSV's only one)
    date_column: str | None = None  # CSV: the column of dates (None: found by its values)
    covariates: tuple[str, ...] = ()  # further columns read as inputs, comma-separated
    fill: Fill | None = None  # missing values: error, interpolate or ffill (None: per dataset)
    season: int = 0  # seasonal period m (0: the dataset's, or from the frequency of the dates)

    def validate(self) -> None:
        require(self, "data", bool(self.data), "a dataset name or a CSV path")
        require(self, "season", self.season >= 0, "an integer >= 0")


@dataclass
class Series:
    """One target series with its index and covariates."""

    name: str
    values: np.ndarray  # (N,) float64 target
    index: Any  # pandas DatetimeIndex (regular) or RangeIndex (positions)
    season: int  # m: seasonal period (1: none)
    freq: Any = None  # pandas offset of a regular date index, else None
    covariates: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (N, C)
    covariate_names: tuple[str, ...] = ()
    filled: int = 0  # missing values filled

    def __len__(self) -> int:
        return len(self.values)

    def future_index(self, start: int, steps: int) -> Any:
        """The index of positions start .. start+steps-1, extending past the end."""
        import pandas as pd

        if self.freq is None:
            return pd.RangeIndex(start, start + steps)
        first = self.index[0]
        return pd.date_range(first, periods=start + steps, freq=self.freq)[start:]


@dataclass(frozen=True)
class Dataset:
    """A registered series: how to load it, its seasonal period, its default fill."""

    load: Callable[[], Any]  # () -> pandas DataFrame with a regular index or RangeIndex
    target: str
    season: int
    fill: Fill = "error"


def _pmdarima(name: str, column: str, start: str | None, freq: str | None) -> Any:
    import pandas as pd

    datasets = _import("pmdarima.datasets")
    values = getattr(datasets, f"load_{name}")(as_series=False)
    index = pd.date_range(start, periods=len(values), freq=freq) if start else None
    return pd.DataFrame({column: np.asarray(values, dtype=float)}, index=index)


def _msft() -> Any:
    import pandas as pd

    frame = _import("pmdarima.datasets").load_msft()
    frame = frame.set_index(pd.to_datetime(frame["Date"]))
    return frame[["Close", "Open", "High", "Low", "Volume"]].astype(float)


def _statsmodels(name: str) -> Any:
    import pandas as pd

    data = getattr(_import("statsmodels.api").datasets, name).load_pandas().data
    if name == "sunspots":
        index = pd.date_range(f"{int(data['YEAR'].iloc[0])}-01-01", periods=len(data), freq="YS")
        return pd.DataFrame({"sunactivity": data["SUNACTIVITY"].to_numpy(float)}, index=index)
    if name == "macrodata":
        start = f"{int(data['year'].iloc[0])}-01-01"
        index = pd.date_range(start, periods=len(data), freq="QS")
        return data.drop(columns=["year", "quarter"]).astype(float).set_index(index)
    return data.astype(float)  # co2: a weekly DatetimeIndex already


DATASETS: dict[str, Dataset] = {
    "airpassengers": Dataset(
        lambda: _pmdarima("airpassengers", "passengers", "1949-01-01", "MS"), "passengers", 12
    ),
    "sunspots": Dataset(lambda: _statsmodels("sunspots"), "sunactivity", 11),
    "co2": Dataset(lambda: _statsmodels("co2"), "co2", 52, fill="interpolate"),
    "msft": Dataset(_msft, "Close", 5),
    "taylor": Dataset(lambda: _pmdarima("taylor", "demand", "2000-06-05", "30min"), "demand", 48),
    "macrodata": Dataset(lambda: _statsmodels("macrodata"), "realgdp", 4),
    "wineind": Dataset(lambda: _pmdarima("wineind", "sales", "1980-01-01", "MS"), "sales", 12),
}


def _import(module: str) -> Any:
    return optional_import(module, "forecast", "the time-series datasets")


def load_series(config: SeriesConfig) -> Series:
    """The series of ``config``: a registered dataset or a CSV file, checked and filled."""
    dataset = DATASETS.get(config.data)
    if dataset is not None:
        frame, name = dataset.load(), config.data
        target = config.target or dataset.target
        fill = config.fill or dataset.fill
        season = config.season or dataset.season
    else:
        frame, name = read_csv(config), Path(config.data).name
        target = config.target or _only_value_column(frame, config)
        fill = config.fill or "error"
        season = config.season
    return _series(frame, name, target, tuple(config.covariates), fill, season)


def _series(
    frame: Any, name: str, target: str, covariates: tuple[str, ...], fill: str, season: int
) -> Series:
    """A checked, filled Series from a frame's target and covariate columns."""
    columns = [target, *covariates]
    for column in columns:
        if column not in frame.columns:
            raise ValueError(
                f"{name} has no column {column!r} (SeriesConfig.target/covariates); "
                f"columns: {', '.join(map(str, frame.columns))}"
            )
    frame, filled = _fill(_numeric(frame[columns], name), fill, name)
    index, freq = _regular_index(frame.index, name)
    return Series(
        name=name,
        values=frame[target].to_numpy(dtype=np.float64),
        index=index,
        season=season or _season_of(freq),
        freq=freq,
        covariates=frame[list(covariates)].to_numpy(dtype=np.float64),
        covariate_names=covariates,
        filled=filled,
    )


def read_csv(config: SeriesConfig) -> Any:
    """A user CSV as a frame indexed by its date column (or by position)."""
    pd = _import("pandas")
    path = Path(config.data)
    frame = read_frame(path, what="series", known=f"a registered dataset ({', '.join(DATASETS)})")
    date = config.date_column or _date_column(frame)
    if date is None:
        return frame
    if date not in frame.columns:
        raise ValueError(f"{path}: no date column {date!r} (SeriesConfig.date_column)")
    try:
        dates = pd.to_datetime(frame[date])
    except (ValueError, TypeError):
        raise ValueError(
            f"{path}: column {date!r} does not hold dates (SeriesConfig.date_column)"
        ) from None
    return frame.drop(columns=[date]).set_index(pd.DatetimeIndex(dates))


def read_frame(path: Path, *, what: str, known: str) -> Any:
    """A CSV file as a pandas frame, or a one-line error: no such file (naming what else
    ``path`` could have been), not readable, no rows."""
    pd = _import("pandas")
    if not path.is_file():
        raise ValueError(f"unknown {what} {str(path)!r}: not {known} nor a CSV file")
    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise ValueError(f"{path}: not a readable CSV file ({str(e).splitlines()[0]})") from None
    if frame.empty:
        raise ValueError(f"{path}: no rows")
    return frame


def _date_column(frame: Any) -> str | None:
    """The first non-numeric column whose values all parse as dates."""
    import pandas as pd

    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        try:
            pd.to_datetime(frame[column], format="mixed")
        except (ValueError, TypeError):
            continue
        return column
    return None


def _only_value_column(frame: Any, config: SeriesConfig) -> str:
    import pandas as pd

    columns = [c for c in frame.columns if c not in config.covariates]
    if len(columns) == 1:
        return columns[0]  # the only column: its values are checked next
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]
    if len(numeric) != 1:
        raise ValueError(
            f"{config.data}: say which column to forecast with SeriesConfig.target "
            f"(numeric columns: {', '.join(map(str, numeric)) or 'none'})"
        )
    return numeric[0]


def _numeric(frame: Any, name: str) -> Any:
    import pandas as pd

    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            bad = frame[column][pd.to_numeric(frame[column], errors="coerce").isna()]
            bad = bad[bad.notna()]
            example = f" (e.g. {bad.iloc[0]!r})" if len(bad) else ""
            raise ValueError(f"{name}: column {column!r} is not numeric{example}")
    return frame.astype(float)


def _fill(frame: Any, fill: str, name: str) -> tuple[Any, int]:
    missing = int(frame.isna().to_numpy().sum())
    if missing == 0:
        return frame, 0
    if fill == "error":
        first = frame.index[frame.isna().any(axis=1).to_numpy()][0]
        raise ValueError(
            f"{name}: {missing} missing values (the first at {first}); choose "
            "SeriesConfig.fill interpolate (linear in time) or ffill (carry the last value)"
        )
    if fill == "interpolate":
        filled = frame.interpolate(limit_direction="both")
    else:
        filled = frame.ffill().bfill()
    return filled, missing


def _regular_index(index: Any, name: str) -> tuple[Any, Any]:
    """A regular DatetimeIndex and its frequency, or positions for trading-day data."""
    import pandas as pd

    if not isinstance(index, pd.DatetimeIndex):
        return pd.RangeIndex(len(index)), None
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise ValueError(f"{name}: the dates are not strictly increasing")
    freq = _infer_freq(index)
    if freq is not None:
        return index, freq
    if _business_days(index):
        return pd.RangeIndex(len(index)), None  # trading days: positions, not calendar dates
    gaps = np.diff(index.values)  # timedelta64
    usual = np.median(gaps.astype(np.int64)).astype(gaps.dtype)
    at = int(np.argmax(gaps != usual))
    raise ValueError(
        f"{name}: the dates are irregular (from {index[at]} to {index[at + 1]} after a usual "
        f"step of {pd.Timedelta(usual)}); give a regular series"
    )


def _infer_freq(index: Any) -> Any:
    import pandas as pd
    from pandas.tseries.frequencies import to_offset

    if len(index) < 3:
        return None
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(index)
    except (KeyError, pd.errors.OptionError):
        freq = pd.infer_freq(index)
    return to_offset(freq) if freq is not None else None


def _business_days(index: Any) -> bool:
    """Weekdays at most a week apart (closures included): a trading calendar."""
    days = np.diff(index.values.astype("datetime64[D]").astype(np.int64))
    return bool(np.all((days >= 1) & (days <= 7)) and np.mean(index.day_of_week < 5) > 0.99)


def _code(freq: Any) -> str:
    """A frequency's rule code without its multiple: "MS", "W-SAT", "min", "h", "YS-JAN"."""
    return freq.rule_code


def _season_of(freq: Any) -> int:
    """The usual seasonal period of a frequency: 12 for months, 4 for quarters, ..."""
    if freq is None:
        return 1
    code = _code(freq)
    for prefix, period in (("MS", 12), ("ME", 12), ("M", 12), ("QS", 4), ("QE", 4), ("Q", 4)):
        if code.startswith(prefix):
            return period
    if code.startswith("W"):
        return 52
    if code in ("D", "B"):
        return 7 if code == "D" else 5
    if code.endswith("h") or code.endswith("min"):
        step_minutes = freq.nanos / 60e9
        return max(1, int(round(24 * 60 / step_minutes)))
    return 1


def calendar_features(index: Any, freq: Any) -> np.ndarray:
    """Cyclical calendar features (sin, cos) of each date: (N, F); F = 0 for positions."""
    if freq is None:
        return np.zeros((len(index), 0))
    code = _code(freq)
    cycles: list[np.ndarray] = []
    if code[:1] in ("M", "Q", "W") or code in ("D", "B"):
        cycles.append((index.day_of_year.to_numpy() - 1) / 365.25)  # position in the year
    if code in ("D", "B") or code.endswith("h") or code.endswith("min"):
        cycles.append(index.day_of_week.to_numpy() / 7)  # position in the week
    if code.endswith("h") or code.endswith("min"):
        minutes = index.hour.to_numpy() * 60 + index.minute.to_numpy()
        cycles.append(minutes / 1440)  # position in the day
    parts = [f(2 * math.pi * c) for c in cycles for f in (np.sin, np.cos)]
    return np.stack(parts, axis=1) if parts else np.zeros((len(index), 0))


def series_from(
    data: Any,
    *,
    name: str = "series",
    target: str | None = None,
    covariates: tuple[str, ...] = (),
    season: int = 0,
    fill: Fill = "error",
) -> Series:
    """A Series from a numpy array (N,), a pandas Series or a DataFrame (target column,
    covariate columns); a DatetimeIndex must be regular, other indexes become positions."""
    import pandas as pd

    if isinstance(data, pd.Series):
        frame = data.to_frame(name=target or str(data.name or "y"))
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        values = np.asarray(data, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"a series is one-dimensional (N,), got shape {values.shape}")
        frame = pd.DataFrame({target or "y": values})
    target = target or _only_value_column(frame, SeriesConfig(data=name, covariates=covariates))
    return _series(frame, name, target, tuple(covariates), fill, season)
