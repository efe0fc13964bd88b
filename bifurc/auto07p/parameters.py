"""Model parameters -> AUTO-07p ``PAR(i)`` indices (equilibrium and periodic runs)."""

from __future__ import annotations


from ..model import Model


#: AUTO's PAR array has NPARX = 36 entries (auto.h); index 11 is skipped.
_NPARX = 36
_SKIPPED_INDICES = (11,)
# --------------------------------------------------------------------------- mapping
def parameter_index_map(model: Model) -> dict[str, int]:
    """AUTO ``PAR`` index (1-based) of each model parameter, in model order.

    Parameters get indices 1, 2, ..., 10, 12, 13, ...: index 11 is skipped
    because AUTO uses ``PAR(11)`` for the period in periodic problems (``IPS = 2``),
    so the same mapping stays valid for later limit-cycle work. In C the value
    of ``PAR(i)`` is ``par[i - 1]``. AUTO's PAR array has 36 entries, so a model
    may have at most 35 parameters.
    """
    return _indices_skipping(model, _SKIPPED_INDICES, "index 11 reserved")


def n_auto_parameters(model: Model) -> int:
    """AUTO's NPAR: the highest PAR index used (at least 1)."""
    return max(parameter_index_map(model).values(), default=1)


#
# The executable of a periodic run maps parameters with cycle_parameter_index_map
# (11 and 12 skipped: AUTO writes the torus angle into PAR(12) during the run).
#
# Outputs: fort.7 (one row per point: the parameter, the L2 norm of the orbit,
# the max of the first states over the orbit, the period), fort.8 (labelled
# orbits: mesh, profile, parameters), fort.9 (diagnostics, with the Floquet
# multipliers of every point, 6 significant digits).

PERIOD_INDEX = 11
#: PAR indices AUTO writes during periodic runs: 11 the period, 12 the torus
#: angle (periodic.f90, FNSPBV: ``IF(ATYPE=='TR') PAR(12)=THETA`` at every point
#: whose multiplier closest to the unit circle is complex, with ISP = 2). A model
#: parameter stored there would be overwritten in the middle of a run.
CYCLE_RESERVED = (11, 12)


def cycle_parameter_index_map(model: Model) -> dict[str, int]:
    """AUTO ``PAR`` index of each model parameter for periodic-orbit runs.

    Like :func:`parameter_index_map`, but 12 is skipped as well as 11: AUTO
    keeps the period in PAR(11) and, with ``ISP = 2``, writes the torus angle
    into PAR(12) whenever a torus bifurcation is a candidate. With the
    equilibrium mapping, the 11th model parameter (``J_ie`` of ``ei``) would be
    silently replaced by an angle in mid-run. At most 34 parameters.
    """
    return _indices_skipping(model, CYCLE_RESERVED,
                             f"periodic orbits reserve {CYCLE_RESERVED}")


def homcont_parameter_index_map(model: Model) -> dict[str, int]:
    """AUTO ``PAR`` index of each model parameter for HomCont runs (IPS = 9 with
    IEQUIB = 1): PAR(11) is the truncation time T and PAR(12 .. 11 + n) the
    saddle, so those are skipped."""
    reserved = tuple(range(11, 12 + model.n_states))
    return _indices_skipping(model, reserved,
                             f"HomCont keeps T in PAR(11) and the saddle in PAR(12..{11 + model.n_states})")


def _indices_skipping(model: Model, reserved, why: str) -> dict[str, int]:
    """{parameter: PAR index}: 1, 2, ... in model order, skipping ``reserved``;
    ValueError when the model has more parameters than AUTO's NPARX allows."""
    mapping, index = {}, 0
    for name in model.parameter_names:
        index += 1
        while index in reserved:
            index += 1
        mapping[name] = index
    if index > _NPARX:
        raise ValueError(f"model {model.name!r} has {model.n_parameters} parameters; AUTO-07p "
                         f"allows PAR indices up to {_NPARX} ({why}), i.e. at most "
                         f"{_NPARX - len(reserved)} parameters")
    return mapping
