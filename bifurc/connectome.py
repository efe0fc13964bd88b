"""Structural connectomes: The Virtual Brain's connectivities, matrix files and
seeded synthetic networks, validated, with the spectrum of W = D^-1 C.

By name: ``tvb66``, ``tvb68``, ``tvb76``, ``tvb96``, ``tvb192`` (the zips of the
PyPI package ``tvb-data``); by path: a TVB-format zip (``weights.txt``,
``tract_lengths.txt``, ``centres.txt`` with labels), or a matrix in ``.npy``,
``.csv``, whitespace ``.txt`` or MATLAB ``.mat``. C[k, j] >= 0 is the strength of
the connection j -> k (rows are targets, as in TVB).
"""

from __future__ import annotations

import bz2
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sps

from .errors import ParameterError

TVB_NAMES = {"tvb66": 66, "tvb68": 68, "tvb76": 76, "tvb96": 96, "tvb192": 192}


def row_normalise(connectivity):
    """W = D^-1 C, after checking that C is square, finite, non-negative and
    that every node receives input (no zero row). Dense in, dense out; sparse
    in, CSR out."""
    sparse = sps.issparse(connectivity)
    C = sps.csr_matrix(connectivity, dtype=float) if sparse else np.array(connectivity, dtype=float)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ParameterError(f"connectivity must be a square matrix, got shape {C.shape}")
    values = C.data if sparse else C
    if not np.all(np.isfinite(values)):
        raise ParameterError("connectivity has non-finite entries")
    if np.any(values < 0):
        raise ParameterError("connectivity has negative entries (weights must be >= 0)")
    row_sums = np.asarray(C.sum(axis=1)).ravel()
    isolated = np.flatnonzero(row_sums <= 0)
    if isolated.size:
        raise ParameterError(
            f"node(s) {isolated[:10].tolist()} receive no input (zero row sum), so the row "
            f"normalisation W = D^-1 C is undefined: remove them or add connections")
    if sparse:
        W = sps.diags(1.0 / row_sums) @ C
        W = sps.csr_matrix(W)
        W.sort_indices()
        return W
    return C / row_sums[:, None]


@dataclass
class Connectome:
    """weights C (N x N); optional tract lengths (mm), centres (N x 3) and labels."""

    name: str
    weights: np.ndarray
    tract_lengths: np.ndarray | None = None
    centres: np.ndarray | None = None
    labels: list = field(default_factory=list)

    @property
    def n_regions(self) -> int:
        return self.weights.shape[0]

    def normalised(self) -> np.ndarray:
        """W = D^-1 C (validated)."""
        return row_normalise(self.weights)

    def modes(self):
        """(L, V): the eigenvalues of W = D^-1 C by decreasing real part (L[0] = 1)
        and its eigenvectors (columns, unit norm). For symmetric C, W is similar to
        the symmetric D^-1/2 C D^-1/2, so the spectrum is real and is computed
        from that matrix. Directed connectomes (tvb76 is one) have complex
        eigenvalues in general; then L and V are complex."""
        C = self.weights
        W = self.normalised()
        if np.allclose(C, C.T, rtol=1e-12, atol=0):
            d = C.sum(axis=1)
            S = C / np.sqrt(np.outer(d, d))
            values, vectors = np.linalg.eigh(S)
            vectors = vectors / np.sqrt(d)[:, None]
        else:
            values, vectors = np.linalg.eig(W)
            if np.all(values.imag == 0):
                values, vectors = values.real, vectors.real
        order = np.lexsort((-values.imag, -values.real))
        vectors = vectors[:, order]
        return values[order], vectors / np.linalg.norm(vectors, axis=0)


def _validate(name, weights, remove_isolated=False):
    """(weights, kept indices): checked square, finite and non-negative; nodes
    without input (zero row sum) are an error, or are removed (repeatedly, since
    a removal can isolate another node) with ``remove_isolated``."""
    weights = np.array(weights, dtype=float)
    kept = np.arange(weights.shape[0]) if weights.ndim == 2 else np.arange(0)
    if remove_isolated and weights.ndim == 2 and weights.shape[0] == weights.shape[1]:
        while True:
            isolated = weights.sum(axis=1) <= 0
            if not isolated.any() or isolated.all():
                break
            weights = weights[~isolated][:, ~isolated]
            kept = kept[~isolated]
    try:
        row_normalise(weights)  # square, finite, non-negative, every node receives input
    except ParameterError as error:
        hint = ("; load it with remove_isolated=True (load_connectome or bf.Network) to drop those regions"
                if "receive no input" in str(error) else "")
        raise ParameterError(f"connectome {name}: {error}{hint}") from None
    return weights, kept


def _read_matrix(text: str) -> np.ndarray:
    return np.loadtxt(io.StringIO(text))


def _from_tvb_zip(name, source, remove_isolated=False) -> Connectome:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise ParameterError(f"{name}: not a readable TVB connectivity zip ({error})") from None
    with archive:
        files = {Path(n).name: n for n in archive.namelist()}
        # some TVB zips (connectivity_68) store their members bz2-compressed: X.txt.bz2
        files.update({key[:-4]: files[key] for key in list(files)
                      if key.endswith(".bz2") and key[:-4] not in files})

        def read(member):
            data = archive.read(files[member])
            return (bz2.decompress(data) if files[member].endswith(".bz2") else data).decode()

        if "weights.txt" not in files:
            raise ParameterError(f"{name}: the zip has no weights.txt (files: {sorted(files)})")
        weights = _read_matrix(read("weights.txt"))
        lengths = (_read_matrix(read("tract_lengths.txt"))
                   if "tract_lengths.txt" in files else None)
        labels, centres = [], None
        if "centres.txt" in files:
            rows = [line.split() for line in read("centres.txt").splitlines()
                    if line.strip()]
            labels = [row[0] for row in rows]
            centres = np.array([[float(v) for v in row[1:4]] for row in rows])
    weights, kept = _validate(name, weights, remove_isolated)
    return Connectome(name, weights, None if lengths is None else lengths[np.ix_(kept, kept)],
                      None if centres is None else centres[kept],
                      [labels[k] for k in kept] if labels else [])


def load_connectome(name_or_path, *, remove_isolated: bool = False) -> Connectome:
    """A connectome by name (``tvb76`` ...) or path (zip, .npy, .csv, .mat, or a
    text file: a matrix, or an edge list whose first line is the node count
    followed by rows ``i j w``, 0-based: the seed paper's format).

    Raises ParameterError naming the problem: unknown name, missing package or
    file, unreadable file, or a matrix that is not square, finite and
    non-negative with input to every node. Some TVB connectivities have regions
    without input (tvb76: 2, tvb192: 12);
    ``remove_isolated=True`` drops them
    (and their labels, centres and tract lengths).
    """
    text = str(name_or_path)
    if text in TVB_NAMES:
        try:
            import tvb_data
        except ImportError:
            raise ParameterError(f"connectome {text!r} needs the package tvb-data: "
                                 f"`pip install tvb-data`") from None
        path = Path(tvb_data.__file__).parent / "connectivity" / f"connectivity_{TVB_NAMES[text]}.zip"
        return _from_tvb_zip(text, path, remove_isolated)
    path = Path(text)
    if not path.exists():
        raise ParameterError(f"unknown connectome {text!r}: not one of {', '.join(TVB_NAMES)} "
                             f"and no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".zip":
            return _from_tvb_zip(path.stem, path, remove_isolated)
        if suffix == ".npy":
            weights = np.load(path, allow_pickle=False)
        elif suffix == ".csv":
            weights = np.loadtxt(path, delimiter=",")
        elif suffix == ".mat":
            from scipy.io import loadmat
            data = {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
            matrices = [v for v in data.values() if isinstance(v, np.ndarray) and v.ndim == 2]
            preferred = [data[k] for k in ("weights", "SC", "C", "W") if k in data]
            if not (preferred or matrices):
                raise ParameterError(f"{path}: no 2-D matrix in the .mat file")
            weights = (preferred or matrices)[0]
        else:
            weights = _edge_list(path)
            if weights is None:
                weights = np.loadtxt(path)
    except ParameterError:
        raise
    except Exception as error:  # numpy / scipy raise many types on bad files
        raise ParameterError(f"{path}: cannot read a connectivity matrix ({error})") from None
    weights, _ = _validate(path.stem, weights, remove_isolated)
    return Connectome(path.stem, weights)


def _edge_list(path: Path):
    """The matrix of a text edge list (the seed paper's format: a first line
    holding the number of nodes N, then one row ``i j w`` per edge, 0-based
    indices, i the receiving region: C[i, j] = w), or None when the file's
    first line is not a single integer (then it is read as a matrix)."""
    lines = [line.split() for line in path.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines or len(lines[0]) != 1 or not lines[0][0].isdigit():
        return None
    n = int(lines[0][0])
    if n < 1:
        raise ParameterError(f"{path}: the first line gives {n} nodes")
    weights = np.zeros((n, n))
    seen = set()
    for number, row in enumerate(lines[1:], start=2):
        if len(row) != 3:
            raise ParameterError(f"{path}: edge {number - 1} has {len(row)} fields, not "
                                 f"`i j w`")
        try:
            i, j, w = int(row[0]), int(row[1]), float(row[2])
        except ValueError:
            raise ParameterError(f"{path}: edge {number - 1} ({' '.join(row)}) is not "
                                 f"`i j w` (two integers and a number)") from None
        if not (0 <= i < n and 0 <= j < n):
            raise ParameterError(f"{path}: edge {number - 1} ({i} {j}) has an index outside "
                                 f"0..{n - 1} (indices are 0-based)")
        if (i, j) in seen:
            raise ParameterError(f"{path}: the edge {i} {j} is listed twice")
        seen.add((i, j))
        weights[i, j] = w
    return weights


def synthetic_connectome(n_regions: int, modules: int = 4, *, seed: int = 0,
                         p_within: float = 0.6, p_between: float = 0.05) -> Connectome:
    """A seeded symmetric modular network: ``modules`` equal blocks, edges with
    probability ``p_within`` inside a block and ``p_between`` across, uniform
    weights in (0, 1]; a chain of weak links keeps every node connected."""
    if n_regions < 2 or not 1 <= modules <= n_regions:
        raise ParameterError(f"need n_regions >= 2 and 1 <= modules <= n_regions, got "
                             f"{n_regions}, {modules}")
    rng = np.random.default_rng(seed)
    block = np.arange(n_regions) * modules // n_regions
    same = block[:, None] == block[None, :]
    probability = np.where(same, p_within, p_between)
    upper = np.triu(rng.random((n_regions, n_regions)) < probability, 1)
    weights = np.where(upper, 1.0 - rng.random((n_regions, n_regions)), 0.0)
    ring = np.roll(np.eye(n_regions), 1, axis=1)
    weights = np.triu(weights + 0.1 * ring, 1)
    weights = weights + weights.T
    return Connectome(f"modular{n_regions}", _validate("synthetic", weights)[0],
                      labels=[f"m{b}_{k}" for k, b in enumerate(block)])
