"""The independent E/I reference (tests/ei_reference.py) checked on its own:
its hand-derived Jacobian against central finite differences of its vector
field, and its equilibria against the vector field (both written from
docs/models.md, sharing no code with bifurc)."""

import numpy as np

from ei_reference import DEFAULTS, INITIAL, equilibria, field, jacobian


def test_reference_jacobian():
    """Central differences with step 1e-6 agree to about 1e-9 (truncation ~h^2
    times the third derivatives, round-off ~eps/h); 1e-7 leaves room for it."""
    f = field(DEFAULTS)
    x = INITIAL + np.array([0.05, 0.3, 0.04, 0.02, -0.1, 0.03])
    step = 1e-6
    numeric = np.column_stack([(f(0.0, x + step * e) - f(0.0, x - step * e)) / (2 * step)
                               for e in np.eye(6)])
    np.testing.assert_allclose(jacobian(DEFAULTS, x), numeric, rtol=1e-7, atol=1e-7)


def test_reference_equilibria_solve_the_equations():
    """The reduction to one curve finds states where the vector field vanishes,
    one at the defaults (no folds at eta_i = -5) and three in the bistable
    regime J_ee = 30, eta_e = -6 (docs/studies.md, bistable)."""
    (x,) = equilibria(DEFAULTS)
    assert np.max(np.abs(field(DEFAULTS)(0.0, x))) < 1e-12
    bistable = {**DEFAULTS, "J_ee": 30.0, "eta_e": -6.0}
    states = equilibria(bistable)
    assert len(states) == 3
    for state in states:
        assert np.max(np.abs(field(bistable)(0.0, state))) < 1e-12
