"""Connectomes: TVB zips, matrix files, synthetic networks, validation, modes."""

import numpy as np
import pytest
import scipy.io

import bifurc as bf
from bifurc.connectome import load_connectome, synthetic_connectome


def check_modes(connectome):
    W = connectome.normalised()
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    L, V = connectome.modes()
    assert L[0] == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(L.real) <= 1e-12) and np.all(np.abs(L) <= 1 + 1e-12)
    np.testing.assert_allclose(W @ V, V * L, atol=1e-10)


@pytest.mark.parametrize("name, size, isolated", [("tvb66", 66, 0), ("tvb68", 68, 0),
                                                   ("tvb76", 76, 2), ("tvb192", 192, 12)])
def test_tvb_connectomes(name, size, isolated):
    pytest.importorskip("tvb_data", reason="the TVB connectomes need `pip install tvb-data`")
    if isolated:
        with pytest.raises(bf.ParameterError, match="receive no input.*remove_isolated=True"):
            load_connectome(name)
    connectome = load_connectome(name, remove_isolated=True)
    size -= isolated
    assert connectome.n_regions == size
    assert connectome.tract_lengths.shape == (size, size)
    assert connectome.centres.shape == (size, 3) and len(connectome.labels) == size
    check_modes(connectome)


def test_matrix_files_round_trip(tmp_path):
    C = synthetic_connectome(12, 3, seed=1).weights
    np.save(tmp_path / "c.npy", C)
    np.savetxt(tmp_path / "c.csv", C, delimiter=",")
    np.savetxt(tmp_path / "c.txt", C)
    scipy.io.savemat(tmp_path / "c.mat", {"SC": C})
    for name in ("c.npy", "c.csv", "c.txt", "c.mat"):
        np.testing.assert_allclose(load_connectome(tmp_path / name).weights, C, rtol=1e-15)


def test_synthetic_is_seeded_modular_and_valid():
    a, b = synthetic_connectome(40, 4, seed=7), synthetic_connectome(40, 4, seed=7)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, synthetic_connectome(40, 4, seed=8).weights)
    np.testing.assert_array_equal(a.weights, a.weights.T)
    block = np.arange(40) * 4 // 40
    same = block[:, None] == block[None, :]
    assert (a.weights[same] > 0).mean() > 5 * (a.weights[~same] > 0).mean()
    check_modes(a)


def test_asymmetric_modes():
    rng = np.random.default_rng(2)
    connectome = bf.connectome.Connectome("directed", rng.random((9, 9)))
    L, V = connectome.modes()
    assert L[0] == pytest.approx(1.0)
    np.testing.assert_allclose(connectome.normalised() @ V, V * L, atol=1e-10)


@pytest.mark.parametrize("matrix, message", [
    (np.ones((3, 4)), "square"),
    (np.array([[0.0, 1.0], [-1.0, 0.0]]), "negative"),
    (np.array([[0.0, 1.0], [0.0, 0.0]]), "receive no input"),
    (np.array([[0.0, np.nan], [1.0, 0.0]]), "non-finite"),
])
def test_bad_matrices_are_named(tmp_path, matrix, message):
    np.save(tmp_path / "bad.npy", matrix)
    with pytest.raises(bf.ParameterError, match=message):
        load_connectome(tmp_path / "bad.npy")


def test_unknown_names_and_unreadable_files(tmp_path):
    with pytest.raises(bf.ParameterError, match="unknown connectome 'tvb77'"):
        load_connectome("tvb77")
    (tmp_path / "junk.csv").write_text("a,b\nc,d\n")
    with pytest.raises(bf.ParameterError, match="cannot read a connectivity matrix"):
        load_connectome(tmp_path / "junk.csv")
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(bf.ParameterError, match="not a readable TVB connectivity zip"):
        load_connectome(tmp_path / "fake.zip")
