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
    """Every column holds the series its header names (written with 10
    significant digits: rounding 5e-11 relative)."""
    path = trajectory.to_csv(tmp_path / "run.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header == ["time", "x[0]", "y[0]", "x[1]", "y[1]", "x[2]", "y[2]"]
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    assert table.shape == (len(trajectory.time), 7)
    np.testing.assert_allclose(table[:, 0], trajectory.time, rtol=1e-9, atol=1e-12)
    for column, name in enumerate(header[1:], 1):
        state, node = name[0], int(name[2])
        np.testing.assert_allclose(table[:, column], trajectory[state][:, node], rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    # the stimulated node differs from the others, so a column mix-up cannot pass
    assert np.abs(trajectory["x"][:, 1] - trajectory["x"][:, 0]).max() > 0.1


def test_csv_of_a_single_node(toy, tmp_path):
    run = bf.simulate(toy, duration=1.0, integrator=bf.RK4(0.01), sample_interval=0.5)
    path = run.to_csv(tmp_path / "node.csv")
    assert path.read_text().splitlines()[0] == "time,x,y"
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    np.testing.assert_allclose(table[:, 1:], run.states[:, 0, :], rtol=1e-9, atol=1e-12)
