#!/usr/bin/env python
"""Benchmark: simulating a network of 6-D ``ei`` nodes, bifurc vs scipy (issue 2).

For each network size (``--nodes``) and global coupling (``--eps``) the script

1. builds a seeded synthetic connectome C (dense ``rng.random`` for small
   networks, ``scipy.sparse.random`` at ~5 % density for large ones; no
   self-connections; every row has at least one non-zero entry) and an
   initial state equal to the model default on every node plus
   ``1e-3 * uniform`` on r_e (kHz), so the nodes differ;
2. runs bifurc for ``--duration`` ms with RK4(dt=0.05), RK4(dt=0.01) and
   DormandPrince(rtol=1e-6, atol=1e-9), recording r_e every 0.1 ms. Every run
   is done twice in the same process; the table reports the second run's
   ``run_seconds`` (compilation excluded) and, separately, the first run's
   ``compile_seconds``;
3. runs ``scipy.integrate.solve_ivp(method="DOP853")`` with the same sample
   times on a plain vectorised numpy right-hand side written here from the
   equations of docs/models.md, sections 3-4 (bifurc's kernels are not used):

       F_k = f(x_k) + eps * sum_j W[k, j] H x_j,   W = D^-1 C,
       H[v_e, s_e] = g_e,  H[v_i, s_e] = g_i,

   at rtol 1e-6 / atol 1e-9 (the baseline of the speed-up column) and at the
   extra tolerances of ``--scipy-rtols`` (atol = 1e-3 rtol), which give the
   scipy time-versus-error curve used for the "equal accuracy" comparison;
4. computes a tight reference (DOP853, rtol 1e-10, atol 1e-12) and, for every
   method, the max |error| of r_e in Hz against it over the second half of
   the run (the last 500 ms of a 1000 ms run), the per-node oscillation
   frequency (bifurc.analysis.oscillation_frequency over the same window;
   mean over nodes) and the max relative frequency difference across nodes;
5. prints a markdown table per (nodes, eps).

scipy runs are timed once (no compilation involved). A scipy run whose
projected time (from a short pilot run) exceeds ``--scipy-budget`` seconds is
run for a shorter duration and its time scaled to the full duration; such rows
are marked "extrapolated" and have no accuracy figures.

Usage::

    python benchmarks/simulate_network.py                 # full run (~4 min on 2 cores)
    python benchmarks/simulate_network.py --quick         # smoke test (seconds)
    python benchmarks/simulate_network.py --nodes 90 --eps 1
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import scipy
import scipy.sparse as sps
from scipy.integrate import solve_ivp

import bifurc as bf
from bifurc.analysis import oscillation_frequency
from bifurc.codegen import cache_directory, module_key

MODEL_NAME = "ei"
SAMPLE_INTERVAL = 0.1  # ms
REFERENCE_TOLERANCES = (1e-10, 1e-12)
BASELINE_TOLERANCES = (1e-6, 1e-9)
PILOT_DURATION = 50.0  # ms, scipy pilot used to project run times of large networks
# Targets of issue 2 (90 nodes x 1000 ms).
TARGET_SECONDS = {0.05: 0.15, 0.01: 0.6}
TARGET_SPEEDUP = 50.0


# --------------------------------------------------------------------------- problem
def synthetic_connectome(n_nodes: int, rng: np.random.Generator, sparse: bool, density: float):
    """Non-negative C (C[k, j]: j -> k), no self-connections, no empty row."""
    if not sparse:
        C = rng.random((n_nodes, n_nodes))
        np.fill_diagonal(C, 0.0)
        return C
    C = sps.random(n_nodes, n_nodes, density=density, format="lil", random_state=rng)
    C.setdiag(0.0)
    C = sps.csr_matrix(C)
    C.eliminate_zeros()
    for k in np.flatnonzero(np.diff(C.indptr) == 0):  # rare at 5 % density, but possible
        C = sps.lil_matrix(C)
        j = (k + 1 + rng.integers(n_nodes - 1)) % n_nodes  # any node but k
        C[k, j] = rng.random() + 1e-3
        C = sps.csr_matrix(C)
    C.sort_indices()
    return C


def initial_states(model, n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    x0 = np.tile(model.initial_state(), (n_nodes, 1))
    x0[:, model.state_index("r_e")] += 1e-3 * rng.uniform(size=n_nodes)
    return x0


def numpy_network_rhs(C, eps: float, parameters) -> callable:
    """Right-hand side of the ei network for solve_ivp, written from docs/models.md.

    The state vector is state-major, y = [r_e(1..N), v_e(1..N), s_e, r_i, v_i,
    s_i], so that every population variable is a contiguous slice.
    """
    p = dict(parameters)
    n_nodes = C.shape[0]
    if sps.issparse(C):
        row_sums = np.asarray(C.sum(axis=1)).ravel()
        W = sps.csr_matrix(sps.diags(1.0 / row_sums) @ C)
    else:
        W = C / C.sum(axis=1, keepdims=True)
    tau_e, tau_i, tau_se, tau_si = p["tau_e"], p["tau_i"], p["tau_se"], p["tau_si"]
    delta_e, delta_i, eta_e, eta_i = p["delta_e"], p["delta_i"], p["eta_e"], p["eta_i"]
    J_ee, J_ei, J_ie, J_ii = p["J_ee"], p["J_ei"], p["J_ie"], p["J_ii"]
    I_e, I_i, g_e, g_i = p["I_e"], p["I_i"], p["g_e"], p["g_i"]
    pi = math.pi

    def rhs(t, y):
        r_e, v_e, s_e, r_i, v_i, s_i = y.reshape(6, n_nodes)
        network_input = eps * (W @ s_e)  # sum_j W[k, j] s_e[j]; s_e is the only coupled source
        dy = np.empty_like(y)
        d = dy.reshape(6, n_nodes)
        d[0] = (delta_e / (pi * tau_e) + 2.0 * r_e * v_e) / tau_e
        d[1] = ((v_e * v_e + eta_e - (pi * tau_e * r_e) ** 2 + tau_e * (J_ee * s_e - J_ei * s_i)
                 + I_e) / tau_e + g_e * network_input)
        d[2] = (r_e - s_e) / tau_se
        d[3] = (delta_i / (pi * tau_i) + 2.0 * r_i * v_i) / tau_i
        d[4] = ((v_i * v_i + eta_i - (pi * tau_i * r_i) ** 2 + tau_i * (J_ie * s_e - J_ii * s_i)
                 + I_i) / tau_i + g_i * network_input)
        d[5] = (r_i - s_i) / tau_si
        return dy

    return rhs


# --------------------------------------------------------------------------- runs
def run_bifurc(network, x0, duration, integrator, label, setting):
    runs = []
    for _ in range(2):
        trajectory = bf.simulate(network, duration=duration, integrator=integrator,
                                 initial_state=x0, sample_interval=SAMPLE_INTERVAL,
                                 record=["r_e"])
        if trajectory.status != "completed":
            raise RuntimeError(f"{label} {setting}: {trajectory.status}: {trajectory.message}")
        runs.append(trajectory)
    first, second = runs
    return {
        "method": label, "setting": setting, "kind": "bifurc",
        "time": second.time, "r_e": second.states[:, :, 0],
        "run_seconds": second.metadata["run_seconds"],
        "first_run_seconds": first.metadata["run_seconds"],
        "compile_seconds": first.metadata["compile_seconds"],
        "second_compile_seconds": second.metadata["compile_seconds"],
        "steps": second.metadata["steps_accepted"] or None,
        "rejected": second.metadata["steps_rejected"],
        "repeatable": bool(np.array_equal(first.states, second.states)),
        "extrapolated_from": None,
    }


def _solve(rhs, y0, duration, rtol, atol):
    n_samples = int(math.floor(duration / SAMPLE_INTERVAL * (1 + 1e-12)))
    t_eval = SAMPLE_INTERVAL * np.arange(n_samples + 1)
    start = time.perf_counter()
    solution = solve_ivp(rhs, (0.0, t_eval[-1]), y0, method="DOP853", rtol=rtol, atol=atol,
                         t_eval=t_eval)
    seconds = time.perf_counter() - start
    if not solution.success:
        raise RuntimeError(f"solve_ivp DOP853 rtol={rtol:g} failed: {solution.message}")
    return solution, seconds


def run_scipy(rhs, x0, duration, rtol, atol, budget, label="scipy solve_ivp DOP853"):
    """One timed DOP853 run; shortened and scaled when projected beyond `budget` s."""
    n_nodes = x0.shape[0]
    y0 = np.ascontiguousarray(x0.T).ravel()
    run_duration, extrapolated_from = duration, None
    if n_nodes > 100 and duration > 2 * PILOT_DURATION:
        _, pilot_seconds = _solve(rhs, y0, PILOT_DURATION, rtol, atol)
        projected = pilot_seconds * duration / PILOT_DURATION
        if projected > budget:
            run_duration = max(PILOT_DURATION, SAMPLE_INTERVAL * math.floor(
                duration * budget / projected / SAMPLE_INTERVAL))
            extrapolated_from = run_duration
    solution, seconds = _solve(rhs, y0, run_duration, rtol, atol)
    if extrapolated_from is not None:
        seconds *= duration / run_duration
    return {
        "method": label, "setting": f"rtol={rtol:g}, atol={atol:g}", "kind": "scipy",
        "rtol": rtol, "time": solution.t, "r_e": solution.y[:n_nodes].T.copy(),
        "run_seconds": seconds, "first_run_seconds": None, "compile_seconds": None,
        "steps": None, "nfev": int(solution.nfev), "rejected": None, "repeatable": None,
        "extrapolated_from": extrapolated_from,
    }


# --------------------------------------------------------------------------- metrics
def node_frequencies_hz(t, r_e) -> np.ndarray:
    return 1000.0 * np.array([oscillation_frequency(t, r_e[:, k]) for k in range(r_e.shape[1])])


def add_accuracy(result, reference, duration):
    """max |r_e - r_e_ref| (Hz) over the second half; per-node frequencies."""
    result["max_error_hz"] = result["max_rel_freq_error"] = None
    result["frequencies_hz"] = None
    if result["extrapolated_from"] is not None:
        return
    t, r_e = result["time"], result["r_e"]
    result["frequencies_hz"] = node_frequencies_hz(t, r_e)
    if reference is None or reference is result:
        return
    window = t >= 0.5 * duration - 1e-9
    result["max_error_hz"] = float(1000.0 * np.max(np.abs(r_e[window] - reference["r_e"][window])))
    f_ref = reference["frequencies_hz"]
    if np.all(f_ref > 0):
        result["max_rel_freq_error"] = float(np.max(np.abs(result["frequencies_hz"] - f_ref) / f_ref))


def equal_accuracy_scipy_seconds(error, scipy_results):
    """scipy DOP853 time at the same max |error| (log-log interpolation between the
    tolerance sweep's points). Returns (seconds, bound) with bound '' (interpolated),
    '<=' (scipy's loosest run is already more accurate) or '>=' (scipy's tightest
    run is still less accurate)."""
    points = sorted((r["max_error_hz"], r["run_seconds"]) for r in scipy_results
                    if r["max_error_hz"] is not None and r["max_error_hz"] > 0)
    if error is None or error <= 0 or len(points) == 0:
        return None, ""
    errors = np.log([e for e, _ in points])
    seconds = np.log([s for _, s in points])
    if math.log(error) < errors[0]:
        return float(np.exp(seconds[0])), ">="
    if math.log(error) > errors[-1]:
        return float(np.exp(seconds[-1])), "<="
    return float(np.exp(np.interp(math.log(error), errors, seconds))), ""


# --------------------------------------------------------------------------- compile probe
def compile_probe() -> dict:
    """First-call compile_seconds of RK4 and DormandPrince in this process."""
    model = bf.load_model(MODEL_NAME)
    network = bf.Network(model, np.ones((4, 4)) - np.eye(4), eps=1.0)
    seconds = {}
    for name, integrator in (("RK4", bf.RK4(dt=0.05)), ("DormandPrince", bf.DormandPrince())):
        trajectory = bf.simulate(network, duration=1.0, integrator=integrator,
                                 sample_interval=SAMPLE_INTERVAL, record=["r_e"])
        seconds[name] = trajectory.metadata["compile_seconds"]
    return seconds


def measure_compile_in_fresh_processes() -> dict:
    """compile_seconds with an empty cache (SymPy codegen + LLVM) and then, in a
    second new process, with that cache on disk."""
    with tempfile.TemporaryDirectory(prefix="bifurc_bench_cache_") as folder:
        env = dict(os.environ, BIFURC_CACHE_DIR=folder)
        result = {}
        for state in ("cold", "warm"):
            output = subprocess.run([sys.executable, __file__, "--compile-probe"], env=env,
                                    check=True, capture_output=True, text=True).stdout
            result[state] = json.loads(output.strip().splitlines()[-1])
        return result


def source_fingerprint(model) -> str:
    """Hash of the bifurc source files a simulation runs through, the generated-module
    key and the git commit: the code being measured."""
    digest = hashlib.sha256()
    package = Path(bf.__file__).parent
    patterns = ("codegen.py", "symbolic.py", "model.py", "model_files.py", "network.py",
                "trajectory.py", "analysis.py", "integrate/*.py", "kernels/*.py")
    files = sorted({f for pattern in patterns for f in package.glob(pattern)})
    for path in files + [package.parent / "models" / f"{model.name}.toml"]:
        digest.update(str(path.relative_to(package.parent)).encode())
        digest.update(path.read_bytes())
    text = f"source {digest.hexdigest()[:12]}, generated module {model.name}_{module_key(model)}"
    try:
        def git(*arguments):
            return subprocess.run(["git", *arguments], cwd=package.parent, capture_output=True,
                                  text=True, check=True).stdout.strip()
        dirty = git("status", "--porcelain", "--", "bifurc", "models")
        text += f", git {git('rev-parse', '--short', 'HEAD')}" + (
            " + uncommitted changes in bifurc/ or models/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        pass
    return text


def disk_cache_state(model) -> str:
    folder = cache_directory()
    stem = f"{model.name}_{module_key(model)}"
    if not (folder / f"{stem}.py").exists():
        return f"cold (no generated module in {folder})"
    numba_files = list((folder / "__pycache__").glob(f"*{stem}*.nbi"))
    return (f"warm (generated module and {len(numba_files)} numba index files in {folder}): "
            f"first-run compile_seconds are mostly cache loading")


# --------------------------------------------------------------------------- reporting
def _fmt(value, digits=3):
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}" if abs(value) >= 1e-3 else f"{value:.{digits - 1}e}"


def markdown_table(results, baseline_seconds, scipy_sweep) -> str:
    header = ("| method | dt / rtol | run s | speed-up vs DOP853 1e-6 | speed-up at equal accuracy "
              "| max \\|err\\| r_e (Hz) | max rel. freq. err | mean freq. (Hz) | steps or nfev |")
    lines = [header, "|" + "---|" * 9]
    for r in results:
        speedup = (baseline_seconds / r["run_seconds"]) if baseline_seconds else None
        equal = ""
        if r["kind"] == "bifurc":
            seconds, bound = equal_accuracy_scipy_seconds(r.get("max_error_hz"), scipy_sweep)
            equal = f"{bound}{seconds / r['run_seconds']:.3g}x" if seconds else "n/a"
        run = _fmt(r["run_seconds"])
        if r["extrapolated_from"] is not None:
            run += f" (extrapolated from {r['extrapolated_from']:g} ms)"
        freqs = r.get("frequencies_hz")
        mean_freq = _fmt(float(np.mean(freqs)), 5) if freqs is not None else "n/a"
        if r["kind"] == "scipy":
            count = f"{r['nfev']} fev"
        elif r["steps"]:
            count = f"{r['steps']} steps ({r['rejected']} rejected)"
        else:
            count = "fixed step"
        lines.append(f"| {r['method']} | {r['setting']} | {run} | "
                     f"{_fmt(speedup) + 'x' if speedup else 'n/a'} | {equal or '-'} | "
                     f"{_fmt(r.get('max_error_hz'))} | {_fmt(r.get('max_rel_freq_error'))} | "
                     f"{mean_freq} | {count} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main
def benchmark(n_nodes, eps, args, model, log):
    rng = np.random.default_rng(args.seed)
    sparse = n_nodes > args.sparse_above
    C = synthetic_connectome(n_nodes, rng, sparse, args.density)
    x0 = initial_states(model, n_nodes, rng)
    network = bf.Network(model, C, eps=eps)
    edges = network.describe()["n_edges"]
    log(f"\n## {n_nodes} nodes, eps = {eps:g} ({'sparse' if sparse else 'dense'} C, "
        f"{edges} edges), {args.duration:g} ms, r_e sampled every {SAMPLE_INTERVAL:g} ms "
        f"(load average {os.getloadavg()[0]:.2f})")

    results = []
    for label, setting, integrator in (
            ("bifurc RK4", "dt=0.05", bf.RK4(dt=0.05)),
            ("bifurc RK4", "dt=0.01", bf.RK4(dt=0.01)),
            ("bifurc DormandPrince", "rtol=1e-06, atol=1e-09", bf.DormandPrince(rtol=1e-6,
                                                                             atol=1e-9))):
        results.append(run_bifurc(network, x0, args.duration, integrator, label, setting))
        r = results[-1]
        log(f"  {label} {setting}: compile {r['compile_seconds']:.3f} s (first run), runs "
            f"{r['first_run_seconds']:.3f} s / {r['run_seconds']:.3f} s")

    scipy_sweep, reference, baseline_seconds = [], None, None
    if n_nodes <= args.skip_scipy_above:
        rhs = numpy_network_rhs(C, eps, model.parameters())
        rtols = [BASELINE_TOLERANCES[0]] + [r for r in args.scipy_rtols
                                            if not math.isclose(r, BASELINE_TOLERANCES[0])]
        for rtol in sorted(rtols, reverse=True):
            atol = BASELINE_TOLERANCES[1] if rtol == BASELINE_TOLERANCES[0] else 1e-3 * rtol
            scipy_sweep.append(run_scipy(rhs, x0, args.duration, rtol, atol, args.scipy_budget))
            r = scipy_sweep[-1]
            log(f"  scipy DOP853 rtol={rtol:g}: {r['run_seconds']:.3f} s, {r['nfev']} fev"
                + (f" (extrapolated from {r['extrapolated_from']:g} ms)"
                   if r["extrapolated_from"] else ""))
            if rtol == BASELINE_TOLERANCES[0]:
                baseline_seconds = r["run_seconds"]
        if not args.no_reference:
            reference = run_scipy(rhs, x0, args.duration, *REFERENCE_TOLERANCES,
                                  args.scipy_budget, label="reference (DOP853)")
            log(f"  reference DOP853 rtol={REFERENCE_TOLERANCES[0]:g}: "
                f"{reference['run_seconds']:.3f} s"
                + (f" (extrapolated from {reference['extrapolated_from']:g} ms: no accuracy "
                   f"figures)" if reference["extrapolated_from"] else ""))
            if reference["extrapolated_from"] is not None:
                reference = None
    else:
        log(f"  scipy skipped ({n_nodes} nodes > --skip-scipy-above {args.skip_scipy_above})")

    if reference is not None:
        add_accuracy(reference, None, args.duration)
    for r in results + scipy_sweep:
        add_accuracy(r, reference, args.duration)
    rows = results + scipy_sweep + ([reference] if reference is not None else [])
    table = markdown_table(rows, baseline_seconds, scipy_sweep)
    log("")
    log(table)

    notes = []
    regime_source = reference or results[1]  # RK4 dt=0.01 when there is no reference
    window = regime_source["time"] >= 0.5 * args.duration - 1e-9
    r_window = 1000.0 * regime_source["r_e"][window]
    ptp = float(np.max(np.ptp(r_window, axis=0)))
    spread = float(np.max(np.ptp(r_window, axis=1)))
    frequencies = regime_source.get("frequencies_hz")
    regime = ("limit cycle" if ptp > 1.0 else
              "(near) fixed point: r_e is practically constant, so frequencies describe a "
              "decaying transient and adaptive solvers take long steps")
    notes.append(f"Regime ({regime_source['method']} {regime_source['setting']}), second half of the run: r_e peak-to-peak "
                 f"{_fmt(ptp)} Hz (max over nodes), node-to-node spread {_fmt(spread)} Hz "
                 f"(max over time), frequency {_fmt(float(np.mean(frequencies)), 5) if frequencies is not None else 'n/a'}"
                 f" Hz: {regime}.")
    by_dt = {r["setting"]: r for r in results}
    e05, e01 = by_dt["dt=0.05"].get("max_error_hz"), by_dt["dt=0.01"].get("max_error_hz")
    if e05 and e01:
        notes.append(f"RK4 error ratio dt=0.05 / dt=0.01 = {e05 / e01:.3g} (4th order: 5^4 = 625; "
                     f"a ratio near 1 means both errors sit at the floor of the reference and "
                     f"rounding, as on a fixed point).")
    if not all(r["repeatable"] for r in results):
        notes.append("WARNING: a bifurc run did not reproduce bit-for-bit on its repeat.")
    for note in notes:
        log(f"\n{note}")
    return {"n_nodes": n_nodes, "eps": eps, "sparse": sparse, "n_edges": edges,
            "table": table, "notes": notes, "rows": [
                {k: (v.tolist() if isinstance(v, np.ndarray) and k == "frequencies_hz" else v)
                 for k, v in r.items() if k not in ("time", "r_e")} for r in rows]}


def targets_summary(summaries, log):
    lines = []
    for s in summaries:
        if s["n_nodes"] != 90:
            continue
        rows = {(r["method"], r["setting"]): r for r in s["rows"]}
        for dt, limit in TARGET_SECONDS.items():
            r = rows[("bifurc RK4", f"dt={dt:g}")]
            met = "MET" if r["run_seconds"] < limit else "NOT MET"
            lines.append(f"- eps={s['eps']:g}: 90 nodes x 1000 ms, RK4 dt={dt:g}: "
                         f"{r['run_seconds']:.3f} s (target < {limit} s): {met}")
    for line in lines:
        log(line)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, nargs="+",
                        help="network sizes (default: 90 1000; 12 with --quick)")
    parser.add_argument("--eps", type=float, nargs="+",
                        help="global coupling strengths (default: 5 1; with the default ei "
                             "parameters eps=5 puts the network on a stable fixed point, "
                             "eps=1 on a synchronous limit cycle)")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--density", type=float, default=0.05,
                        help="density of the sparse connectomes (default 0.05)")
    parser.add_argument("--sparse-above", type=int, default=200,
                        help="use a sparse connectome above this many nodes (default 200)")
    parser.add_argument("--skip-scipy-above", type=int, default=1000,
                        help="run solve_ivp only for networks of at most this many nodes")
    parser.add_argument("--scipy-budget", type=float, default=120.0,
                        help="seconds: longer projected solve_ivp runs are shortened and "
                             "their time scaled (default 120)")
    parser.add_argument("--scipy-rtols", type=float, nargs="*", default=[1e-3, 1e-4, 1e-8],
                        help="extra DOP853 tolerances (atol = 1e-3 rtol) for the equal-accuracy "
                             "comparison; rtol 1e-6 / atol 1e-9 is always run")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the rtol 1e-10 reference (no accuracy columns)")
    parser.add_argument("--no-cold-compile", action="store_true",
                        help="skip measuring compile time in fresh processes")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 50 ms, 12 nodes and eps 1 unless given, no fresh-process "
                             "compile timing")
    parser.add_argument("--compile-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.compile_probe:
        print(json.dumps(compile_probe()))
        return 0
    if args.quick:
        args.nodes, args.eps = args.nodes or [12], args.eps or [1.0]
        args.duration, args.scipy_rtols, args.no_cold_compile = 50.0, [1e-4], True
    args.nodes, args.eps = args.nodes or [90, 1000], args.eps or [5.0, 1.0]

    log = print
    started = time.perf_counter()
    model = bf.load_model(MODEL_NAME)
    log(f"# bifurc network benchmark ({MODEL_NAME}, issue 2)")
    log(f"command: python {' '.join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])}")
    log(f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    log(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}")
    log(f"load average at start (1/5/15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"(other processes compete for the {os.cpu_count()} cores when this is near or above 1)")
    log(f"versions: python {platform.python_version()}, bifurc {bf.__version__}, numpy "
        f"{np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}")
    log(f"disk cache at start: {disk_cache_state(model)}")
    key_at_start = module_key(model)
    log(f"bifurc code measured: {source_fingerprint(model)}")

    summaries = [benchmark(n, eps, args, model, log) for n in args.nodes for eps in args.eps]

    log("\n## Compile time")
    first = {}
    for s in summaries:
        for r in s["rows"]:
            if r["kind"] == "bifurc":
                first.setdefault(r["method"], r["compile_seconds"])
    log("In this process (first run of each integrator; later runs reuse the in-memory "
        "kernels): " + ", ".join(f"{k} {v:.3f} s" for k, v in first.items()))
    if not args.no_cold_compile:
        fresh = measure_compile_in_fresh_processes()
        for state, label in (("cold", "new process, empty cache (SymPy codegen + LLVM)"),
                             ("warm", "new process, cache on disk (load only)")):
            log(f"{label}: " + ", ".join(f"{k} {v:.3f} s" for k, v in fresh[state].items()))
    else:
        fresh = None

    log("\n## Issue 2 targets (90 nodes)")
    targets_summary(summaries, log)
    log(f"- >= {TARGET_SPEEDUP:g}x faster than solve_ivp at equal accuracy: see the "
        f"'speed-up at equal accuracy' column")
    log(f"\ntotal script time: {time.perf_counter() - started:.1f} s; load average at end: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    # Python modules are imported once, but compile_model re-reads the kernel templates
    # on every simulate call: an edit to them mid-run silently recompiles new code.
    status = 0
    if module_key(model) != key_at_start:
        log(f"\nWARNING: the kernel source changed during the run (generated module key "
            f"{key_at_start} -> {module_key(model)}): later rows ran recompiled, different "
            f"code; rerun.")
        status = 2
    if args.json:
        args.json.write_text(json.dumps({"summaries": summaries, "fresh_compile": fresh},
                                        indent=1, default=float))
    return status


if __name__ == "__main__":
    sys.exit(main())
