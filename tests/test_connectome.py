"""Connectomes: TVB zips (against their raw files read here), matrix files,
synthetic networks, validation, and the modes of W = D^-1 C (against W
assembled here: eigenpairs, a complete set, the trace)."""

import bz2
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io

import bifurc as bf
from bifurc.connectome import load_connectome, synthetic_connectome


def check_modes(connectome, C):
    """The modes of W = D^-1 C, W assembled from C here: W V = V L with unit
    columns V; the power sums of L are the traces of W, W^2 and W^3 (so L is the
    whole spectrum with its multiplicities, even where W is close to defective,
    as tvb96's is: cond(V) = 3e10); L[0] = 1 with the constant vector (W is
    row-stochastic); L by decreasing real part. Measured over the connectomes
    here: residuals 1.8e-15, power sums 9e-15, L[0] 3.7e-15, V[:, 0] 2.3e-14."""
    W = C / C.sum(axis=1, keepdims=True)
    n = len(W)
    np.testing.assert_allclose(connectome.normalised(), W, rtol=1e-14, atol=0)
    L, V = connectome.modes()
    assert L.shape == (n,) and V.shape == (n, n)
    np.testing.assert_allclose(W @ V, V * L, rtol=0, atol=1e-13)
    np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, rtol=1e-14)
    for k in (1, 2, 3):
        assert abs(np.sum(L**k) - np.trace(np.linalg.matrix_power(W, k))) < 1e-13, k
    assert L[0] == pytest.approx(1.0, abs=1e-13)
    np.testing.assert_allclose(np.abs(V[:, 0]), 1 / np.sqrt(n), rtol=1e-12)
    assert np.all(np.diff(L.real) <= 1e-13)


def tvb_member(size, member):
    """A text file of tvb-data's connectivity_SIZE.zip, read with zipfile and bz2
    (some members are stored as NAME.bz2, some in a subfolder)."""
    import tvb_data

    path = Path(tvb_data.__file__).parent / "connectivity" / f"connectivity_{size}.zip"
    with zipfile.ZipFile(path) as archive:
        members = {Path(name).name: name for name in archive.namelist()}
        if member in members:
            return archive.read(members[member]).decode()
        return bz2.decompress(archive.read(members[member + ".bz2"])).decode()


@pytest.mark.parametrize("size", [66, 68, 76, 96, 192])
def test_tvb_connectomes(size):
    """Against the zip's raw weights.txt: the regions without input (zero rows)
    are removed, repeatedly (tvb76 loses 2, tvb192 12, all in the first pass),
    and weights, tract lengths, centres and labels are the raw files' rows and
    columns of the regions kept."""
    pytest.importorskip("tvb_data", reason="the TVB connectomes need `pip install tvb-data`")
    weights = np.loadtxt(io.StringIO(tvb_member(size, "weights.txt")))
    assert weights.shape == (size, size)
    kept = np.arange(size)
    while (no_input := weights[np.ix_(kept, kept)].sum(axis=1) <= 0).any():
        kept = kept[~no_input]
    name = f"tvb{size}"
    if len(kept) < size:
        with pytest.raises(bf.ParameterError, match="receive no input.*remove_isolated=True"):
            load_connectome(name)
    connectome = load_connectome(name, remove_isolated=True)
    np.testing.assert_array_equal(connectome.weights, weights[np.ix_(kept, kept)])
    lengths = np.loadtxt(io.StringIO(tvb_member(size, "tract_lengths.txt")))
    np.testing.assert_array_equal(connectome.tract_lengths, lengths[np.ix_(kept, kept)])
    rows = [line.split() for line in tvb_member(size, "centres.txt").splitlines() if line.strip()]
    assert connectome.labels == [rows[k][0] for k in kept]
    np.testing.assert_array_equal(connectome.centres,
                                  [[float(v) for v in rows[k][1:4]] for k in kept])
    check_modes(connectome, weights[np.ix_(kept, kept)])


def test_removal_of_regions_without_input_cascades(tmp_path):
    """Region 0 receives nothing; region 1 only from region 0, so it receives
    nothing once 0 is gone; regions 2 and 3 drive each other (and 1)."""
    C = np.array([[0.0, 0.0, 0.0, 0.0],
                  [0.5, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 2.0],
                  [0.0, 3.0, 1.0, 0.0]])
    np.save(tmp_path / "cascade.npy", C)
    with pytest.raises(bf.ParameterError, match=r"node\(s\) \[0\] receive no input"):
        load_connectome(tmp_path / "cascade.npy")
    kept = load_connectome(tmp_path / "cascade.npy", remove_isolated=True)
    np.testing.assert_array_equal(kept.weights, [[0.0, 2.0], [1.0, 0.0]])


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
    check_modes(a, a.weights)
    # symmetric C: W is similar to a symmetric matrix, its spectrum is real
    assert np.isrealobj(a.modes()[0])


def test_asymmetric_modes():
    rng = np.random.default_rng(2)
    C = rng.random((9, 9))
    connectome = bf.connectome.Connectome("directed", C)
    check_modes(connectome, C)
    assert np.iscomplexobj(connectome.modes()[0])


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


def test_edge_list_in_the_seed_papers_format(tmp_path):
    """A first line with the node count, then `i j w` rows, 0-based: read as
    C[i, j] = w, the same matrix a user writes by hand."""
    from bifurc.connectome import load_connectome

    expected = np.array([[0.0, 0.5, 0.0, 1.5],
                         [2.0, 0.0, 0.25, 0.0],
                         [0.0, 1.0, 0.0, 3.0],
                         [0.75, 0.0, 0.5, 0.0]])
    rows = [f"{i} {j} {float(expected[i, j])!r}" for i, j in zip(*np.nonzero(expected))]
    path = tmp_path / "aal_like.txt"
    path.write_text("4\n" + "\n".join(rows[::-1]) + "\n")  # any order
    connectome = load_connectome(path)
    np.testing.assert_array_equal(connectome.weights, expected)
    # accepted wherever a matrix is
    network = bf.Network(bf.load_model("ei"), connectome, eps=1.0)
    np.testing.assert_allclose(network.weights.sum(axis=1), 1.0)
    L, _ = connectome.modes()
    W = expected / expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.sort_complex(L), np.sort_complex(np.linalg.eigvals(W)),
                               atol=1e-12)
    for text, message in (("4\n0 1\n", "fields"), ("4\n0 4 1.0\n", "outside"),
                          ("4\n0 1 1.0\n0 1 2.0\n", "twice"), ("4\n0 x 1.0\n", "not `i j w`")):
        bad = tmp_path / "bad.txt"
        bad.write_text(text)
        with pytest.raises(bf.ParameterError, match=message):
            load_connectome(bad)
