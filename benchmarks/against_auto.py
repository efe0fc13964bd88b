"""What the benchmarks against AUTO-07p share: their command line and the
check that AUTO-07p can run here."""

import argparse

from bifurc import auto07p


def arguments(doc: str, **defaults):
    """Parse ``--repeats``, ``--ds``, ``--ds-max`` (and any ``name=default`` in
    ``defaults``, as ``--name``) for a benchmark whose docstring is ``doc``;
    exit with the reason when AUTO-07p is not usable."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    options = {"repeats": 3, "ds": 0.01, "ds_max": 0.1, **defaults}
    for name, value in options.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = parser.parse_args()
    available, reason = auto07p.auto_available()
    if not available:
        raise SystemExit(f"AUTO-07p is needed for this benchmark: {reason}")
    return args
