"""autograd.data.datasets: gates, generated 2-D sets, the 8x8 digits and the MNIST IDX reader."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autograd
import autograd.data
from autograd import Tensor
from autograd.data.datasets import (
    circles,
    load_digits,
    load_mnist,
    logic_gate,
    moons,
    read_idx,
    spirals,
    xor,
)

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


# -- logic gates ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, table",
    [
        ("and", [0, 0, 0, 1]),
        ("nand", [1, 1, 1, 0]),
        ("or", [0, 1, 1, 1]),
        ("xor", [0, 1, 1, 0]),
        ("XOR", [0, 1, 1, 0]),
    ],
)
def test_logic_gate_truth_tables(name: str, table: list[int]) -> None:
    X, y = logic_gate(name)
    assert isinstance(X, Tensor) and isinstance(y, Tensor)
    assert X.shape == (4, 2) and X.dtype == np.float32
    assert y.shape == (4,) and y.dtype == np.float32
    assert X.tolist() == INPUTS
    assert y.tolist() == [float(v) for v in table]


def test_xor_is_the_xor_gate() -> None:
    X, y = xor()
    X2, y2 = logic_gate("xor")
    assert X.tolist() == X2.tolist() and y.tolist() == y2.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_unknown_gate() -> None:
    with pytest.raises(ValueError, match=r"unknown gate 'nor'.*'and'"):
        logic_gate("nor")


def test_gates_are_fresh_arrays() -> None:
    X, _ = logic_gate("and")
    X.data[0, 0] = 5.0
    assert logic_gate("and")[0].tolist() == INPUTS


# -- generated 2-D sets ---------------------------------------------------------------------------
GENERATED = [
    (lambda **kw: spirals(40, 3, **kw), 120, 3),
    (lambda **kw: moons(101, **kw), 101, 2),
    (lambda **kw: circles(101, **kw), 101, 2),
]


@pytest.mark.parametrize("make, n, k", GENERATED, ids=["spirals", "moons", "circles"])
def test_generated_shapes_dtypes_and_labels(make: Any, n: int, k: int) -> None:
    X, y = make(seed=0)
    assert isinstance(X, Tensor) and X.shape == (n, 2) and X.dtype == np.float32
    assert isinstance(y, Tensor) and y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y.numpy(), minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    assert np.isfinite(X.numpy()).all()


@pytest.mark.parametrize("make, n, k", GENERATED, ids=["spirals", "moons", "circles"])
def test_generated_seeding(make: Any, n: int, k: int) -> None:
    a, b, c = make(seed=1), make(seed=1), make(seed=2)
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())
    assert not np.array_equal(a[0].numpy(), c[0].numpy())
    autograd.manual_seed(7)
    d = make()
    autograd.manual_seed(7)
    e = make()
    np.testing.assert_array_equal(d[0].numpy(), e[0].numpy())
    assert not np.array_equal(make()[0].numpy(), d[0].numpy())  # the default stream moved on
    g = make(seed=autograd.Generator(3))
    np.testing.assert_array_equal(g[0].numpy(), make(seed=autograd.Generator(3))[0].numpy())


def test_spirals_geometry() -> None:
    X, y = spirals(50, 2, noise=0.0, seed=0)
    r = np.linalg.norm(X.numpy(), axis=1)
    assert r.max() <= 1.0 + 1e-6 and np.isclose(r.min(), 0.0, atol=1e-6)
    assert np.bincount(y.numpy()).tolist() == [50, 50]


def test_moons_geometry() -> None:
    X, y = moons(200, noise=0.0, seed=0)
    x, yy = X.numpy(), y.numpy()
    outer, inner = x[yy == 0], x[yy == 1]
    np.testing.assert_allclose(np.linalg.norm(outer, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(inner - [1.0, 0.5], axis=1), 1.0, atol=1e-5)
    assert (outer[:, 1] >= -1e-6).all() and (inner[:, 1] <= 0.5 + 1e-6).all()


def test_circles_geometry() -> None:
    X, y = circles(100, noise=0.0, factor=0.3, seed=0)
    r, yy = np.linalg.norm(X.numpy(), axis=1), y.numpy()
    np.testing.assert_allclose(r[yy == 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(r[yy == 1], 0.3, atol=1e-5)


def test_generated_rows_are_shuffled() -> None:
    _, y = moons(100, seed=0)
    assert y.tolist() != sorted(y.tolist())


def test_generated_argument_errors() -> None:
    with pytest.raises(ValueError, match="n_samples"):
        moons(0)
    with pytest.raises(ValueError, match="n_per_class"):
        spirals(-3)
    with pytest.raises(ValueError, match="noise"):
        circles(noise=-0.1)
    with pytest.raises(ValueError, match="noise must be finite"):
        spirals(5, 2, noise=float("inf"))
    X, _ = moons(10, noise=1e308, seed=0)  # absurd but finite: inf points, no NumPy warning
    assert np.isinf(X.data).any()
    with pytest.raises(ValueError, match="factor"):
        circles(factor=1.5)
    with pytest.raises(TypeError, match="seed"):
        moons(seed="0")  # type: ignore[arg-type]


# -- 8x8 digits -------------------------------------------------------------------------------
def test_load_digits_shapes_dtypes_range() -> None:
    X, y = load_digits()
    assert isinstance(X, Tensor) and X.shape == (1797, 1, 8, 8) and X.dtype == np.float32
    assert isinstance(y, Tensor) and y.shape == (1797,) and y.dtype == np.int64
    x = X.numpy()
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(np.unique(x * 16), np.arange(17))  # pixel / 16 exactly
    assert sorted(set(y.tolist())) == list(range(10))
    Xf, yf = load_digits(flatten=True)
    assert Xf.shape == (1797, 64) and Xf.dtype == np.float32
    np.testing.assert_array_equal(Xf.numpy(), x.reshape(1797, 64))
    np.testing.assert_array_equal(yf.numpy(), y.numpy())


def test_load_digits_without_scikit_learn_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"scikit-learn.*pip install scikit-learn.*examples"):
        load_digits()


# -- IDX files --------------------------------------------------------------------------------
def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


def write(path: Path, data: bytes) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_labels_and_images(tmp_path: Path, suffix: str) -> None:
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    images = np.arange(5 * 3 * 4, dtype=np.uint8).reshape(5, 3, 4)
    got_l = read_idx(write(tmp_path / f"l{suffix}", idx_bytes(labels)))
    got_i = read_idx(write(tmp_path / f"i{suffix}", idx_bytes(images)))
    assert got_l.dtype == np.uint8 and got_l.shape == (5,)
    np.testing.assert_array_equal(got_l, labels)
    assert got_i.dtype == np.uint8 and got_i.shape == (5, 3, 4)
    np.testing.assert_array_equal(got_i, images)


@pytest.mark.parametrize(
    "code, dtype",
    [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)],
)
def test_read_idx_big_endian_types(tmp_path: Path, code: int, dtype: Any) -> None:
    a = np.array([[-3, 1], [2, 100]], dtype=dtype)
    got = read_idx(
        write(tmp_path / "a", idx_bytes(a.astype(np.dtype(dtype).newbyteorder(">")), code))
    )
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, a)


def test_read_idx_missing_file_names_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope-idx1-ubyte"
    with pytest.raises(FileNotFoundError, match="nope-idx1-ubyte"):
        read_idx(missing)


@pytest.mark.parametrize(
    "data, what",
    [
        (bytes([1, 0, 8, 1, 0, 0, 0, 1, 5]), "bad IDX magic number 0x01000801"),
        (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), "unknown IDX type code 0x07"),
        (bytes([0, 0, 8]), "no 4-byte header"),
        (bytes([0, 0, 8, 3, 0, 0, 0, 2]), "truncated IDX header"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3]), r"truncated IDX data.*needs 4 bytes, found 3"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3]), "1 bytes longer"),
        (bytes([0, 0, 8, 0]), "0 dims"),
        (
            bytes([0, 0, 8, 3, 128, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 4]),
            "needs 18446744073709551616 bytes",
        ),
    ],
    ids=["magic", "type-code", "short", "header", "truncated", "too-long", "no-dims", "huge"],
)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_corrupt_files_name_path_and_problem(
    tmp_path: Path, data: bytes, what: str, suffix: str
) -> None:
    path = write(tmp_path / f"bad-file{suffix}", data)
    with pytest.raises(ValueError, match=what) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_truncated_gzip(tmp_path: Path) -> None:
    good = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="cut.gz.*gzip"):
        read_idx(path)
    plain_named_gz = tmp_path / "plain.gz"
    plain_named_gz.write_bytes(idx_bytes(np.arange(3, dtype=np.uint8)))
    with pytest.raises(ValueError, match="plain.gz.*not a gzip file"):
        read_idx(plain_named_gz)


# -- MNIST ------------------------------------------------------------------------------------
def write_mnist(
    root: Path, prefix: str, n: int, n_labels: int | None = None, gz: bool = False
) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = (np.arange(n if n_labels is None else n_labels) % 10).astype(np.uint8)
    ext = ".gz" if gz else ""
    write(root / f"{prefix}-images-idx3-ubyte{ext}", idx_bytes(images))
    write(root / f"{prefix}-labels-idx1-ubyte{ext}", idx_bytes(labels))


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_train_and_test(tmp_path: Path, gz: bool) -> None:
    write_mnist(tmp_path, "train", 6, gz=gz)
    write_mnist(tmp_path, "t10k", 3, gz=gz)
    X, y = load_mnist(tmp_path)
    assert X.shape == (6, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (6,) and y.dtype == np.int64 and y.tolist() == [0, 1, 2, 3, 4, 5]
    x = X.numpy()
    assert x.min() == 0.0 and x.max() == 1.0 and x[0, 0, 0, 1] == 1.0
    raw = read_idx(tmp_path / f"train-images-idx3-ubyte{'.gz' if gz else ''}")
    np.testing.assert_allclose(x[:, 0], raw / np.float32(255.0), rtol=0, atol=0)
    Xt, yt = load_mnist(str(tmp_path), train=False)
    assert Xt.shape == (3, 1, 28, 28) and yt.tolist() == [0, 1, 2]


def test_load_mnist_count_mismatch(tmp_path: Path) -> None:
    write_mnist(tmp_path, "train", 5, n_labels=4)
    with pytest.raises(ValueError, match="5 images .* but 4 labels"):
        load_mnist(tmp_path)


def test_load_mnist_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.*does not download"):
        load_mnist(tmp_path, train=False)


def test_load_mnist_wrong_kind_of_file(tmp_path: Path) -> None:
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros(4, np.uint8)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match=r"images of shape \(N, H, W\)"):
        load_mnist(tmp_path)


def test_datasets_reachable_from_autograd_data() -> None:
    assert autograd.data.datasets.xor is xor
