"""Shared pieces of the studies: figure and data output."""

from __future__ import annotations

import json
from pathlib import Path

from bifurc.continuation.branch import _atomic


def save_figure(figure, out: Path, stem: str) -> list[Path]:
    """Write ``figure`` as ``out/stem.png`` (150 dpi) and ``out/stem.pdf``; close it."""
    import matplotlib.pyplot as plt

    paths = [Path(out) / f"{stem}.png", Path(out) / f"{stem}.pdf"]
    for path in paths:
        figure.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(figure)
    return paths


def write_json(path: Path, data) -> Path:
    """Write ``data`` as indented JSON, atomically (never a half-written file)."""
    path = Path(path)
    _atomic(path, lambda stream: json.dump(data, stream, indent=2, allow_nan=True), "w")
    return path
