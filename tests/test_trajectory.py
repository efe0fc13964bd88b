"""Results objects: lossless save/load and CSV export."""

import numpy as np
import pytest

import bifurc as bf


@pytest.fixture(scope="module")
def trajectory(toy):
    network = bf.Network(toy, np.ones((3, 3)), eps=0.5)
    return bf.simulate(network, {"k": 0.1}, duration=2.0, integrator=bf.RK4(0.01),
                       sample_interval=0.1, stimuli=[bf.Stimulus("I", 1.0, start=0.5, nodes=[1])])


def test_save_load_is_lossless(trajectory, tmp_path):
    path = trajectory.save(tmp_path / "run.npz")
    loaded = bf.Trajectory.load(path)
    np.testing.assert_array_equal(loaded.time, trajectory.time)
    np.testing.assert_array_equal(loaded.states, trajectory.states)
    assert loaded.state_names == trajectory.state_names
    assert loaded.parameters == trajectory.parameters
    assert loaded.metadata["stimuli"][0]["nodes"] == [1]
    assert loaded.metadata["integrator"] == {"name": "RK4", "dt": 0.01}
    assert not list(tmp_path.glob("*.tmp"))


def test_load_rejects_foreign_npz(tmp_path):
    np.savez(tmp_path / "other.npz", metadata=np.array('{"schema": "x"}'))
    with pytest.raises(ValueError, match="not a bifurc trajectory"):
        bf.Trajectory.load(tmp_path / "other.npz")


def test_csv_columns(trajectory, tmp_path):
    path = trajectory.to_csv(tmp_path / "run.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header == ["time", "x[0]", "y[0]", "x[1]", "y[1]", "x[2]", "y[2]"]
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    np.testing.assert_allclose(table[:, 3], trajectory["x"][:, 1], rtol=1e-9)
