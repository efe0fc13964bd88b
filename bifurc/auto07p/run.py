"""Running AUTO-07p: compiling a user file as AUTO's cmds.make does, running the
executable with a timeout, and checking what it wrote."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..model import Model
from .install import auto_directory, header_directory, make_variables
from .parse import parse_fort7
from .render import render_equation_file


# --------------------------------------------------------------------------- running
def tail_of(text: str, lines: int = 25) -> str:
    text = (text or "").strip()
    return "\n".join(text.splitlines()[-lines:])


def run_command(command, cwd, timeout, what, env=None):
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        raise RuntimeError(f"{what} timed out after {timeout} s in {cwd}\n{tail_of(out)}") from None
    except OSError as exc:
        raise RuntimeError(f"{what} could not be started ({exc}) in {cwd}") from None
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit status {result.returncode}) in {cwd}\n"
            f"command: {' '.join(map(str, command))}\n"
            f"stderr:\n{tail_of(result.stderr)}\nstdout:\n{tail_of(result.stdout)}")
    return result


def compile_user_file(model: Model, workdir: Path, timeout: float,
             parameter_index: dict[str, int] | None = None) -> Path:
    auto_dir = auto_directory()
    make = make_variables(auto_dir)
    include = header_directory(auto_dir)
    source = workdir / f"{model.name}.c"
    source.write_text(render_equation_file(model) if parameter_index is None
                      else render_equation_file(model, parameter_index))
    obj = workdir / f"{model.name}.o"
    exe = workdir / f"{model.name}.exe"
    # -std=gnu99: auto_f2c.h declares the user functions K&R-style, `static int func();`,
    # which C23 (the default of newer compilers) would read as `func(void)`
    cc = (shlex.split(make["CC"]) + shlex.split(make["CFLAGS"]) + shlex.split(make["OPT"])
          + ["-std=gnu99", f"-I{include}", "-c", source.name, "-o", obj.name])
    run_command(cc, workdir, timeout, "compiling the AUTO equation file")
    libdir = auto_dir / "lib"
    objects = sorted(str(p) for p in libdir.glob("*.o"))
    link = (shlex.split(make["FC"]) + [f"-L{libdir}"] + shlex.split(make["FFLAGS"])
            + shlex.split(make["OPT"]) + [obj.name, "-o", exe.name] + objects + ["-lauto_c"])
    run_command(link, workdir, timeout, "linking the AUTO executable")
    return exe


def check_output(rundir: Path, stdout: str, stderr: str) -> None:
    fort7 = rundir / "fort.7"
    problem = None
    if not fort7.is_file() or fort7.stat().st_size == 0:
        problem = "AUTO wrote no fort.7"
    elif not parse_fort7(fort7):
        problem = "AUTO computed no point"
    if problem is None:
        return
    raise RuntimeError(f"{problem} in {rundir}; AUTO said:\n{tail_of(stdout)}\n{tail_of(stderr)}")


def fresh_directory(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


def run_executable(exe: Path, rundir: Path, model_name: str, constants: str, timeout: float,
                   what: str, env=None, start_solution: Path | None = None,
                   files: dict | None = None):
    """Run AUTO's executable ``exe`` in a fresh ``rundir`` with a complete
    constants file (as ``c.<model>`` and as ``fort.2``, which is what the
    executable reads) and, for a restart, ``start_solution`` (a fort.8) as
    ``fort.3``, and ``files`` ({name: text}); then check that it computed
    something.
    Returns (the completed process, wall seconds)."""
    fresh_directory(rundir)
    (rundir / f"c.{model_name}").write_text(constants)
    (rundir / "fort.2").write_text(constants)
    if start_solution is not None:
        shutil.copyfile(start_solution, rundir / "fort.3")
    for name, text in (files or {}).items():  # e.g. a start orbit ``<name>.dat``
        (rundir / name).write_text(text)
    start = time.perf_counter()
    result = run_command([str(Path(exe).resolve())], rundir, timeout, what, env=env)
    seconds = time.perf_counter() - start
    check_output(rundir, result.stdout, result.stderr)
    return result, seconds


@contextlib.contextmanager
def work_directory(workdir, keep_workdir, prefix: str):
    """Yields (folder, environment) for one workflow: a fresh temporary folder
    unless ``workdir`` is given, removed afterwards unless ``keep_workdir`` or
    a run failed (the evidence stays); AUTO runs single-threaded."""
    temporary = workdir is None
    keep = (not temporary) if keep_workdir is None else keep_workdir
    base = Path(tempfile.mkdtemp(prefix=prefix) if temporary else workdir)
    base.mkdir(parents=True, exist_ok=True)
    try:
        yield base, {**os.environ, "OMP_NUM_THREADS": "1"}
    except Exception:
        keep = True
        raise
    finally:
        if temporary and not keep:
            shutil.rmtree(base, ignore_errors=True)
