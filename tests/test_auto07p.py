"""AUTO-07p as a second continuation engine (bifurc.auto07p).

The tests that run AUTO-07p or its compilers (marked ``needs_auto``) are
skipped when they are missing; the skip reason says how to install them. The
rest (parameter maps, constants files, parsers of AUTO's output files, the
error when AUTO is unavailable, with the detection monkeypatched) is pure
Python and always runs. Each AUTO run takes well under a second (plus about
0.4 s to compile the equation file).

Checks: the generated C file compiles warning-free and evaluates exactly what
bifurc's own kernels evaluate; on ``qif`` AUTO finds the two folds of the exact
parametric fold curve (docs/models.md); on ``ei`` every special point is an
equilibrium and every Hopf point has a critical pair of eigenvalues; the
constants file is complete on every run; failures raise clear errors.
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
import scipy.optimize as so

import bifurc as bf
from bifurc import auto07p

AVAILABLE, REASON = auto07p.auto_available()
#: only for tests that really run AUTO-07p (or the compilers it names)
needs_auto = pytest.mark.skipif(not AVAILABLE, reason=f"AUTO-07p is not usable: {REASON}")

#: Every constant written to the constants file on every run.
ALL_CONSTANTS = ["e", "unames", "parnames", "NDIM", "IPS", "IRS", "ILP", "ICP", "NTST", "NCOL",
                 "IAD", "ISP", "ISW", "IPLT", "NBC", "NINT", "NMX", "NPR", "MXBF", "IID", "ITMX",
                 "ITNW", "NWTN", "JAC", "EPSL", "EPSU", "EPSS", "DS", "DSMIN", "DSMAX", "IADS",
                 "RL0", "RL1", "A0", "A1", "NPAR", "THL", "THU", "UZR", "UZSTOP", "SP", "STOP",
                 "IBR", "LAB", "U", "PAR"]


# --------------------------------------------------------------------------- helpers
def equilibrium(model, parameters, guess):
    """Newton-refined equilibrium with bifurc's compiled vector field and Jacobian."""
    cm = bf.compile_model(model)
    x = so.fsolve(lambda x: cm.vector_field(x, parameters), np.asarray(guess, float),
                  fprime=lambda x: cm.jacobian(x, parameters), xtol=1e-14)
    assert np.max(np.abs(cm.vector_field(x, parameters))) < 1e-12
    return x


def qif_folds(J=15.0, delta=1.0):
    """The two folds of qif at tau = 1 from the exact parametric curve (docs/models.md)."""
    pi2 = np.pi ** 2

    def J_of(r):
        return 2 * pi2 * r + delta ** 2 / (2 * pi2 * r ** 3)

    r_cusp = (3 * delta ** 2 / (4 * pi2 ** 2)) ** 0.25  # dJ/dr = 0
    folds = []
    for lo, hi in ((1e-4, r_cusp), (r_cusp, 100.0)):
        r = so.brentq(lambda r: J_of(r) - J, lo, hi, xtol=1e-15, rtol=1e-15)
        eta = pi2 * r ** 2 - J * r - delta ** 2 / (4 * pi2 * r ** 2)
        folds.append((eta, np.array([r, -delta / (2 * np.pi * r)])))
    return sorted(folds, key=lambda f: f[0])


def of_type(result, kind):
    return [s for s in result["special_points"] if s["type"] == kind]


def c_compiler():
    auto_dir = auto07p.auto_directory()
    return auto07p.install.make_variables(auto_dir)["CC"].split(), auto07p.install.header_directory(auto_dir)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def qif():
    return bf.load_model("qif")


@pytest.fixture(scope="module")
def qif_run(qif):
    p = qif.parameters(tau=1.0, delta=1.0, J=15.0, eta=-10.0)
    x0 = equilibrium(qif, p, [0.05, -3.0])
    return auto07p.continue_equilibria_auto(qif, p, x0, "eta", (-15.0, 5.0))


@pytest.fixture(scope="module")
def ei_run(ei):
    p = ei.parameters(eta_e=-10.0)
    trajectory = bf.simulate(ei, p, duration=500)
    x0 = equilibrium(ei, p, trajectory.states[-1, 0, :])
    return auto07p.continue_equilibria_auto(ei, p, x0, "eta_e", (-10.0, 30.0))


# --------------------------------------------------------------------------- mapping and files
@needs_auto
def test_available_reports_install_dir():
    assert AVAILABLE and "AUTO-07p" in REASON


def test_parameter_index_map_skips_11(qif, ei):
    assert auto07p.parameter_index_map(qif) == {"tau": 1, "delta": 2, "eta": 3, "J": 4, "I": 5}
    indices = list(auto07p.parameter_index_map(ei).values())
    assert indices == [*range(1, 11), *range(12, 18)]
    assert list(auto07p.parameter_index_map(ei)) == list(ei.parameter_names)


def test_parameter_index_map_limit():
    def model_with(m):
        names = [f"a{k}" for k in range(m)]
        return bf.Model.from_spec({"name": "many", "states": {"x": {"initial": 0.0}},
                                   "parameters": {n: 1.0 for n in names},
                                   "equations": {"x": " + ".join(names) + " - x"}})

    assert max(auto07p.parameter_index_map(model_with(35)).values()) == 36
    with pytest.raises(ValueError, match="at most 35 parameters"):
        auto07p.parameter_index_map(model_with(36))


@needs_auto
@pytest.mark.parametrize("name", ["qif", "qif_syn", "ei"])
def test_equation_file_compiles_without_warnings(name, tmp_path):
    model = bf.load_model(name)
    source = tmp_path / f"{name}.c"
    source.write_text(auto07p.render_equation_file(model))
    cc, include = c_compiler()
    result = subprocess.run([*cc, "-std=gnu99", "-Wall", "-Wextra", "-Werror", f"-I{include}",
                             "-c", str(source), "-o", str(tmp_path / f"{name}.o")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = source.read_text()
    for function in ("func", "stpnt", "bcnd", "icnd", "fopt", "pvls"):
        assert f"static int {function}(" in text


HARNESS = r"""
#include "MODEL.c"
/* evaluate func at u, par read from stdin and print f, dfdu, dfdp */
int main(void)
{
  double u[NS], par[36] = {0}, f[NS], f0[NS], dfdu[NS * NS], dfdp[NS * 36];
  int i;
  for (i = 0; i < NS; i++) if (scanf("%lf", &u[i]) != 1) return 2;
  for (i = 0; i < 36; i++) if (scanf("%lf", &par[i]) != 1) return 2;
  for (i = 0; i < NS * 36; i++) dfdp[i] = 12345.0;
  func(NS, u, NULL, par, 1, f, dfdu, dfdp);
  for (i = 0; i < NS * 36; i++) if (dfdp[i] != 12345.0) return 3;  /* ijac = 1: dfdp untouched */
  func(NS, u, NULL, par, 0, f0, NULL, NULL);
  func(NS, u, NULL, par, 2, f, dfdu, dfdp);
  for (i = 0; i < NS; i++) printf("%.17g\n", f0[i]);
  for (i = 0; i < NS; i++) printf("%.17g\n", f[i]);
  for (i = 0; i < NS * NS; i++) printf("%.17g\n", dfdu[i]);
  for (i = 0; i < NS * 36; i++) printf("%.17g\n", dfdp[i]);
  return 0;
}
"""


@needs_auto
@pytest.mark.parametrize("name", ["qif", "ei"])
def test_equation_file_evaluates_the_model(name, tmp_path):
    """f, df/du and df/dPAR from the C file equal bifurc's compiled kernels."""
    model = bf.load_model(name)
    n = model.n_states
    (tmp_path / "MODEL.c").write_text(auto07p.render_equation_file(model))
    (tmp_path / "harness.c").write_text(f"#define NS {n}\n" + HARNESS)
    cc, include = c_compiler()
    build = subprocess.run([*cc, "-std=gnu99", f"-I{include}", "harness.c", "-o", "harness",
                            "-lm"], cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    rng = np.random.default_rng(1)
    index = auto07p.parameter_index_map(model)
    cm = bf.compile_model(model)
    for _ in range(3):
        x = rng.uniform(0.05, 1.0, n) * np.where(rng.random(n) < 0.5, -1, 1)
        p = model.parameters().values * rng.uniform(0.5, 1.5, model.n_parameters)
        par = np.zeros(36)
        for name_, value in zip(model.parameter_names, p):
            par[index[name_] - 1] = value
        run = subprocess.run(["./harness"], cwd=tmp_path, capture_output=True, text=True,
                             input=" ".join(repr(float(v)) for v in [*x, *par]))
        assert run.returncode == 0, (run.returncode, run.stderr)
        out = np.array(run.stdout.split(), dtype=float)
        f0, f, dfdu, dfdp = np.split(out, [n, 2 * n, 2 * n + n * n])
        dfdu = dfdu.reshape(n, n).T  # column-major
        dfdp = dfdp.reshape(36, n).T
        np.testing.assert_allclose(f0, cm.vector_field(x, p), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(f, f0, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(dfdu, cm.jacobian(x, p), rtol=1e-13, atol=1e-13)
        expected = np.full((n, 36), 12345.0)  # columns of unused PAR indices are left alone
        expected[:, [index[k] - 1 for k in model.parameter_names]] = cm.parameter_jacobian(x, p)
        np.testing.assert_allclose(dfdp, expected, rtol=1e-13, atol=1e-13)


def test_constants_file_is_complete(qif):
    p = qif.parameters(eta=-10.0)
    text = auto07p.render_constants(qif, p, [0.05, -3.0], "eta", (-15, 5), direction=-1)
    keys = {part.split("=")[0].strip() for line in text.splitlines() if not line.startswith("#")
            for part in _top_level_assignments(line)}
    assert set(ALL_CONSTANTS) <= keys
    assert "ICP = [3]" in text and "DS = -0.01" in text and "RL0 = -15.0" in text
    assert "PAR = {1: 1.0, 2: 1.0, 3: -10.0, 4: 15.0, 5: 0.0}" in text


def _top_level_assignments(line):
    """Split 'A = 1, B = [1, 2], C = {1: 2}' into its assignments."""
    parts, depth, current = [], 0, ""
    for char in line:
        depth += char in "[{" and 1 or 0
        depth -= char in "]}" and 1 or 0
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if "=" in p]


# --------------------------------------------------------------------------- qif: exact folds
@needs_auto
def test_qif_finds_exactly_the_two_exact_folds(qif_run):
    """AUTO's folds agree with the exact ones to 4e-11 (its 11 printed digits)."""
    folds = of_type(qif_run, "LP")
    assert len(folds) == 2, qif_run["special_points"]
    found = sorted(folds, key=lambda s: s["par"])
    for point, (eta, state) in zip(found, qif_folds()):
        assert abs(point["par"] - eta) < 1e-9
        np.testing.assert_allclose(point["state"], state, rtol=0, atol=1e-9)
        assert point["parameters"][2] == pytest.approx(point["par"], abs=1e-9)
    assert not of_type(qif_run, "HB")  # the folds are the only bifurcations in [-15, 5]


@needs_auto
def test_qif_branch_covers_the_bounds(qif, qif_run):
    points = qif_run["points"]
    assert points["par"].min() <= -15.0 and points["par"].max() >= 5.0
    ends = sorted(s["par"] for s in of_type(qif_run, "EP"))
    assert len(ends) == 2 and -15.2 < ends[0] <= -15.0 and 5.0 <= ends[1] < 5.2
    assert points["state"].shape == (len(points["par"]), 2)
    for special in qif_run["special_points"]:  # in branch order, indexing the points
        assert points["par"][special["index"]] == special["par"]
        np.testing.assert_array_equal(points["state"][special["index"]], special["state"])
    assert [s["index"] for s in qif_run["special_points"]] == \
        sorted(s["index"] for s in qif_run["special_points"])
    assert [s["type"] for s in qif_run["special_points"]] == ["EP", "LP", "LP", "EP"]
    assert not qif_run["warnings"]
    assert qif_run["workdir"] is None  # temporary directory removed
    # the low state at eta = -10 is stable; the branch between the folds is a saddle
    start = np.argmin(np.abs(points["par"] + 10.0))
    assert points["stable"][start]
    lp = sorted(s["par"] for s in of_type(qif_run, "LP"))
    middle = [k for k in range(1, len(points["par"]) - 1)
              if lp[0] < points["par"][k] < lp[1] and points["state"][k, 0] > 0.2
              and points["state"][k, 0] < 0.7]
    assert middle and not points["stable"][middle].any()
    # every point is an equilibrium
    cm = bf.compile_model(qif)
    for eta, x in zip(points["par"][::10], points["state"][::10]):
        assert np.max(np.abs(cm.vector_field(x, qif.parameters(eta=eta)))) < 1e-8


# --------------------------------------------------------------------------- ei: Hopf points
@needs_auto
def test_ei_special_points_are_equilibria(ei, ei_run):
    cm = bf.compile_model(ei)
    kinds = [s["type"] for s in ei_run["special_points"]]
    print("\nAUTO on ei (eta_e in [-10, 30]):",
          [(s["type"], round(s["par"], 8)) for s in ei_run["special_points"]],
          f"run {ei_run['seconds']:.3f} s, compile {ei_run['compile_seconds']:.2f} s")
    assert "HB" in kinds
    for point in ei_run["special_points"]:
        p = ei.parameters(eta_e=point["par"])
        np.testing.assert_allclose(point["parameters"], p.values, rtol=1e-10, atol=1e-12)
        assert np.max(np.abs(cm.vector_field(point["state"], p))) < 1e-8, point
        if point["type"] == "HB":
            eig = np.linalg.eigvals(cm.jacobian(point["state"], p))
            critical = eig[np.argmin(np.abs(eig.real))]
            assert abs(critical.imag) > 1e-3
            assert abs(critical.real) < 1e-9 * abs(critical.imag)  # measured 2e-11
            assert np.sum(np.abs(eig.real) < 1e-5 * np.abs(eig.imag).max()) == 2  # one pair


@needs_auto
def test_ei_stability_changes_at_the_hopf_points(ei_run):
    points = ei_run["points"]
    hopf = sorted(s["par"] for s in of_type(ei_run, "HB"))
    changes = np.nonzero(np.diff(points["stable"].astype(int)))[0]
    assert len(changes) == len(hopf)
    for k, eta in zip(changes, hopf):
        assert points["par"][k] <= eta + 1e-9 and eta - 1e-9 <= points["par"][k + 1] or \
            points["par"][k + 1] <= eta + 1e-9 and eta - 1e-9 <= points["par"][k]
    # stable low state at the start, the default eta_e = 10 is oscillatory (unstable equilibrium)
    assert points["stable"][np.argmin(np.abs(points["par"] + 10.0))]
    assert not points["stable"][np.argmin(np.abs(points["par"] - 10.0))]


# --------------------------------------------------------------------------- runs are independent
@needs_auto
def test_every_run_uses_its_own_constants(qif, tmp_path):
    p = qif.parameters(eta=-10.0)
    x0 = equilibrium(qif, p, [0.05, -3.0])
    wide = auto07p.continue_equilibria_auto(qif, p, x0, "eta", (-15.0, 5.0), workdir=tmp_path)
    narrow = auto07p.continue_equilibria_auto(qif, p, x0, "eta", (-11.0, -4.5), ds_max=0.05,
                                              workdir=tmp_path)
    assert wide["workdir"] == narrow["workdir"] == str(tmp_path)
    for run in (wide, narrow):
        for d in ("plus", "minus"):
            text = (tmp_path / f"run_{d}" / "c.qif").read_text()
            assert (tmp_path / f"run_{d}" / "fort.2").read_text() == text
    constants = (tmp_path / "run_plus" / "c.qif").read_text()
    assert "RL0 = -11.0, RL1 = -4.5" in constants and "DSMAX = 0.05" in constants
    assert wide["points"]["par"].min() < -14.9 and wide["points"]["par"].max() > 4.9
    par = narrow["points"]["par"]
    assert -11.1 < par.min() <= -11.0 and -4.5 <= par.max() < -4.4
    # the narrow range stops on the lower branch below both folds; the wide one has both
    assert not of_type(narrow, "LP") and len(of_type(wide, "LP")) == 2
    steps = np.abs(np.diff(par))
    assert steps.max() <= 0.05 * 1.001


# --------------------------------------------------------------------------- errors
@needs_auto
def test_start_must_be_an_equilibrium(qif):
    with pytest.raises(ValueError, match="not an equilibrium"):
        auto07p.continue_equilibria_auto(qif, qif.parameters(eta=-10.0), [1.0, 1.0], "eta",
                                         (-15, 5))


@needs_auto
def test_bad_arguments(qif):
    p = qif.parameters(eta=-10.0)
    x0 = equilibrium(qif, p, [0.05, -3.0])
    with pytest.raises(ValueError, match="unknown parameter"):
        auto07p.continue_equilibria_auto(qif, p, x0, "nope", (-15, 5))
    with pytest.raises(ValueError, match="outside bounds"):
        auto07p.continue_equilibria_auto(qif, p, x0, "eta", (0, 5))
    with pytest.raises(ValueError, match="directions"):
        auto07p.continue_equilibria_auto(qif, p, x0, "eta", (-15, 5), directions=(2,))


@needs_auto
def test_compile_failure_is_reported(qif, monkeypatch, tmp_path):
    monkeypatch.setattr(auto07p.run, "render_equation_file", lambda model: "this is not C;\n")
    p = qif.parameters(eta=-10.0)
    x0 = equilibrium(qif, p, [0.05, -3.0])
    with pytest.raises(RuntimeError, match="compiling the AUTO equation file failed"):
        auto07p.continue_equilibria_auto(qif, p, x0, "eta", (-15, 5), workdir=tmp_path)


@needs_auto
def test_auto_failure_is_reported(qif, monkeypatch, tmp_path):
    render = auto07p.render_constants
    monkeypatch.setattr(auto07p.workflows, "render_constants",
                        lambda *a, **k: render(*a, **k) + "BOGUS = 1\n")
    p = qif.parameters(eta=-10.0)
    x0 = equilibrium(qif, p, [0.05, -3.0])
    with pytest.raises(RuntimeError, match="Unknown AUTO constant BOGUS"):
        auto07p.continue_equilibria_auto(qif, p, x0, "eta", (-15, 5), workdir=tmp_path)


def test_unavailable_says_how_to_install(qif, monkeypatch):
    monkeypatch.setattr(auto07p.install, "auto_directory", lambda: None)
    auto07p.install._availability.cache_clear()
    try:
        ok, reason = auto07p.auto_available()
        assert not ok and "apt-get install auto-07p gfortran" in reason
        with pytest.raises(RuntimeError, match="apt-get install auto-07p"):
            auto07p.continue_equilibria_auto(qif, qif.parameters(), [0.1, -1.0], "eta", (-15, 5))
    finally:
        auto07p.install._availability.cache_clear()


def test_fortran_numbers_with_three_digit_exponents():
    assert auto07p.parse._to_float("1.2500000000-100") == 1.25e-100
    assert auto07p.parse._to_float("-3.0000000000+120") == -3e120
    assert auto07p.parse._to_float("1.0000000000E-002") == 0.01


def test_unavailable_reasons_name_what_is_missing(monkeypatch, tmp_path):
    """A fake AUTO installation ($AUTO_DIR, found first) whose cmds.make names a
    C compiler that does not exist; then one whose C header is missing."""
    fake = tmp_path / "auto-07p"
    for folder in ("cmds", "lib", "include"):
        (fake / folder).mkdir(parents=True)
    (fake / "cmds" / "cmds.make").write_text(
        "CC = no-such-compiler-bifurc -O2\nFC = gfortran\nSRC = $(AUTO_DIR)/src\n")
    (fake / "lib" / "libauto_c.a").write_text("")
    (fake / "lib" / "auto.o").write_text("")
    (fake / "include" / "auto_f2c.h").write_text("")
    monkeypatch.setenv("AUTO_DIR", str(fake))
    auto07p.install._availability.cache_clear()
    try:
        assert auto07p.auto_directory() == fake
        ok, reason = auto07p.auto_available()
        assert not ok
        assert "the compiler `no-such-compiler-bifurc` used by AUTO-07p (CC in" in reason
        assert "apt-get install auto-07p gfortran" in reason
        monkeypatch.setattr(auto07p.install, "header_directory", lambda auto_dir: None)
        auto07p.install._availability.cache_clear()
        ok, reason = auto07p.auto_available()
        assert not ok and "C header auto_f2c.h was not found" in reason
    finally:
        auto07p.install._availability.cache_clear()


#: the start of a fort.7 of an AUTO-07p run on qif (tau = delta = 1, J = 15) in
#: eta: a header row, the column names, the start (EP, stable), a regular point
#: and the first fold (LP, unstable: positive point number)
FORT7 = """\
   0  -1.5000E+01  5.0000E+00 -1.0000+300  1.0000+300
   0   EPSL= 1.0000E-10  EPSU = 1.0000E-10  EPSS = 1.0000E-08
   0    PT  TY  LAB      eta              L2-NORM               r                  v
   1    -1   9    1 -1.0000000000E+001  3.0404760368E+000  5.2353164418E-002 -3.0400252757E+000
   1    -2   4    2 -9.9802873898E+000  3.0370997198E+000  5.2411399598E-002 -3.0366474529E+000
   1    39   2   39 -3.3837258083E+000  7.3878423982E-001  2.2630738728E-001 -7.0326888134E-001
"""

#: the fort.8 records of the same run's start (EP, label 1) and fold (LP, label 39)
FORT8 = """\
     1     1     9     1     1     1       1     3       6    1    0   11    0    2    1    0
      0.0000000000E+000  5.2353164418E-002 -3.0400252757E+000
    3
      9.8564792501E-001
      2.9067643343E-003  1.6878897665E-001
      1.0000000000E+000  1.0000000000E+000 -1.0000000000E+001  1.5000000000E+001  0.0000000000E+000  0.0000000000E+000  0.0000000000E+000
      0.0000000000E+000  0.0000000000E+000  0.0000000000E+000  0.0000000000E+000
     1    39     2    39     1     1       1     3       6    1    0   11    0    2    1    0
      0.0000000000E+000  2.2630738728E-001 -7.0326888134E-001
    3
     -8.8365067662E-001
      1.4340464356E-001  4.4564175780E-001
      1.0000000000E+000  1.0000000000E+000 -3.3837258083E+000  1.5000000000E+001  0.0000000000E+000  0.0000000000E+000  0.0000000000E+000
      0.0000000000E+000  0.0000000000E+000  0.0000000000E+000  0.0000000000E+000
"""


def test_parse_fort7(tmp_path):
    """Rows of fort.7, checked against what the columns must satisfy: every qif
    equilibrium has r v = -delta / (2 pi tau) = -1 / (2 pi) (docs/models.md),
    and the L2-NORM column is sqrt(r^2 + v^2); AUTO prints 11 significant
    digits, so both hold to ~1e-10 relative (tolerance 1e-9)."""
    path = tmp_path / "fort.7"
    path.write_text(FORT7)
    rows = auto07p.parse_fort7(path)
    assert [(r["branch"], r["point"], r["stable"], r["itp"], r["type"], r["label"])
            for r in rows] == [(1, 1, True, 9, "EP", 1), (1, 2, True, 4, "RG", 2),
                               (1, 39, False, 2, "LP", 39)]
    assert auto07p.parse_fort7_columns(path) == ["eta", "L2-NORM", "r", "v"]
    values = np.array([r["values"] for r in rows])
    np.testing.assert_array_equal(values[:, 0], [-10.0, -9.9802873898, -3.3837258083])
    eta, norm, r, v = values.T
    np.testing.assert_allclose(r * v, -1 / (2 * np.pi), rtol=1e-9)
    np.testing.assert_allclose(norm, np.hypot(r, v), rtol=1e-9)


def test_parse_fort8(tmp_path):
    """Labelled solutions of fort.8: the state after the time column, PAR(1..NPAR)
    from the last values (NPAR = 11 here: qif's 5 parameters, then zeros)."""
    path = tmp_path / "fort.8"
    path.write_text(FORT8)
    start, fold = auto07p.parse_fort8(path)
    assert (start["label"], start["type"], start["point"]) == (1, "EP", 1)
    assert (fold["label"], fold["type"], fold["point"]) == (39, "LP", 39)
    np.testing.assert_array_equal(start["state"], [5.2353164418e-2, -3.0400252757])
    np.testing.assert_array_equal(fold["par"], [1.0, 1.0, -3.3837258083, 15.0] + [0.0] * 7)
    for solution in (start, fold):  # r v = -1 / (2 pi) on every qif equilibrium
        r, v = solution["state"]
        assert r * v == pytest.approx(-1 / (2 * np.pi), rel=1e-9)
    (orbit,) = [s for s in auto07p.parse_fort8_orbits(path) if s["label"] == 39]
    np.testing.assert_array_equal(orbit["t"], [0.0])
    np.testing.assert_array_equal(orbit["profile"], [fold["state"]])
    assert orbit["icp"] == [3]  # eta = PAR(3), the continuation parameter
    np.testing.assert_array_equal(orbit["par"], fold["par"])
    truncated = tmp_path / "truncated.8"
    truncated.write_text("".join(FORT8.splitlines(keepends=True)[:4]))
    with pytest.raises(ValueError, match="solution 1 is truncated"):
        auto07p.parse_fort8(truncated)


def test_homcont_constants_reserve_period_and_saddle():
    """HomCont (IPS = 9, IEQUIB = 1) keeps T in PAR(11) and the saddle in
    PAR(12 .. 11 + n): the model's parameters go around them, and the file
    holds names and numbers only."""
    ei = bf.load_model("ei")
    index = auto07p.parameters.homcont_parameter_index_map(ei)
    assert not set(index.values()) & set(range(11, 18))
    assert sorted(index.values()) == sorted(set(index.values()))
    p = ei.parameters(J_ee=30.0).values
    saddle = np.arange(1.0, 7.0) / 10
    text = auto07p.render.render_homcont_constants(
        ei, p, saddle, 138.5, ("eta_e", "J_ee"), ((-15.0, 5.0), (29.0, 31.0)), ntst=61,
        ncol=4, n_unstable=1, ds=0.01, ds_min=1e-6, ds_max=0.1, max_points=50)
    assert "IPS = 9" in text and "NUNSTAB = 1, NSTAB = 5, IEQUIB = 1" in text
    assert f"ICP = [{index['eta_e']}, {index['J_ee']}]" in text
    par = re.search(r"^PAR = \{(.*)\}$", text, flags=re.M).group(1)
    values = {int(k): float(v) for k, v in (item.split(":") for item in par.split(","))}
    assert values[11] == 138.5
    assert [values[12 + i] for i in range(6)] == saddle.tolist()
    assert values[index["J_ee"]] == 30.0
    with pytest.raises(ValueError, match="plain name"):
        auto07p.render.render_homcont_constants(
            ei, p, saddle, 138.5, ("eta_e", "J_ee"), ((-15.0, 5.0), (29.0, 31.0)), ntst=61,
            ncol=4, n_unstable=1, ds=0.01, ds_min=1e-6, ds_max=0.1, max_points=50,
            orbit_file="x'\nIPS = 1")
    with pytest.raises(ValueError, match="unstable eigenvalues"):
        auto07p.render.render_homcont_constants(
            ei, p, saddle, 138.5, ("eta_e", "J_ee"), ((-15.0, 5.0), (29.0, 31.0)), ntst=61,
            ncol=4, n_unstable=0, ds=0.01, ds_min=1e-6, ds_max=0.1, max_points=50)
