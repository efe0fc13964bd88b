"""Cycle families that end on a homoclinic orbit or a SNIC: their own end
status, the estimated parameter against an independent reference (shooting
of the saddle's manifolds; an exact SNIC), and no spurious cycle
bifurcations on planar models near those ends."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import bifurc as bf
from bifurc.continuation import (ContinuationOptions, continue_cycles, continue_equilibria,
                                 find_cycle)
from bifurc.continuation.floquet import nontrivial, trivial_error

B1 = -1.0


def bogdanov_takens():
    """x' = y, y' = b1 + b2 y + x^2 + x y: a saddle at (1, 0), a focus at (-1, 0)
    with a subcritical Hopf point at b2 = 1 whose unstable cycles grow into a
    homoclinic loop of the saddle."""
    return bf.Model.from_spec({
        "name": "bt_loop", "states": {"x": -1.0, "y": 0.0},
        "parameters": {"b1": B1, "b2": 0.9},
        "equations": {"x": "y", "y": "b1 + b2*y + x**2 + x*y"}})


def manifold_split(b2):
    """Signed gap, on the section y = 0 left of the focus, between the saddle's
    unstable manifold (forward in time) and its stable manifold (backward):
    zero on the homoclinic orbit (shooting, independent of collocation)."""
    def field(_, z):
        x, y = z
        return [y, B1 + b2 * y + x**2 + x * y]

    J = np.array([[0.0, 1.0], [2.0, b2 + 1.0]])
    values, vectors = np.linalg.eig(J)
    unstable = vectors[:, np.argmax(values.real)].real
    stable = vectors[:, np.argmin(values.real)].real
    # the branches that go round the focus: towards smaller x
    unstable = -unstable if unstable[0] > 0 else unstable
    stable = -stable if stable[0] > 0 else stable
    def crossing(_, z):
        return z[1]

    def escape(_, z):  # y' ~ x^2 blows up in finite time once the orbit escapes
        return abs(z[0]) + abs(z[1]) - 20.0
    escape.terminal = True

    def first_left_crossing(direction, start):
        sol = solve_ivp(field, (0, direction * 60), start, rtol=1e-12, atol=1e-14,
                        events=[crossing, escape])
        return [z[0] for z in sol.y_events[0] if z[0] < -1.0][0]

    eps = 1e-7
    x_u = first_left_crossing(1, np.array([1.0, 0.0]) + eps * unstable)
    x_s = first_left_crossing(-1, np.array([1.0, 0.0]) + eps * stable)
    return x_u - x_s


@pytest.fixture(scope="module")
def loop_family():
    model = bogdanov_takens()
    eq = continue_equilibria(model, free="b2", bounds=(0.0, 2.0), start=[-1.0, 0.0])
    hopf = [p for p in eq.special_points if p.kind == "H"]
    assert len(hopf) == 1 and hopf[0].parameters["b2"] == pytest.approx(1.0, abs=1e-10)
    cycles = continue_cycles(model, hopf[0], bounds=(0.0, 2.0), ntst=60,
                             options=ContinuationOptions(step_size=0.05, max_step_size=0.5,
                                                         max_points=400))
    return cycles


def test_family_ends_on_the_homoclinic_orbit_found_by_shooting(loop_family):
    reference = brentq(manifold_split, 0.6, 0.9, xtol=1e-13)
    end = loop_family.ends[-1]
    assert end["status"] == "homoclinic", end
    hom = loop_family.special_points[-1]
    assert hom.kind == "HOM" and hom.index == len(loop_family) - 1
    assert hom.data["equilibrium_kind"] == "saddle"
    np.testing.assert_allclose(hom.data["equilibrium"], [1.0, 0.0], atol=1e-10)
    error = abs(hom.data["estimate"] - reference)
    assert error < 1e-6
    assert error <= 10 * hom.data["uncertainty"] + 1e-9  # the claimed uncertainty is honest
    assert "homoclinic" in end["message"] and "saddle" in end["message"]


def test_planar_family_reports_no_period_doubling_or_torus(loop_family):
    """Two states: neither PD (a planar flow preserves orientation, mu_2 > 0) nor
    NS (one non-trivial multiplier) can occur, however large mu_2 grows."""
    kinds = {p.kind for p in loop_family.special_points}
    assert not kinds & {"PD", "NS"}, loop_family.summary()
    mu2 = np.array([nontrivial(m)[0] for m in loop_family.eigenvalues])
    assert np.all(mu2.real > 0) and np.all(mu2.imag == 0)
    assert mu2.real.max() > 1e6  # the unstable cycles near the loop
    errors = loop_family.extra["trivial_error"]
    assert np.all(errors[loop_family.stable | ~loop_family.stable] >= 0)
    assert errors.max() < 1e-6  # trusted up to the end


def snic_model():
    """r' = r (1 - r^2), theta' = b - cos(theta) in Cartesian form: the unit
    circle is a cycle of period 2 pi / sqrt(b^2 - 1) with multipliers 1 and
    exp(-2 T), for b > 1; a saddle-node appears on it at b = 1 (a SNIC)."""
    return bf.Model.from_spec({
        "name": "snic_circle", "states": {"x": 1.0, "y": 0.0}, "parameters": {"b": 2.0},
        "equations": {"x": "x*(1 - x**2 - y**2) - y*(b - x)",
                      "y": "y*(1 - x**2 - y**2) + x*(b - x)"}})


def test_snic_end_from_a_found_cycle_both_directions():
    model = snic_model()
    orbit = find_cycle(model, ntst=40)
    assert orbit.period == pytest.approx(2 * math.pi / math.sqrt(3), rel=1e-9)
    family = continue_cycles(model, orbit, free="b", bounds=(0.5, 3.0),
                             options=ContinuationOptions(step_size=0.05, max_step_size=0.5,
                                                         max_points=400))
    # restarted from a PeriodicOrbit, the family is traced both ways
    assert family.values[:, 0].max() == pytest.approx(3.0)
    assert family.values[:, 0].min() < 1.01
    statuses = {end["direction"]: end["status"] for end in family.ends}
    assert statuses == {"backward": "homoclinic", "forward": "bound"}
    snic = family.special_points[0]
    assert snic.kind == "SNIC" and snic.index == 0
    assert abs(snic.data["estimate"] - 1.0) < 1e-8
    assert abs(snic.data["estimate"] - 1.0) <= 10 * snic.data["uncertainty"] + 1e-12
    b, period = family.values[:, 0], family.extra["period"]
    np.testing.assert_allclose(period, 2 * np.pi / np.sqrt(b**2 - 1), rtol=1e-8)
    logs = np.log(np.abs([nontrivial(m)[0] for m in family.eigenvalues]))
    # the contraction exp(-2 T) down to 1e-17, resolved on the default 50 intervals
    resolved = period < 20
    np.testing.assert_allclose(logs[resolved], -2 * period[resolved], rtol=1e-4)
    assert max(trivial_error(m) for m in family.eigenvalues) < 1e-6


def test_relaxation_oscillations_are_not_mistaken_for_a_snic():
    """Van der Pol's cycles slow down along the slow manifold (speed ratio far
    below 1e-3 for large m) and their period grows with m, but the parameter
    keeps moving: no homoclinic end, no PD/NS."""
    model = bf.Model.from_spec({"name": "vdp_ends", "states": {"x": 2.0, "y": 0.0},
                                "equations": {"x": "y", "y": "m*(1 - x**2)*y - x"},
                                "parameters": {"m": 1.0}})
    orbit = find_cycle(model, ntst=80)
    family = continue_cycles(model, orbit, free="m", bounds=(0.5, 12.0), ntst=80,
                             options=ContinuationOptions(step_size=0.1, max_step_size=1.0,
                                                         max_points=300))
    assert {end["status"] for end in family.ends} == {"bound"}, family.summary()
    assert not {p.kind for p in family.special_points} & {"PD", "NS", "HOM", "SNIC"}
