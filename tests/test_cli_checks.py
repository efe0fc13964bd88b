"""The command line checks its input before it computes anything: each bad
option is a one-line error naming it, exit code 2, no traceback, no file
written; Ctrl-C is exit code 130 everywhere."""

import os
import time

import pytest

from bifurc.cli import main


@pytest.mark.parametrize("arguments, message", [
    (["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--y", "r_x"],
     "--y 'r_x' is not a state of ei; states: r_e, v_e, s_e, r_i, v_i, s_i"),
    (["diagram", "ei", "--free", "eta_e", "--range", "30", "-10"], "--range needs LO < HI"),
    (["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--ntst", "1"],
     "--ntst must be at least 2, got 1"),
    (["msf", "ei", "--eps", "2", "--at", "eta_e=9.3", "--ncol", "9"],
     "--ncol must lie in 1..7, got 9"),
    (["simulate", "ei", "--duration", "1e13", "--dt", "0.05"], "more than half the free memory"),
])
def test_bad_options_are_named_before_any_work(arguments, message, tmp_path, capsys):
    out = tmp_path / "out"
    started = time.perf_counter()
    assert main(arguments + ["--out", str(out)]) == 2
    assert time.perf_counter() - started < 30  # refused at once, not after the computation
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert not out.exists()


def test_output_folder_that_is_a_file(tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    assert main(["diagram", "qif", "--free", "eta", "--range", "-10", "5", "--out",
                 str(a_file)]) == 2
    assert f"--out {a_file} is a file, not a folder" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere: the permission check "
                                              "cannot be exercised")
def test_output_folder_that_is_not_writable(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["simulate", "qif", "--out", str(locked / "run")]) == 2
    assert f"cannot write in {locked}" in capsys.readouterr().err


def test_model_file_with_the_wrong_extension(tmp_path, capsys):
    path = tmp_path / "model.txt"
    path.write_text('name = "m"\n')
    assert main(["show", str(path)]) == 2
    assert "has the extension '.txt'; model files are TOML (.toml) or YAML" in \
        capsys.readouterr().err


def test_ctrl_c_is_exit_code_130(monkeypatch, capsys):
    import bifurc.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "command_models", interrupted)
    assert main(["models"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_result_files_have_the_usual_permissions(tmp_path):
    """Temporary files start as 0600; results are 0666 minus the umask."""
    mask = os.umask(0o022)
    try:
        assert main(["diagram", "qif", "--free", "eta", "--range", "-10", "5", "--quiet",
                     "--out", str(tmp_path)]) == 0
    finally:
        os.umask(mask)
    for name in ("branches.json", "branches.npz"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


@pytest.fixture(scope="module")
def ei_diagram(tmp_path_factory):
    out = tmp_path_factory.mktemp("diagram")
    assert main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--quiet",
                 "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("arguments, message", [
    (["--from", "x:H1", "--free", "eta_e", "eta_i"], "'x' is not a branch number"),
    (["--from", "5:H1", "--free", "eta_e", "eta_i"], "the diagram has branches 0 to 0"),
    (["--from", "H1", "--free", "eta_e", "foo"], "--free 'foo' is not a parameter of ei"),
    (["--from", "H1", "--free", "eta_e", "eta_e"], "--free needs two different parameters"),
    (["--from", "H1", "--free", "eta_e", "eta_i", "--bounds", "foo=1:2"],
     "names 'foo', which is not one of the free parameters"),
    (["--from", "H1", "--free", "eta_e", "eta_i", "--bounds", "eta_i=5:-5"], "needs LO < HI"),
])
def test_twopar_input_is_named(ei_diagram, arguments, message, capsys):
    assert main(["twopar", "ei", *arguments, "--out", str(ei_diagram), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


@pytest.mark.parametrize("arguments, message", [
    (["diagram", "ei", "--free", "tau_se", "--range", "0", "5", "--engine", "auto07p"],
     "continuation bounds [0, 5] for `tau_se` reach outside its range (0.0, inf)"),
    (["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--engine", "auto07p",
      "--cycles"], "--cycles needs the bifurc engine"),
    (["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--depth", "-1"],
     "--depth must be 0 or more"),
    (["sweep", "qif", "--grid", "eta=-5:-4:2", "--duration", "1e9", "--workers", "1"],
     "more than half the free memory"),
    (["simulate", "ei", "--set", "tau_se=0"], "`tau_se` must lie in (0.0, inf)"),
])
def test_more_bad_input_is_refused_before_work(arguments, message, tmp_path, capsys):
    assert main([*arguments, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_a_result_name_taken_by_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "branches.json").mkdir()
    assert main(["diagram", "qif", "--free", "eta", "--range", "-10", "5", "--quiet",
                 "--out", str(tmp_path)]) == 2
    assert "branches.json is a folder" in capsys.readouterr().err


def test_ctrl_c_during_a_diagram_saves_the_branch_and_exits_130(tmp_path, monkeypatch, capsys):
    """Ctrl-C in the middle of the cycles of an --auto diagram: the points so far
    are saved, no further branch is started, exit code 130."""
    import bifurc.continuation.core as core

    real, calls = core.correct, []

    def interrupted_later(*args, **kwargs):
        calls.append(1)
        if len(calls) == 150:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "correct", interrupted_later)
    code = main(["diagram", "ei", "--free", "eta_e", "--range", "-10", "30", "--cycles",
                 "--quiet", "--out", str(tmp_path)])
    assert code == 130
    assert "interrupted: the points computed so far are saved" in capsys.readouterr().err
    import bifurc as bf
    branches = bf.load_branches(tmp_path)
    statuses = [end["status"] for b in branches for end in b.ends]
    assert statuses.count("interrupted") == 1 and len(branches) >= 1


def test_negative_values_in_exponent_notation_are_values(tmp_path, capsys):
    """`--range -1e1 0` is the range [-10, 0], not an unknown option -1e1."""
    assert main(["diagram", "qif", "--free", "eta", "--range", "-1e1", "0", "--quiet",
                 "--out", str(tmp_path)]) == 0
    import bifurc as bf
    (branch,) = bf.load_branches(tmp_path)
    assert tuple(branch.options["bounds"]) == (-10.0, 0.0)
