import sys
from pathlib import Path

import pytest

import bifurc as bf

# the independent references (ei_reference.py, test_msf_oracles.py) are
# imported by test files in subfolders too, whatever pytest's import mode
sys.path.insert(0, str(Path(__file__).parent))

#: A linear/quadratic test system with exact solutions in special cases:
#:   w > 0, k = c = I = 0: rotation, x = cos(w t), y = sin(w t) from (1, 0);
#:   w = c = 0, k > 0: x' = -k x + I (step responses; OU process with noise);
#:   w = k = I = 0, c = 1: x' = x^2, blows up at t = 1 / x(0).
TOY_SPEC = {
    "name": "toy",
    "description": "test system with exact solutions",
    "states": {"x": {"initial": 1.0}, "y": {"initial": 0.0}},
    "parameters": {"w": 1.0, "k": 0.0, "c": 0.0, "I": 0.0},
    "equations": {"x": "-w * y - k * x + c * x**2 + I", "y": "w * x - k * y"},
    "coupling": [{"target": "x", "source": "x", "gain": "1"}],
}


@pytest.fixture(scope="session")
def toy():
    return bf.Model.from_spec(TOY_SPEC)


@pytest.fixture(scope="session")
def ei():
    return bf.load_model("ei")
