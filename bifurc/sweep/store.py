"""The sweep table: SweepResult, sweep.csv (rows appended as points finish, read
back losslessly), sweep.json, and resuming a folder written with the same settings."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import BifurcError, ParameterError
from ..files import atomic_write
from .options import DATA_FILE, META_FILE, REGIMES, SCHEMA

# ----------------------------------------------------------------- the table
@dataclass
class SweepResult:
    """A sweep's table and settings (plain data; ``sweep.json`` + ``sweep.csv``).

    rows : one {column: value} dict per finished point, sorted by ``point``
        (the flat C-order index of the grid: the last grid parameter varies fastest)
    status : "completed" or "interrupted" (then only some points are in ``rows``)
    """

    model: str
    grid: dict[str, np.ndarray]
    measures: tuple[str, ...]
    columns: tuple[str, ...]
    rows: list[dict]
    status: str
    metadata: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.grid.values())

    @property
    def n_points(self) -> int:
        return math.prod(self.shape)

    def column(self, name: str) -> np.ndarray:
        """One column over the finished points, in point order."""
        if name not in self.columns:
            raise ParameterError(f"no column {name!r}; columns are: {', '.join(self.columns)}")
        values = [row[name] for row in self.rows]
        return np.array(values, dtype=object if name in ("regime", "message") else
                        int if name == "point" else float)

    def as_grid(self, name: str) -> np.ndarray:
        """One column reshaped to the grid (NaN, or "" for text, at unfinished points)."""
        text = name in ("regime", "message")
        values = np.full(self.n_points, "" if text else np.nan, dtype=object if text else float)
        values[self.column("point")] = self.column(name)
        return values.reshape(self.shape)

    def counts(self) -> dict[str, int]:
        """Number of finished points per regime."""
        regimes = list(self.column("regime"))
        return {regime: regimes.count(regime) for regime in REGIMES if regime in regimes}


def format_value(value) -> str:
    if isinstance(value, float):
        return repr(value)  # shortest round-trip text: the CSV is lossless
    return str(value)


def _parse(name: str, text: str):
    if name in ("regime", "message"):
        return text
    if name == "point":
        return int(text)
    return float(text)


def _read_rows(path: Path, columns: Sequence[str]) -> list[dict]:
    """Rows of ``sweep.csv``; a last line cut off by a hard kill is dropped."""
    rows = {}
    if not path.exists():
        return []
    with open(path, newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None:
            return []
        if tuple(header) != tuple(columns):
            raise BifurcError(f"{path} has columns {', '.join(header)}, expected "
                              f"{', '.join(columns)}; it was written by other settings")
        for fields in reader:
            if len(fields) != len(columns):
                continue
            try:
                row = {name: _parse(name, text) for name, text in zip(columns, fields)}
            except ValueError:
                continue
            rows[row["point"]] = row
    return [rows[k] for k in sorted(rows)]


def write_rows(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    def write(stream):
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([format_value(row[c]) for c in columns])
    atomic_write(path, write, "w")


def load_sweep(out) -> SweepResult:
    """Read a sweep folder written by :func:`sweep` (``sweep.json`` + ``sweep.csv``)."""
    out = Path(out)
    try:
        metadata = json.loads((out / META_FILE).read_text())
    except FileNotFoundError:
        raise BifurcError(f"{out} holds no sweep ({META_FILE} is missing)") from None
    if metadata.get("schema") != SCHEMA:
        raise BifurcError(f"{out / META_FILE} has schema {metadata.get('schema')!r}, "
                          f"expected {SCHEMA!r}")
    settings = metadata["settings"]
    columns = tuple(metadata["columns"])
    rows = _read_rows(out / DATA_FILE, columns)
    grid = {k: np.array(v, dtype=float) for k, v in settings["grid"].items()}
    return SweepResult(settings["model"], grid, tuple(settings["measures"]), columns, rows,
                       metadata.get("status", "interrupted"), metadata)


def resume_rows(out: Path, settings: dict, columns) -> list[dict]:
    meta_path, data_path = out / META_FILE, out / DATA_FILE
    if not meta_path.exists():
        if data_path.exists():
            raise BifurcError(f"{data_path} exists without {meta_path.name}: its settings are "
                              f"unknown; use another output folder or delete it")
        return []
    try:
        previous = json.loads(meta_path.read_text())
    except json.JSONDecodeError:
        raise BifurcError(f"{meta_path} is not valid JSON; use another output folder") from None
    old = previous.get("settings", {})
    if previous.get("schema") != SCHEMA or old != settings:
        differ = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
        for key in ("options", "parameters"):
            if key in differ and isinstance(old.get(key), dict):
                differ.remove(key)
                differ += [f"{key}.{name}" for name in sorted(set(old[key]) | set(settings[key]))
                           if old[key].get(name) != settings[key].get(name)]
        raise BifurcError(f"{out} holds a sweep with other settings ({', '.join(differ) or 'schema'} "
                          f"differ): use another output folder, or delete {data_path.name} and "
                          f"{meta_path.name} to start over")
    return _read_rows(data_path, columns)
