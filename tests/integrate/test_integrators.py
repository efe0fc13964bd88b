"""Integrators against exact solutions and scipy references."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import bifurc as bf


def rotation_error(toy, integrator, duration=10.0, sample_interval=0.5):
    tr = bf.simulate(toy, {"w": 1.0}, duration, integrator, sample_interval=sample_interval)
    exact = np.column_stack([np.cos(tr.time), np.sin(tr.time)])
    return np.abs(tr.states[:, 0, :] - exact).max()


def test_rk4_is_fourth_order(toy):
    errors = [rotation_error(toy, bf.RK4(dt)) for dt in (0.1, 0.05, 0.025)]
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert all(14.0 < r < 18.0 for r in ratios), ratios


def test_rk4_order_on_ei_against_tight_reference(ei):
    reference = bf.simulate(ei, duration=40.0, integrator=bf.DormandPrince(rtol=1e-12, atol=1e-14),
                            sample_interval=1.0)
    errors = []
    for dt in (0.02, 0.01):
        tr = bf.simulate(ei, duration=40.0, integrator=bf.RK4(dt), sample_interval=1.0)
        errors.append(np.abs(tr.states - reference.states).max())
    assert 13.0 < errors[0] / errors[1] < 19.0, errors


@pytest.mark.parametrize("rtol", [1e-5, 1e-8])
def test_dormand_prince_meets_tolerance_with_dense_output(toy, rtol):
    # samples at 0.37 ms fall between steps: they come from the dense output
    error = rotation_error(toy, bf.DormandPrince(rtol=rtol, atol=rtol * 1e-3), sample_interval=0.37)
    assert error < 10 * rtol
    assert error > 1e-3 * rtol  # the control is not wastefully tight either


def test_dormand_prince_matches_scipy_on_ei(ei):
    p = ei.parameters().values
    compiled = bf.compile_model(ei)
    reference = solve_ivp(lambda t, x: compiled.vector_field(x, p), (0, 100), ei.initial_state(),
                          method="DOP853", rtol=1e-11, atol=1e-13, t_eval=np.arange(0, 100.5, 0.5))
    tr = bf.simulate(ei, duration=100.0, integrator=bf.DormandPrince(rtol=1e-8, atol=1e-10),
                     sample_interval=0.5)
    scale = np.abs(reference.y.T).max(axis=0)
    # global error of rtol 1e-8 over 100 ms (six PING periods): measured 6e-8 of the scale
    assert np.all(np.abs(tr.states[:, 0, :] - reference.y.T).max(axis=0) < 1e-6 * scale)
    assert tr.metadata["steps_accepted"] > 0


def test_default_ei_gamma_frequency_against_scipy(ei):
    """The default ei node oscillates at 60.14 Hz. Reference: scipy's DOP853 at
    rtol 1e-11 from the same initial state, the period between interpolated
    up-crossings of r_e's mid-range on the dense output once the transient has
    gone (successive periods agree to 1e-11 after 300 ms). RK4(0.05) with
    oscillation_frequency (mean-level crossings interpolated linearly between
    samples 0.05 ms apart, averaged over the last 300 ms) matches it to 5e-8
    (the interpolation, not RK4, dominates: dt = 0.01 gives the same); tolerance
    2e-6."""
    compiled = bf.compile_model(ei)
    p = ei.parameters().values
    reference = solve_ivp(lambda t, x: compiled.vector_field(x, p), (0, 400.0),
                          ei.initial_state(), method="DOP853", rtol=1e-11, atol=1e-12,
                          dense_output=True)
    t = np.linspace(300.0, 400.0, 20001)
    r_e = reference.sol(t)[0]
    level = 0.5 * (r_e.max() + r_e.min())
    up = np.flatnonzero((r_e[:-1] < level) & (r_e[1:] >= level))
    crossings = [brentq(lambda s: reference.sol(s)[0] - level, t[k], t[k + 1], xtol=1e-13)
                 for k in up]
    periods = np.diff(crossings)
    assert np.ptp(periods) < 1e-9 * periods[-1]  # settled
    expected_hz = 1000 / periods[-1]
    tr = bf.simulate(ei, duration=600.0, integrator=bf.RK4(0.05), record=["r_e"])
    frequency_hz = 1000 * bf.analysis.oscillation_frequency(tr.time, tr["r_e"][:, 0])
    assert frequency_hz == pytest.approx(expected_hz, rel=2e-6)
    assert expected_hz == pytest.approx(60.141441, abs=1e-6)  # the documented gamma rhythm


@pytest.mark.parametrize("integrator", [bf.EulerMaruyama(0.01), bf.StochasticHeun(0.01),
                                        bf.StochasticHeun(0.04)])
def test_ornstein_uhlenbeck_variance(toy, integrator):
    """dx = -k x dt + sigma dW has stationary variance sigma^2 / (2 k): checks the
    sqrt(dt) scaling of the increments (a dt scaling would change it with dt)."""
    k, sigma, n_nodes = 1.0, 0.5, 400
    network = bf.Network(toy, np.ones((n_nodes, n_nodes)), eps=0.0)
    tr = bf.simulate(network, {"w": 0.0, "k": k}, duration=60.0, integrator=integrator,
                     initial_state=[0.0, 0.0], sample_interval=1.0,
                     noise=bf.Noise({"x": sigma}), seed=3)
    x = tr["x"][10:]  # drop the transient (e^-10)
    expected = sigma**2 / (2 * k)
    assert abs(x.var() / expected - 1) < 0.04
    assert np.all(tr["y"] == 0.0)  # no noise on y, and y is not driven (w = 0)


def test_noise_is_reproducible_with_seed(toy):
    kwargs = dict(duration=5.0, integrator=bf.EulerMaruyama(0.01), noise=bf.Noise(0.3), seed=11)
    a = bf.simulate(toy, {"w": 0.0, "k": 1.0}, **kwargs)
    b = bf.simulate(toy, {"w": 0.0, "k": 1.0}, **kwargs)
    np.testing.assert_array_equal(a.states, b.states)


@pytest.mark.parametrize("integrator", [bf.RK4(0.01), bf.DormandPrince(rtol=1e-10, atol=1e-12)])
def test_step_stimulus_response(toy, integrator):
    """x' = -x + I with I stepping to 2 at t = 3: x = 2 (1 - exp(-(t - 3))) after."""
    stimulus = bf.Stimulus("I", 2.0, start=3.0)
    tr = bf.simulate(toy, {"w": 0.0, "k": 1.0}, 8.0, integrator, initial_state=[0.0, 0.0],
                     sample_interval=0.1, stimuli=[stimulus])
    exact = np.where(tr.time < 3.0, 0.0, 2.0 * (1 - np.exp(-(tr.time - 3.0))))
    assert np.abs(tr["x"][:, 0] - exact).max() < 1e-9  # measured 6e-11 (RK4), 5e-11 (DP)


@pytest.mark.parametrize("integrator", [bf.RK4(0.01), bf.DormandPrince(rtol=1e-9)])
def test_pulse_train_on_chosen_nodes(toy, integrator):
    """x' = I integrates the input: after 5 pulses of width 1 and amplitude 3, x = 15
    on the stimulated nodes and 0 elsewhere."""
    network = bf.Network(toy, np.ones((4, 4)), eps=0.0)
    stimulus = bf.Stimulus("I", 3.0, start=2.0, stop=21.5, period=4.0, width=1.0, nodes=[1, 3])
    tr = bf.simulate(network, {"w": 0.0}, 25.0, integrator, initial_state=[0.0, 0.0],
                     sample_interval=0.5, stimuli=[stimulus])
    np.testing.assert_allclose(tr["x"][-1], [0.0, 15.0, 0.0, 15.0], atol=1e-11)  # 1.3e-13
    # between pulses x is flat: 3 after the first pulse (t in [3, 6))
    assert abs(tr["x"][tr.time == 4.0][0, 1] - 3.0) < 1e-9


def test_divergence_is_an_error_that_says_when_and_where(toy):
    with pytest.raises(bf.DivergenceError, match=r"state `x` became non-finite at t = 1\.0") as info:
        bf.simulate(toy, {"w": 0.0, "c": 1.0}, 3.0, bf.RK4(0.001), sample_interval=0.01)
    partial = info.value.trajectory
    assert partial.status == "diverged"
    assert np.all(np.isfinite(partial.states))
    assert 0.9 < partial.time[-1] <= 1.01


def test_divergence_in_network_names_the_node(toy):
    network = bf.Network(toy, np.ones((3, 3)), eps=0.0)
    x0 = [[0.1, 0.0], [2.0, 0.0], [0.1, 0.0]]  # node 1 blows up first, at t = 0.5
    with pytest.raises(bf.DivergenceError, match="of node 1"):
        bf.simulate(network, {"w": 0.0, "c": 1.0}, 2.0, bf.RK4(0.001), initial_state=x0)
    tr = bf.simulate(network, {"w": 0.0, "c": 1.0}, 2.0, bf.RK4(0.001), initial_state=x0,
                     raise_on_divergence=False)
    assert tr.status == "diverged" and "node 1" in tr.message


def test_adaptive_divergence_is_reported(toy):
    with pytest.raises(bf.DivergenceError):
        bf.simulate(toy, {"w": 0.0, "c": 1.0}, 3.0, bf.DormandPrince())


def test_interrupt_keeps_computed_samples(toy, monkeypatch):
    import bifurc.integrate.runner as sim

    class InterruptingBar:
        def __init__(self, *args, **kwargs):
            self.calls = 0

        def update(self, amount):
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(sim, "tqdm", InterruptingBar)
    with pytest.warns(UserWarning, match="interrupted"):
        tr = bf.simulate(toy, duration=100.0, integrator=bf.RK4(0.01), sample_interval=0.1)
    assert tr.status == "interrupted"
    assert 1 < len(tr.time) < 1001
    np.testing.assert_allclose(tr["x"][:, 0], np.cos(tr.time), atol=1e-8)


@pytest.mark.parametrize("kwargs, message", [
    ({"integrator": bf.RK4(0.05), "sample_interval": 0.12}, "whole multiple of `dt`"),
    ({"duration": -1.0}, "`duration` must be positive"),
    ({"duration": math.nan}, "`duration` must be positive"),
    ({"noise": bf.Noise(0.1)}, "noise needs a stochastic integrator"),
    ({"initial_state": [1.0, 2.0, 3.0]}, "`initial_state` must have shape"),
    ({"initial_state": [math.nan, 0.0]}, "non-finite"),
    ({"record": ["z"]}, "unknown state 'z'"),
    ({"stimuli": [bf.Stimulus("nope", 1.0)]}, "unknown parameter 'nope'"),
    ({"stimuli": [bf.Stimulus("I", 1.0, start=5.0, stop=1.0)]}, "`stop` must be after `start`"),
    ({"stimuli": [bf.Stimulus("I", 1.0, nodes=[4])]}, "node 4 does not exist"),
    ({"stimuli": [bf.Stimulus("I", 1.0, period=2.0)]}, "needs both `period` and `width`"),
    ({"parameters": {"k": math.inf}}, "must be finite"),
    ({"integrator": "rk4"}, "must be an Integrator"),
])
def test_bad_simulation_input_is_named(toy, kwargs, message):
    kwargs = {"duration": 1.0, **kwargs}
    with pytest.raises(bf.ParameterError, match=message):
        bf.simulate(toy, **kwargs)


@pytest.mark.parametrize("make, message", [
    (lambda: bf.RK4(dt=-0.1), "`dt` must be positive"),
    (lambda: bf.DormandPrince(rtol=0.0), "`rtol` must be positive"),
    (lambda: bf.Noise(-1.0).amplitudes(bf.Model.from_spec(
        {"name": "m", "states": {"x": 0}, "equations": {"x": "-x"}}), 1), "noise sigma"),
])
def test_bad_integrator_options_are_named(make, message):
    with pytest.raises(bf.ParameterError, match=message):
        make()
