"""Homoclinic orbits to a saddle-node, continued in two parameters: the SNIC
curve (SNIC-C; HomCont's and MatCont's HSN).

At a saddle-node x0 (one zero eigenvalue, the others off the imaginary axis:
n_s stable, n_u unstable) an orbit that leaves along the centre manifold and
returns to x0 is a saddle-node on an invariant circle (SNIC): a family of
cycles is born there with a period growing like pi / sqrt(c |alpha -
alpha_SN|). The truncated boundary-value problem (Champneys, Kuznetsov &
Sandstede 1996; as homoclinic.py, T fixed)

    x'(tau) = T f(x, p)                  orthogonal collocation, NTST x NCOL
    f(x0, p) = 0,   g(x0, p) = 0         x0 a saddle-node (g: bordered fold test)
    L_s^T (x(0) - x0) = 0                x(0) in the centre-unstable subspace
    L_u^T (x(1) - x0) = 0                x(1) in the centre-stable subspace
    phase condition

has n_s + n_u + 1 = n boundary rows, like HOM-C's n, so its unknowns and
Jacobian are HOM-C's (``HomoclinicProblem``) with other subspaces and g. The
fold test g solves [[A, b], [c^T, 0]] [v; g] = [0; 1] (Govaerts 2000,
Sec. 4.4), b and c the null vectors of A^T and A at the last accepted point.
The parameters therefore lie exactly on the fold curve (LP-C), which the SNIC
curve is a part of; the orbit makes the difference. The orbit leaves x0 along
the centre direction q on one side and returns from the other, so with p the
left null vector

    NCH test  <p, x(0) - x0> <p, x(1) - x0> / (|x(0) - x0| |x(1) - x0|)

is negative along the SNIC curve and vanishes where the orbit returns along
the strong stable manifold instead (or leaves along the strong unstable one):
the non-central saddle-node homoclinic orbit NCH, where a HOM-C curve (to the
saddle born there) meets the fold curve. The SNIC curve ends there, and where
a second eigenvalue reaches the imaginary axis (a BT point or a fold-Hopf).
"""

from __future__ import annotations

import numpy as np

from ..codegen import compile_model, parameter_vector
from ..errors import ParameterError
from ..model_files import load_model
from .build import two_parameter_bounds
from .collocation import Discretisation
from .core import ContinuationOptions, CurveEnd
from .cycle_ends import slow_passage
from .homoclinic import (HYPERBOLIC_MARGIN, HomoclinicProblem, OpenMesh, correct_start,
                         cut_orbit, invariant_basis, orbit_of, trace_homoclinic)
from .normal_forms import fold_eigenvectors


#: smallest T |Re lambda_2| (lambda_2: the eigenvalue of the saddle-node
#: closest to the imaginary axis after the zero one) for which the orbit's
#: return along the centre direction is told apart from a return along the
#: strong stable one: the strong component must have decayed, e^(-20) ~ 2e-9,
#: where the centre one decays like 1/t only
RATE_TIMES_T = 20.0
#: largest NCH test value accepted at the start (it is ~0 at an NCH point, the
#: end of a HOM-C curve, and negative along the SNIC curve)
NCH_START_MARGIN = 0.05


def _centre_margin(A) -> float:
    """A real-part threshold between the eigenvalue closest to the imaginary
    axis (the saddle-node's zero) and the others."""
    distances = np.sort(np.abs(np.linalg.eigvals(A).real))
    return 0.5 * (distances[0] + distances[1]) if len(distances) > 1 else 1.0


class SaddleNodeHomoclinicProblem(HomoclinicProblem):
    """SNIC-C: the defining system of the module doc."""

    start = None  # the start point (which may be an NCH point itself)

    def __init__(self, compiled, base, indices, mesh, period, x_ref, saddle,
                 adapt_mesh: bool = True):
        A = compiled.jacobian(np.asarray(saddle, float), np.asarray(base, float))
        self.fold_c, self.fold_b = fold_eigenvectors(A)
        super().__init__(compiled, base, indices, mesh, period, x_ref, saddle,
                         adapt_mesh=adapt_mesh)

    def _bases(self, A):
        margin = _centre_margin(A)
        Zs, ks = invariant_basis(A.T, stable=True, margin=margin)
        Zu, ku = invariant_basis(A.T, stable=False, margin=margin)
        return Zs, ks, Zu, ku

    def _check_equilibrium(self, A, saddle):
        if self.n_stable + self.n_unstable != self.model.n_states - 1:
            raise ParameterError(
                f"the equilibrium at {np.round(saddle, 6).tolist()} is not a saddle-node with "
                f"one eigenvalue near zero (eigenvalues "
                f"{np.round(np.linalg.eigvals(A), 6).tolist()})")

    def _extra_boundary(self, A, saddle, alpha) -> list:
        n = len(A)
        system = np.block([[A, self.fold_b[:, None]], [self.fold_c[None, :], np.zeros((1, 1))]])
        return [np.linalg.solve(system, np.concatenate([np.zeros(n), [1.0]]))[-1]]

    def _centre_components(self, u):
        """(<p, x(0) - x0>, <p, x(1) - x0>) over the distances, p the left null vector."""
        n = self.model.n_states
        saddle = u[self.saddle_slots]
        _, p = fold_eigenvectors(self.compiled.jacobian(saddle, self.parameters_at(u)))
        p = p / np.linalg.norm(p)  # the components as cosines (NCH_START_MARGIN)
        x = u[self.x_slots]
        leaving, returning = x[:n] - saddle, x[-n:] - saddle
        return (float(p @ leaving) / max(np.linalg.norm(leaving), 1e-300),
                float(p @ returning) / max(np.linalg.norm(returning), 1e-300))

    def slowest_other_rate(self, u) -> float:
        """|Re lambda_2|: the slowest rate of the saddle-node besides the zero one."""
        return float(np.sort(np.abs(self.saddle_eigenvalues(u).real))[1])

    def test_functions(self, u, tangent) -> dict:
        leaving, returning = self._centre_components(u)
        return {"NCH": leaving * returning}

    def classify(self, name, u, tangent):
        eigenvalues = self.saddle_eigenvalues(u)
        return name, {"saddle": u[self.saddle_slots].tolist(),
                      "eigenvalues": [[z.real, z.imag] for z in eigenvalues],
                      **self.orbit_data(u)}

    def accept(self, u, tangent) -> None:
        """End the curve past an NCH point (the orbit no longer leaves and
        returns on opposite sides of x0) or where a second eigenvalue reaches
        the imaginary axis; else new references."""
        leaving, returning = self._centre_components(u)
        at_start = self.start is not None and np.array_equal(u, self.start)  # maybe an NCH
        if leaving * returning > 0 and not at_start:
            raise CurveEnd("NCH", "the orbit returns to the saddle-node along its strong "
                           "stable manifold here (non-central saddle-node homoclinic orbit, "
                           "where a HOM-C curve meets the fold curve): the SNIC curve ends",
                           keep=False)
        eigenvalues = self.saddle_eigenvalues(u)
        distances = np.sort(np.abs(eigenvalues.real))
        scale = max(1.0, float(np.abs(eigenvalues).max()))
        if len(distances) > 1 and distances[1] < HYPERBOLIC_MARGIN * scale:
            raise CurveEnd("degenerate", "a second eigenvalue of the saddle-node reaches the "
                           "imaginary axis (a Bogdanov-Takens or fold-Hopf point): the SNIC "
                           "curve ends")
        rate = self.slowest_other_rate(u)
        if rate * self.period < RATE_TIMES_T:
            raise CurveEnd("truncation", f"the saddle-node's slowest other rate {rate:.3g} is "
                           f"too slow for T = {self.period:.6g} (T |lambda_2| < "
                           f"{RATE_TIMES_T:g}): a return along the centre direction can no "
                           f"longer be told from one along the strong stable manifold (near "
                           f"a BT point); the SNIC curve ends before it", keep=False)
        self.update_references(u)

    def update_references(self, u) -> None:
        super().update_references(u)
        self.fold_c, self.fold_b = fold_eigenvectors(
            self.compiled.jacobian(u[self.saddle_slots], self.parameters_at(u)))

    def explain_end(self, u, tangent):
        return None


def _start_from_cycle(model, compiled, base, mesh, ncol, profile, period):
    """(OpenMesh, x, x0 guess): the last cycle of a family that ends at a SNIC,
    cut where it crawls through the bottleneck (its slowest point, which is
    also the guess for the saddle-node)."""
    disc = Discretisation(model.n_states, len(mesh) - 1, ncol, np.asarray(mesh, float))
    x = np.asarray(profile, float)[:-1].ravel()
    passage = slow_passage(compiled, base, disc, x)
    if passage is None:
        raise ParameterError(f"the orbit (period {period:.6g}) has no bottleneck: it is not "
                             f"close to a SNIC; start from a cycle closer to the end of its "
                             f"family")
    if passage["equilibrium_kind"] not in ("bottleneck", "saddle-node"):
        raise ParameterError(f"the orbit lingers near a {passage['equilibrium_kind']}, not a "
                             f"saddle-node: a homoclinic orbit to it is continued as HOM-C")
    open_mesh, x_open = cut_orbit(model, disc, x, passage["tau"])
    return open_mesh, x_open, np.array(passage["slowest_state"], float)


def continue_snic(model, start, free, bounds, *, options: ContinuationOptions | None = None,
                  adapt_mesh: bool = True, progress: bool = False):
    """Continue the homoclinic orbit to a saddle-node near ``start`` in
    ``free = (p1, p2)``: a Branch of kind "SNIC-C" (module doc).

    ``start`` is the SNIC point of an LC-C branch (the family's last cycle is
    cut in its bottleneck and corrected with ``p2`` fixed), the NCH end of a
    HOM-C curve, or a point of a SNIC-C branch. T is the start orbit's period.
    Branch: ``values`` (p1, p2) on the fold curve, ``states`` the
    saddle-node, ``eigenvalues`` its eigenvalues; ``extra`` as HOM-C's
    (``period``, ``max``, ``min``, ``mesh``, ``profile``, ``distance``).
    Special point NCH where the curve ends on a non-central orbit.
    """
    model = load_model(model)
    free = tuple(free)
    indices, bounds = two_parameter_bounds(model, start, free, bounds)
    compiled = compile_model(model)
    parameters, mesh, ncol, profile, period = orbit_of(start)
    base = parameter_vector(model, parameters)
    profile = np.asarray(profile, float)
    if getattr(start, "branch_kind", None) in ("HOM-C", "SNIC-C"):  # an open orbit
        open_mesh = OpenMesh(model.n_states, len(mesh) - 1, int(ncol), np.asarray(mesh, float))
        x = profile.ravel()
        saddle = np.asarray(start.data["saddle"], float)
    else:
        open_mesh, x, saddle = _start_from_cycle(model, compiled, base, mesh, int(ncol),
                                                 profile, float(period))
    problem = SaddleNodeHomoclinicProblem(compiled, base, indices, open_mesh, period, x, saddle,
                                          adapt_mesh=adapt_mesh)
    u0 = np.concatenate([x, saddle, base[list(indices)]])
    options = options or ContinuationOptions(step_size=0.01, max_step_size=0.2, max_points=200)
    u0 = correct_start(problem, u0, np.array([0.0, 1.0]), options,
                       "no homoclinic orbit to a saddle-node near the start: Newton on the "
                       "SNIC-C system did not converge ({failure})")
    rate = problem.slowest_other_rate(u0)
    if rate * period < RATE_TIMES_T:
        raise ParameterError(f"the start orbit's T = {period:.6g} is too short for the "
                             f"saddle-node's slowest other rate {rate:.3g} (need T |lambda_2| "
                             f">= {RATE_TIMES_T:g}); start from a longer orbit (a cycle closer "
                             f"to the SNIC, or the NCH end of a HOM-C curve with a longer T, "
                             f"e.g. one started at a BT point)")
    leaving, returning = problem._centre_components(u0)
    if leaving * returning > NCH_START_MARGIN:  # (near zero at an NCH start)
        raise ParameterError(f"the orbit found at the start leaves and returns to the "
                             f"saddle-node on the same side of it (NCH test "
                             f"{leaving * returning:.3g} > 0): not a SNIC")
    problem.update_references(u0)
    problem.start = u0.copy()
    return trace_homoclinic(model, "SNIC-C", problem, u0, free, bounds, base, options, progress)


__all__ = ["SaddleNodeHomoclinicProblem", "continue_snic"]
