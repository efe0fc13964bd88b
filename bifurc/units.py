"""Time units: the one place where frequencies and rates are converted.

A model states its ``time_unit`` ("ms" for the built-in models); frequencies
in Hz are reported for the units listed here and left out (or NaN) for
others, never converted with a guessed factor.
"""

from __future__ import annotations

import math

#: a model's time units per second
PER_SECOND = {"ms": 1000.0, "s": 1.0}


def per_second(time_unit: str) -> float:
    """Time units per second, NaN for a unit without a known conversion."""
    return PER_SECOND.get(time_unit, math.nan)


def hertz(frequency, time_unit: str):
    """A frequency per time unit in Hz (NaN for an unknown unit)."""
    return frequency * per_second(time_unit)


__all__ = ["PER_SECOND", "per_second", "hertz"]
