"""Finding an AUTO-07p installation and the compiler settings it was built with."""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
from pathlib import Path



INSTALL_HINT = ("install AUTO-07p and a Fortran/C compiler, e.g. `apt-get install auto-07p "
                "gfortran gcc` (Debian/Ubuntu), or build AUTO-07p from source and set AUTO_DIR")

_DEFAULT_AUTO_DIRS = ("/usr/lib/auto-07p", "/usr/local/lib/auto-07p", "/opt/auto-07p")


# --------------------------------------------------------------------------- install
def _candidate_dirs():
    env = os.environ.get("AUTO_DIR")
    if env:
        yield Path(env)
    for d in _DEFAULT_AUTO_DIRS:
        yield Path(d)
    # where the `auto-07p` launcher lives (a source build has bin/ and lib/ side by side)
    launcher = shutil.which("auto-07p") or shutil.which("auto")
    if launcher:
        yield Path(launcher).resolve().parent.parent


def header_directory(auto_dir: Path) -> Path | None:
    for d in (auto_dir / "include", Path("/usr/include"), Path("/usr/local/include")):
        if (d / "auto_f2c.h").is_file():
            return d
    return None


def auto_directory() -> Path | None:
    """AUTO-07p's install directory (holding ``lib/*.o`` and ``cmds/cmds.make``), or None.

    ``AUTO_DIR`` is honoured first; then the Debian location ``/usr/lib/auto-07p``.
    """
    for d in _candidate_dirs():
        if ((d / "cmds" / "cmds.make").is_file() and (d / "lib" / "libauto_c.a").is_file()
                and list((d / "lib").glob("*.o"))):
            return d
    return None


def make_variables(auto_dir: Path) -> dict[str, str]:
    """CC, FC, CFLAGS, FFLAGS, OPT as AUTO's cmds.make sets them (like AUTO's runAUTO.py)."""
    found = {}
    with open(auto_dir / "cmds" / "cmds.make") as stream:
        for line in stream:
            parts = line.split(None, 2)
            if len(parts) < 2 or parts[1] != "=":
                continue
            if parts[0] == "SRC":
                break
            if parts[0] in ("CC", "FC", "CFLAGS", "FFLAGS", "OPT"):
                value = parts[2].strip() if len(parts) > 2 else ""
                found[parts[0]] = value.replace("$(AUTO_DIR)", str(auto_dir))
    found.setdefault("CC", "gcc")
    found.setdefault("FC", "gfortran")
    for key in ("CFLAGS", "FFLAGS", "OPT"):
        found.setdefault(key, "")
    return found


@functools.lru_cache(maxsize=None)
def _availability() -> tuple[bool, str]:
    auto_dir = auto_directory()
    if auto_dir is None:
        return False, f"AUTO-07p was not found (looked in $AUTO_DIR and {_DEFAULT_AUTO_DIRS[0]}); {INSTALL_HINT}"
    if header_directory(auto_dir) is None:
        return False, f"AUTO-07p's C header auto_f2c.h was not found; {INSTALL_HINT}"
    make = make_variables(auto_dir)
    for key in ("CC", "FC"):
        command = shlex.split(make[key])[0]
        if shutil.which(command) is None:
            return False, (f"the compiler `{command}` used by AUTO-07p ({key} in "
                           f"{auto_dir}/cmds/cmds.make) is not installed; {INSTALL_HINT}")
        try:
            subprocess.run([command, "--version"], capture_output=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"the compiler `{command}` does not run ({exc}); {INSTALL_HINT}"
    return True, f"AUTO-07p in {auto_dir} (CC={make['CC']}, FC={make['FC']})"


def auto_available() -> tuple[bool, str]:
    """Whether AUTO-07p can be used: ``(True, description)`` or ``(False, reason)``.

    Needs AUTO's libraries (``$AUTO_DIR`` or ``/usr/lib/auto-07p``), its C header
    and the C and Fortran compilers named in its ``cmds.make``. The reason says
    how to install what is missing. The answer is cached for the process.
    """
    return _availability()


