"""Parsing AUTO-07p output: fort.7 (branch rows), fort.8 (labelled solutions),
fort.9 (Floquet multipliers and their accuracy notes)."""

from __future__ import annotations

import re

import numpy as np



#: AUTO's solution type codes (ITP modulo 10, as in AUTO-07p's support.f90 LBTYPE
#: and the manual's table of labels).
LABEL_TYPES = {
    0: "", 1: "BP", 2: "LP", 3: "HB", 4: "RG", -4: "UZ", 5: "LP", 6: "BP", 7: "PD", 8: "TR",
    9: "EP", -9: "MX", -1: "BT", -2: "CP", -3: "ZH", -5: "R1", -6: "R2", -7: "R3", -8: "R4",
    -32: "GH", 23: "LTR", 83: "LTR", 77: "PTR", 87: "PTR", 28: "LPD", 78: "LPD", 88: "TTR",
}

# --------------------------------------------------------------------------- parsing
_EXPONENT_FIX = re.compile(r"(?<=[0-9.])([+-]\d{2,3})$")


def _to_float(token: str) -> float:
    try:
        return float(token)
    except ValueError:
        # Fortran drops the "E" of three-digit exponents: 1.0000000000-100
        fixed = _EXPONENT_FIX.sub(r"E\1", token.replace("D", "E").replace("d", "e"))
        return float(fixed)


def parse_fort7(path) -> list[dict]:
    """Rows of an AUTO ``fort.7`` (``b.`` file): one dict per continuation step.

    Keys: ``branch`` (IBR), ``point`` (|PT|), ``stable`` (PT < 0: for equilibria
    AUTO marks stable points with a negative point number), ``itp`` (type code),
    ``type`` (short name, see :data:`LABEL_TYPES`), ``label`` (LAB, 0 if not
    labelled) and ``values``: the principal parameter, the norm column (L2 norm
    for ``IPLT = 0``), the first states and other free parameters, as printed.
    Header and comment lines (first field 0) are skipped.
    """
    rows = []
    with open(path) as stream:
        for line in stream:
            fields = line.split()
            if len(fields) < 5:
                continue
            try:
                ibr, pt, itp, lab = (int(v) for v in fields[:4])
            except ValueError:
                continue
            if ibr == 0:
                continue
            values = np.array([_to_float(v) for v in fields[4:]])
            rows.append({"branch": ibr, "point": abs(pt), "stable": pt < 0, "itp": itp,
                         "type": LABEL_TYPES.get(itp, LABEL_TYPES.get(_base_itp(itp), str(itp))),
                         "label": lab, "values": values})
    return rows


def _base_itp(itp: int) -> int:
    return itp % 10 if itp >= 0 else -((-itp) % 10)


def _fort8_records(path):
    """(header integers, body lines) of each solution in an AUTO ``fort.8``: the
    12 header integers IBR NTOT ITP LAB NFPR ISW NTPL NAR NROWPR NTST NCOL NPAR,
    then NROWPR lines."""
    with open(path) as stream:
        lines = stream.read().splitlines()
    pos = 0
    while pos < len(lines):
        header = lines[pos].split()
        pos += 1
        if not header:
            continue
        if len(header) < 12:
            raise ValueError(f"{path}: malformed solution header on line {pos}: {lines[pos - 1]!r}")
        values = tuple(int(v) for v in header[:12])
        nrowpr = values[8]
        body = lines[pos:pos + nrowpr]
        pos += nrowpr
        if len(body) < nrowpr:
            raise ValueError(f"{path}: solution {values[3]} is truncated")
        yield values, body


def parse_fort8(path) -> list[dict]:
    """Labelled solutions of an AUTO ``fort.8`` (``s.`` file), for algebraic problems.

    Each entry: ``branch``, ``point``, ``itp``, ``type``, ``label``, ``nfpr``,
    ``isw``, ``state`` (the U vector, NAR - 1 values) and ``par`` (PAR(1..NPAR)
    as an array, ``par[i - 1]`` = PAR(i)). The header's NROWPR says how many
    lines follow; the state is the first NAR values after the header (time
    first), the parameters the last NPAR values, which holds whether or not the
    direction vector is stored in between.
    """
    entries = []
    for (ibr, ntot, itp, lab, nfpr, isw, ntpl, nar, nrowpr, ntst, ncol, npar), body in \
            _fort8_records(path):
        numbers = [_to_float(v) for line in body for v in line.split()]
        if ntpl != 1:
            raise ValueError(f"{path}: solution {lab} has {ntpl} mesh points; only algebraic "
                             "problems (equilibria) are supported")
        if len(numbers) < nar + npar:
            raise ValueError(f"{path}: solution {lab} has too few values")
        entries.append({"branch": ibr, "point": abs(ntot), "itp": itp,
                        "type": LABEL_TYPES.get(itp, LABEL_TYPES.get(_base_itp(itp), str(itp))),
                        "label": lab, "nfpr": nfpr, "isw": isw,
                        "state": np.array(numbers[1:nar]), "par": np.array(numbers[-npar:])})
    return entries


_MULTIPLIER_LINE = re.compile(
    r"^\s*(-?\d+)\s+(-?\d+)\s+Multiplier\s+(\d+)\s+(\S+)\s+(\S+)")
_MULTIPLIER_NOTE = re.compile(
    r"^\s*(-?\d+)\s+(-?\d+)\s+NOTE:\s*Multiplier (inaccurate|accurate again)")


def parse_fort7_columns(path) -> list[str]:
    """Column names of an AUTO ``fort.7`` after ``BR PT TY LAB``, from its header
    line (e.g. ``eta_e``, ``L2-NORM``, ``MAX r_e``, ``PERIOD``: AUTO uses the
    ``parnames`` and ``unames`` of the constants file, else ``PAR(i)``, ``U(i)``).
    Names are separated by at least two spaces (a name like ``MAX U(1)`` has one)."""
    with open(path) as stream:
        for line in stream:
            fields = line.split()
            if len(fields) > 4 and fields[0] == "0" and fields[1] == "PT" and fields[3] == "LAB":
                body = line[line.index("LAB") + 3:].strip()
                return [name for name in re.split(r"\s{2,}", body) if name]
    return []


def parse_fort8_orbits(path) -> list[dict]:
    """Labelled solutions of an AUTO ``fort.8`` of a boundary-value problem
    (periodic orbits; algebraic solutions are read too, with one mesh point).

    Each entry: ``branch``, ``point``, ``itp``, ``type``, ``label``, ``nfpr``,
    ``isw``, ``ntst``, ``ncol``, ``t`` (the NTPL mesh times in [0, 1]),
    ``profile`` (NTPL x NDIM: the orbit at those times), ``icp`` (free
    parameter indices), ``par`` (PAR(1..NPAR), ``par[i - 1]`` = PAR(i)).

    The layout (AUTO's WRTBV8): NTPL rows of (t, U(1..NDIM)) in records of at
    most 7 numbers per line, the NFPR free-parameter indices, their
    derivatives, the direction vector (NTPL rows of NDIM) and PAR; the header's
    NROWPR counts all lines.
    """
    entries = []
    for (ibr, ntot, itp, lab, nfpr, isw, ntpl, nar, nrowpr, ntst, ncol, npar), body in \
            _fort8_records(path):
        per_row = -(-nar // 7)  # lines per mesh point
        numbers = [_to_float(v) for line in body[:ntpl * per_row] for v in line.split()]
        if len(numbers) != ntpl * nar:
            raise ValueError(f"{path}: solution {lab}: expected {ntpl} x {nar} profile values, "
                             f"found {len(numbers)}")
        table = np.array(numbers).reshape(ntpl, nar)
        rest = body[ntpl * per_row:]
        icp = [int(v) for v in rest[0].split()][:nfpr] if rest else []
        tail = [_to_float(v) for line in rest[-(-npar // 7):] for v in line.split()]
        entries.append({"branch": ibr, "point": abs(ntot), "itp": itp,
                        "type": LABEL_TYPES.get(itp, LABEL_TYPES.get(_base_itp(itp), str(itp))),
                        "label": lab, "nfpr": nfpr, "isw": isw, "ntst": ntst, "ncol": ncol,
                        "t": table[:, 0], "profile": table[:, 1:], "icp": icp,
                        "par": np.array(tail[-npar:])})
    return entries


def parse_multipliers(path) -> dict:
    """Floquet multipliers from an AUTO diagnostics file (``fort.9``, ``d.`` file).

    AUTO (periodic.f90, FNSPBV) prints for every computed orbit a block of
    lines ``BR PT  Multiplier i  Re  Im  Abs. Val. |mu|`` (format ES14.5: six
    significant digits), the multiplier closest to 1 first, the others by
    distance from the unit circle. A point number appears several times when
    AUTO retries a step or locates a special point; the last block wins, which
    is the accepted orbit. When the multiplier closest to 1 is off by more than
    0.05 AUTO prints "NOTE:Multiplier inaccurate" and stops detecting
    bifurcations until it is within 0.01 again ("accurate again").

    Returns ``{point number: complex array}`` (AUTO's order) and, under the key
    ``"inaccurate"``, the set of point numbers computed while AUTO considered
    the multipliers inaccurate.
    """
    blocks: dict[int, list] = {}
    inaccurate: set[int] = set()
    current_point, current, flagged = None, None, False
    with open(path) as stream:
        for line in stream:
            match = _MULTIPLIER_LINE.match(line)
            if match:
                point, i = abs(int(match.group(2))), int(match.group(3))
                value = complex(_to_float(match.group(4)), _to_float(match.group(5)))
                if i == 1 or point != current_point:
                    current_point, current = point, []
                    blocks[point] = current
                current.append(value)
                if flagged:
                    inaccurate.add(point)
                else:
                    inaccurate.discard(point)
                continue
            note = _MULTIPLIER_NOTE.match(line)
            if note:
                flagged = note.group(3) == "inaccurate"
                point = abs(int(note.group(2)))
                if flagged:
                    inaccurate.add(point)
                else:
                    inaccurate.discard(point)
    result = {k: np.array(v) for k, v in blocks.items()}
    result["inaccurate"] = inaccurate
    return result


