"""Study applications (--quick): focal recruitment, virtual lesions and working
memory. Every number is measured again here without the study's helpers: the
node's equilibria and folds from a hand-derived reduction to one equation, the
network's Jacobian and its eigenvalues (numpy), the stationary covariance by
diagonalisation, graph distances by Floyd-Warshall, onsets and rank
correlations with plain numpy/scipy on the saved arrays, held memory states as
equilibria of the 4-unit network (scipy.optimize.root); and the linearised FC
against a noisy simulation."""

import json
import math

import numpy as np
import pytest
from bifurc.studies import run_study
from bifurc.studies.applications import fc_from_jacobian, graph_distance, onset_times
from scipy.optimize import brentq, minimize_scalar, root
from scipy.stats import rankdata
from test_msf_oracles import NodeFunctions, network_jacobian

import bifurc as bf
from bifurc.connectome import load_connectome

BISTABLE = {"J_ee": 30.0, "eta_e": -6.0}


class ReducedNode:
    """Equilibria of the ei node (models/ei.toml) on the synchronous manifold of a
    network with coupling eps, derived by hand. At an equilibrium s_e = r_e,
    s_i = r_i, and r' = 0 gives v = -delta / (2 pi tau r). On that manifold the
    network input adds eps g_e s_e to v_e' (eps g_i s_e to v_i'); multiplied by
    tau like the rest of the equation, it turns J_ee into J_ee + eps g_e (J_ie
    into J_ie + eps g_i). Then
      I: v_i^2 + eta_i - (pi tau_i r_i)^2 + tau_i ((J_ie + eps g_i) r_e - J_ii r_i) + I_i = 0
         decreases from +inf to -inf in r_i > 0: one root r_i(r_e) (brentq);
      E: eta_e(r_e) = (pi tau_e r_e)^2 - v_e^2 - tau_e ((J_ee + eps g_e) r_e - J_ei r_i(r_e)) - I_e,
    so the equilibria at eta_e are the roots of eta_e(r_e) = eta_e and the folds
    are the local extrema of eta_e(r_e)."""

    def __init__(self, eps=0.0, **changes):
        self.p = {**dict(bf.load_model("ei").parameters()), **changes}
        self.eps = eps
        self.grid = np.geomspace(1e-5, 2.0, 3000)  # r_e (kHz)

    def r_i(self, r_e):
        p = self.p

        def inhibitory(r):
            v = -p["delta_i"] / (2 * math.pi * p["tau_i"] * r)
            return (v * v + p["eta_i"] - (math.pi * p["tau_i"] * r) ** 2 + p["I_i"]
                    + p["tau_i"] * ((p["J_ie"] + self.eps * p["g_i"]) * r_e - p["J_ii"] * r))

        return brentq(inhibitory, 1e-9, 10.0, xtol=1e-18, rtol=1e-15)

    def eta_e(self, r_e):
        p = self.p
        v = -p["delta_e"] / (2 * math.pi * p["tau_e"] * r_e)
        excitation = (p["J_ee"] + self.eps * p["g_e"]) * r_e - p["J_ei"] * self.r_i(r_e)
        return (math.pi * p["tau_e"] * r_e) ** 2 - v * v - p["I_e"] - p["tau_e"] * excitation

    def state(self, r_e):
        p, r_i = self.p, self.r_i(r_e)
        return np.array([r_e, -p["delta_e"] / (2 * math.pi * p["tau_e"] * r_e), r_e,
                         r_i, -p["delta_i"] / (2 * math.pi * p["tau_i"] * r_i), r_i])

    def equilibria(self, eta):
        """States of the equilibria at eta_e = eta, by increasing r_e."""
        F = np.array([self.eta_e(r) - eta for r in self.grid])
        return [self.state(brentq(lambda r: self.eta_e(r) - eta, self.grid[i], self.grid[i + 1],
                                  xtol=1e-18, rtol=1e-15))
                for i in np.flatnonzero(F[:-1] * F[1:] < 0)]

    def folds(self):
        """eta_e at the local maxima and minima of eta_e(r_e), by increasing r_e."""
        slope = np.diff([self.eta_e(r) for r in self.grid])
        values = []
        for i in np.flatnonzero(slope[:-1] * slope[1:] < 0):
            sign = 1.0 if slope[i] > 0 else -1.0  # a maximum where eta_e(r_e) turns down
            best = minimize_scalar(lambda r, sign=sign: -sign * self.eta_e(r), method="bounded",
                                   bounds=(self.grid[i], self.grid[i + 2]),
                                   options={"xatol": 1e-14})
            values.append(self.eta_e(best.x))
        return values


def _stationary_correlation(J, noise_variance, n_states, state=0):
    """Correlations of ``state`` across nodes for dx = J x dt + B dW, B B^T = Q
    diagonal, by diagonalisation (not a Lyapunov solver): with J = V diag(lam) V^-1
    and S = V X V^H, J S + S J^T + Q = 0 becomes
    X_ij (lam_i + conj(lam_j)) = -(V^-1 Q V^-H)_ij."""
    lam, V = np.linalg.eig(J)
    V_inv = np.linalg.inv(V)
    Q = np.tile(noise_variance, J.shape[0] // n_states)
    X = -((V_inv * Q[None, :]) @ V_inv.conj().T) / (lam[:, None] + lam.conj()[None, :])
    S = (V @ X @ V.conj().T).real
    block = S[state::n_states, state::n_states]
    d = np.sqrt(np.diag(block))
    return block / np.outer(d, d), lam


def _tvb76():
    C = load_connectome("tvb76", remove_isolated=True).weights
    return C, C / C.sum(axis=1, keepdims=True)

FIGURES = ("recruitment", "recruitment_threshold", "lesion", "working_memory")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("applications")
    files = run_study("applications", out, quick=True)
    return out, files, json.loads((out / "summary.json").read_text())


def test_files_written(study):
    out, files, _ = study
    for stem in FIGURES:
        for suffix in (".png", ".pdf"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000
            assert out / f"{stem}{suffix}" in files
    for name in ("summary.json", "recruitment.npz", "lesion.npz", "memory.npz", "branches.json",
                 "run_recruitment.npz", "run_memory.npz"):
        assert (out / name).exists()


def test_the_bistable_node(study):
    """Equilibria and folds of the isolated node against the hand-derived reduction."""
    _, _, summary = study
    node = summary["node"]
    reduced = ReducedNode(**BISTABLE)
    low, saddle, high = reduced.equilibria(BISTABLE["eta_e"])
    compiled = bf.compile_model(bf.load_model("ei"))
    for state in (low, saddle, high):
        assert np.linalg.norm(compiled.vector_field(state, bf.load_model("ei").parameters(
            **BISTABLE))) < 1e-13
    # continuation and Newton against brentq: measured 1.8e-12 (relative) and 7e-15
    assert node["low_rate_hz"] == pytest.approx(1000 * low[0], rel=1e-10)
    assert node["saddle_rate_hz"] == pytest.approx(1000 * saddle[0], rel=1e-10)
    assert node["high_rate_hz"] == pytest.approx(1000 * high[0], rel=1e-10)
    lp1, lp2 = reduced.folds()  # the maximum (low branch) first, then the minimum
    assert node["folds_eta_e"]["LP1"] == pytest.approx(lp1, abs=5e-13)
    assert node["folds_eta_e"]["LP2"] == pytest.approx(lp2, abs=5e-13)
    assert lp2 < BISTABLE["eta_e"] < lp1


def test_focal_stimulation_recruits_the_brain_in_order_of_distance(study):
    out, _, summary = study
    node, recruitment = summary["node"], summary["recruitment"]
    C, W = _tvb76()
    n = len(C)
    # the rest state: the low equilibrium of the synchronous system at eps = 13, and
    # the eigenvalues of the full 74-node Jacobian there (numpy)
    eps = recruitment["eps"]
    rest = ReducedNode(eps=eps, **BISTABLE).equilibria(BISTABLE["eta_e"])[0]
    system = NodeFunctions(bf.load_model("ei"), BISTABLE, eps=eps)
    assert np.linalg.norm(system.homogeneous(rest)) < 1e-13
    assert recruitment["rest_rate_hz"] == pytest.approx(1000 * rest[0], rel=1e-13)  # 2e-15
    spectrum = np.linalg.eigvals(network_jacobian(system.Df(rest), system.H, W, eps))
    # 6 x 6 eigenproblems (the study) against one 444 x 444 (|J| about 30): measured
    # 1.8e-16, allowed the roundoff that a 444 x 444 eigensolver may reach
    assert recruitment["rest_max_growth_per_ms"] == pytest.approx(spectrum.real.max(), abs=1e-13)
    assert spectrum.real.max() < 0  # stable: a run without the stimulus stays there
    assert recruitment["control_recruited"] == 0
    assert recruitment["control_max_rate_hz"] < node["saddle_rate_hz"]
    # onsets measured again from the saved run: the first sample at or above the
    # saddle's rate, region by region
    run = bf.Trajectory.load(out / "run_recruitment.npz")
    data = np.load(out / "recruitment.npz")
    threshold = node["saddle_rate_hz"] / 1000
    onsets = np.full(n, np.nan)
    for k in range(n):
        above = np.flatnonzero(run["r_e"][:, k] >= threshold)
        if above.size:
            onsets[k] = run.time[above[0]]
    np.testing.assert_array_equal(onsets, data["onset_ms"])
    assert np.isfinite(onsets).sum() == recruitment["recruited"] == recruitment["n_regions"] == n
    assert 1000 * run["r_e"][-1].min() == pytest.approx(recruitment["final_rate_hz"]["min"])
    assert recruitment["final_rate_hz"]["min"] > node["saddle_rate_hz"]
    # causality: the focus (largest in + out strength) switches during its
    # stimulus, the others after it
    focus = int(np.argmax(C.sum(axis=0) + C.sum(axis=1)))
    assert focus == recruitment["focus"]
    others = np.arange(n) != focus
    stimulus = recruitment["stimulus"]
    assert onsets[focus] == recruitment["onset_ms"]["focus"]
    assert stimulus["start_ms"] < onsets[focus] < stimulus["stop_ms"]
    assert np.nanmin(onsets[others]) == recruitment["onset_ms"]["min_other"] > onsets[focus]
    # graph distance from the focus (edge j -> k of length 1 / W[k, j]) by
    # Floyd-Warshall, and the Spearman correlation as the Pearson correlation of ranks
    length = np.full((n, n), np.inf)
    length[W.T > 0] = 1.0 / W.T[W.T > 0]
    np.fill_diagonal(length, 0.0)
    for k in range(n):
        length = np.minimum(length, length[:, k, None] + length[None, k, :])
    np.testing.assert_allclose(data["distance"], length[focus], rtol=1e-12)
    rho = np.corrcoef(rankdata(onsets[others]), rankdata(length[focus][others]))[0, 1]
    assert recruitment["spearman_onset_vs_distance"] == pytest.approx(rho, abs=1e-12)
    assert rho > 0.5
    # the first region to follow is among the three with the strongest input from the focus
    first = recruitment["first_recruited"]
    assert onsets[first] == np.nanmin(onsets[others]) and first != focus
    rank = int((W[:, focus] > W[first, focus]).sum())
    assert rank == recruitment["first_recruited_weight_rank"] <= 2
    # below the threshold coupling nothing spreads; at the study's eps everything does
    assert recruitment["scan_fraction_recruited"] == [0.0, 1.0]


def test_lesion_scan(study):
    out, _, summary = study
    lesion = summary["lesion"]
    data = np.load(out / "lesion.npz")
    C, W = _tvb76()
    n = len(C)
    ei = bf.load_model("ei")
    eps = lesion["eps"]
    (rest,) = ReducedNode(eps=eps, **lesion["node_parameters"]).equilibria(
        lesion["node_parameters"]["eta_e"])  # the only equilibrium
    assert lesion["rest_rate_hz"] == pytest.approx(1000 * rest[0], rel=1e-9)  # 1.8e-11
    system = NodeFunctions(ei, lesion["node_parameters"], eps=eps)
    noise = np.zeros(ei.n_states)
    noise[[ei.state_index(name) for name in lesion["noise_states"]]] = lesion["noise_sigma"] ** 2
    fc, spectrum = _stationary_correlation(network_jacobian(system.Df(rest), system.H, W, eps),
                                           noise, ei.n_states)
    # the study's rest state comes from Newton, ours from brentq: measured 3e-12
    assert lesion["intact_leading_eigenvalue_per_ms"] == pytest.approx(spectrum.real.max(),
                                                                       abs=1e-10)
    assert spectrum.real.max() < 0
    # diagonalisation against scipy's Lyapunov solver (cond(V) ~ 2e4): measured 2.6e-11
    np.testing.assert_allclose(data["fc_linear"], fc, rtol=0, atol=1e-9)
    iu = np.triu_indices(n, 1)
    assert lesion["mean_fc_intact"] == pytest.approx(fc[iu].mean(), rel=1e-8)  # 2.2e-10
    # FC of the linearised network against a noisy simulation (20 s: the
    # sampling error of the correlations is about 0.02 per pair)
    correlation = np.corrcoef(data["fc_linear"][iu], data["fc_simulated"][iu])[0, 1]
    assert lesion["fc_correlation_linear_vs_simulated"] == pytest.approx(correlation, abs=1e-12)
    assert correlation > 0.7
    assert data["fc_simulated"][iu].mean() == pytest.approx(fc[iu].mean(), abs=0.01)  # 6.7e-4
    # each lesion: the leading eigenvalue of the renormalised network, as the
    # largest real part over the modes L of W_m of eig(Df + eps L H) (numpy); for
    # the lesion ranked first, the full 438 x 438 Jacobian, its FC and the effect
    lesioned = [int(m) for m in data["lesioned"]]
    assert sorted(lesion["ranking"]) == sorted(lesioned)
    A = system.Df(rest)
    for m in lesioned:
        keep = np.arange(n) != m
        W_m = C[np.ix_(keep, keep)] / C[np.ix_(keep, keep)].sum(axis=1, keepdims=True)
        leading = max(np.linalg.eigvals(A + eps * L * system.H).real.max()
                      for L in np.linalg.eigvals(W_m))
        assert data["leading_eigenvalue"][m] == pytest.approx(leading, abs=1e-10)
        if m == lesion["ranking"][0]:
            fc_m, spectrum_m = _stationary_correlation(network_jacobian(A, system.H, W_m, eps),
                                                       noise, ei.n_states)
            assert spectrum_m.real.max() == pytest.approx(leading, abs=1e-13)
            effect = np.abs(fc_m - fc[np.ix_(keep, keep)])[np.triu_indices(n - 1, 1)].mean()
            assert data["effect"][m] == pytest.approx(effect, rel=1e-8)  # measured 1.7e-10
    effect = data["effect"][lesioned]
    assert lesion["ranking"] == [lesioned[i] for i in np.argsort(-effect)]
    strength = C.sum(axis=0) + C.sum(axis=1)
    rho = np.corrcoef(rankdata(effect), rankdata(strength[lesioned]))[0, 1]
    assert lesion["spearman_effect_vs_strength"] == pytest.approx(rho, abs=1e-12)
    assert rho > 0.5


def test_working_memory(study):
    """The held states are equilibria of the 4-unit network (W = (1 - I) / 3,
    eps = 2) with the cued units high: scipy.optimize.root from the isolated
    node's states. The run approaches them at the rate of the slowest eigenvalue
    of the network's Jacobian there, from an offset of order one at the end of
    the cue: that bounds the distance at each checkpoint."""
    out, _, summary = study
    node, memory = summary["node"], summary["memory"]
    data = np.load(out / "memory.npz")
    n_units, eps = memory["units"], memory["eps"]
    W = (np.ones((n_units, n_units)) - np.eye(n_units)) / (n_units - 1)
    system = NodeFunctions(bf.load_model("ei"), BISTABLE, eps=eps)

    def rhs(y):
        X = y.reshape(n_units, -1)
        return (np.array([system.f(x) for x in X]) + eps * W @ X @ system.H.T).ravel()

    def jacobian(y):
        X = y.reshape(n_units, -1)
        J = np.kron(W, eps * system.H)
        for k, x in enumerate(X):
            J[6 * k:6 * k + 6, 6 * k:6 * k + 6] += system.Df(x)
        return J

    low, _, high = ReducedNode(**BISTABLE).equilibria(BISTABLE["eta_e"])
    assert node["folds_eta_e"]["LP2"] < -6.0 < node["folds_eta_e"]["LP1"]
    rates = memory["rates_hz"]
    assert max(rates["before_cues"]) < node["saddle_rate_hz"]
    cue_ends = [cue["stop_ms"] for cue in memory["cues"]]
    for name, held_units, since in (("after_first_cue", [0], cue_ends[0]),
                                    ("after_second_cue", [0, 2], cue_ends[1]),
                                    ("after_erase", [2], cue_ends[2])):
        time = memory["checkpoints_ms"][name]
        measured = 1000 * data["rates"][np.searchsorted(data["time"], time)]
        np.testing.assert_array_equal(measured, rates[name])  # the summary reads the run
        assert [r > node["saddle_rate_hz"] for r in measured] == [
            unit in held_units for unit in range(n_units)]
        guess = np.concatenate([high if unit in held_units else low for unit in range(n_units)])
        solution = root(rhs, guess, jac=jacobian, method="hybr", tol=1e-14)
        assert np.linalg.norm(rhs(solution.x)) < 1e-12
        slowest = np.linalg.eigvals(jacobian(solution.x)).real.max()
        assert slowest < 0  # a stable memory state
        expected = 1000 * solution.x.reshape(n_units, -1)[:, 0]
        # measured 7.9e-5, 8.2e-6 and 1.4e-8 against bounds 6.7e-4, 4.9e-5, 4.9e-5
        np.testing.assert_allclose(measured, expected, rtol=math.exp(slowest * (time - since)))
    # weak coupling: the held states stay close to the isolated node's equilibria
    assert rates["after_erase"][2] == pytest.approx(1000 * high[0], rel=0.05)
    assert rates["after_erase"][0] == pytest.approx(1000 * low[0], rel=0.2)
    assert memory["units_on_after_one_cue"] == [1, 4]


def test_helpers_against_exact_answers():
    # symmetric J, Q = q I: S = (q / 2) (-J)^-1
    rng = np.random.default_rng(1)
    M = rng.standard_normal((5, 5))
    J = -(M @ M.T + 5 * np.eye(5))
    S = 0.5 * np.linalg.inv(-J)
    d = np.sqrt(np.diag(S))
    np.testing.assert_allclose(fc_from_jacobian(J, np.array([1.0]), 1), S / np.outer(d, d), atol=1e-12)
    # a chain 0 -> 1 -> 2 with W[k, j] the weight of j -> k
    W = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.25, 0.0]])
    np.testing.assert_allclose(graph_distance(W, 0), [0.0, 2.0, 6.0])
    time = np.arange(5.0)
    rates = np.array([[0, 0], [1, 0], [3, 0], [1, 0], [0, 0]], dtype=float)
    np.testing.assert_array_equal(onset_times(time, rates, 2.0), [2.0, np.nan])
