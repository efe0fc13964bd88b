"""AUTO-07p as a second continuation engine for equilibria.

The same SymPy model that bifurc compiles for simulation is rendered as an
AUTO-07p user file in C (vector field, analytic state and parameter Jacobians),
compiled against the installed AUTO-07p libraries, and run for a
one-parameter continuation of equilibria (``IPS = 1``) in both directions from
a given equilibrium. The output files are parsed here (no dependence on AUTO's
own Python package), and plain data are returned. :func:`continue_cycles_auto`
continues the limit cycles born at a Hopf point (``IPS = 2``; see the comment
block "periodic orbits" below for how it drives AUTO).

How AUTO is driven
------------------
Each call works in its own directory (a fresh temporary one by default):

1. ``<model>.c`` is written by :func:`render_equation_file` and compiled and
   linked exactly as AUTO's ``cmds/cmds.make`` does it (compiler names and flags
   are read from that file), giving ``<model>.exe``.
2. For each direction a sub-directory ``run_plus`` / ``run_minus`` receives a
   complete constants file ``c.<model>`` (copied to ``fort.2``, which is what
   the executable reads). Every AUTO constant is written on every run, so no
   setting can leak from one run to the next. The start point is passed with
   the constants ``U`` and ``PAR`` (``IRS = 0``), so ``stpnt`` stays empty and
   one executable serves every start point.
3. The executable runs with a timeout; ``fort.7`` (one line per continuation
   step) and ``fort.8`` (full solution for labelled points; ``NPR = 1`` labels
   every step, so every point's full state is available) are parsed.

Parameters are AUTO's ``PAR(i)``; see :func:`parameter_index_map` for the
mapping (index 11 is skipped: AUTO uses it for the period of periodic orbits).

The package's modules, one job each: ``install`` (finding AUTO-07p),
``parameters`` (PAR indices), ``render`` (C file and constants), ``run``
(compile and execute), ``parse`` (fort.7/8/9), ``workflows`` (the
equilibrium and cycle runs) and ``homcont`` (homoclinic orbits, IPS = 9).
"""

from .homcont import continue_homoclinic_auto
from .install import INSTALL_HINT, auto_available, auto_directory
from .parameters import cycle_parameter_index_map, parameter_index_map
from .parse import (LABEL_TYPES, parse_fort7, parse_fort7_columns, parse_fort8, parse_fort8_orbits,
                    parse_multipliers)
from .render import render_constants, render_cycle_constants, render_equation_file
from .workflows import continue_cycles_auto, continue_equilibria_auto, equilibrium_branch_auto

__all__ = ["auto_available", "auto_directory", "parameter_index_map", "cycle_parameter_index_map",
           "render_equation_file", "render_constants", "render_cycle_constants",
           "continue_equilibria_auto", "equilibrium_branch_auto", "continue_cycles_auto",
           "continue_homoclinic_auto",
           "parse_fort7", "parse_fort7_columns", "parse_fort8", "parse_fort8_orbits",
           "parse_multipliers", "LABEL_TYPES", "INSTALL_HINT"]
