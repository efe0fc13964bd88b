"""Paper-figure studies, each runnable as ``bifurc study NAME [--out DIR] [--quick]``.

A study is a module here with ``run(out: Path, quick: bool) -> list[Path]``
that writes its figures (PNG and PDF) and the data behind them into ``out``
and returns the paths it wrote. ``--quick`` is the reduced run the tests use.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from bifurc.errors import ParameterError

#: study name (CLI) -> module name
STUDIES = {
    "qif-cusp": "qif_cusp",
    "ping": "ping",
    "bistable": "bistable",
    "msf": "msf",
    "wholebrain": "wholebrain",
    "applications": "applications",
}


def study_module(name: str):
    if name not in STUDIES:
        raise ParameterError(f"unknown study {name!r}; the studies are {', '.join(STUDIES)}")
    return importlib.import_module(f"{__name__}.{STUDIES[name]}")


def run_study(name: str, out, quick: bool = False) -> list[Path]:
    """Run study ``name``, writing into ``out`` (created if needed)."""
    module = study_module(name)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return list(module.run(out, quick))
