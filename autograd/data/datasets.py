"""Small datasets to learn on: logic gates, spirals, moons, circles, 8x8 digits, MNIST (IDX)."""

from __future__ import annotations

import gzip
import importlib
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ..random import Generator, get_rng
from ..tensor import Tensor

_GATES: dict[str, list[float]] = {
    "and": [0.0, 0.0, 0.0, 1.0],
    "nand": [1.0, 1.0, 1.0, 0.0],
    "or": [0.0, 1.0, 1.0, 1.0],
    "xor": [0.0, 1.0, 1.0, 0.0],
}


def logic_gate(name: str) -> tuple[Tensor, Tensor]:
    """The truth table of a two-input gate: X float32 (4, 2) of 0/1, y float32 (4,).

    Args:
        name: "and", "nand", "or" or "xor" (any case).

    Example:
        >>> from autograd.data.datasets import logic_gate
        >>> X, y = logic_gate("and")
        >>> X.tolist(), y.tolist()
        ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 0.0, 0.0, 1.0])
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in _GATES:
        raise ValueError(f"logic_gate(): unknown gate {name!r}; choose one of {sorted(_GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    return Tensor._make(X), Tensor._make(np.array(_GATES[key], dtype=np.float32))


def xor() -> tuple[Tensor, Tensor]:
    """The XOR truth table, ``logic_gate("xor")``.

    Example:
        >>> from autograd.data.datasets import xor
        >>> xor()[1].tolist()
        [0.0, 1.0, 1.0, 0.0]
    """
    return logic_gate("xor")


def _rng(seed: int | Generator | None) -> np.random.Generator:
    if seed is None or isinstance(seed, Generator):
        return get_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, an autograd.Generator or None, not {seed!r}")
    return np.random.default_rng(int(seed))


def _check_count(name: str, value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name}(): {what} must be a positive int, got {value!r}")


def _check_noise(name: str, noise: float) -> None:
    if not 0 <= noise < math.inf:
        raise ValueError(f"{name}(): noise must be finite and >= 0, got {noise!r}")


def _jitter(rng: np.random.Generator, x: np.ndarray, noise: float) -> np.ndarray:
    """``x`` plus Gaussian noise of standard deviation ``noise`` (a huge one overflows to inf
    without NumPy's warning, as the arithmetic of our ops does)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return x + rng.standard_normal(x.shape) * noise


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[Tensor, Tensor]:
    p = rng.permutation(len(y))
    with np.errstate(over="ignore"):  # a huge noise's points: inf in float32, as in float64
        X32 = X[p].astype(np.float32)
    return Tensor._make(X32), Tensor._make(y[p].astype(np.int64))


def spirals(
    n_per_class: int = 100,
    n_classes: int = 3,
    noise: float = 0.2,
    seed: int | Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Interleaved spiral arms (CS231n's toy set): X float32 (N, 2), y int64 (N,), N = n*k.

    Arm ``k`` has radius 0..1 and angle 4k..4(k+1) radians plus ``noise`` * N(0, 1). Rows come in
    random order. ``seed=None`` draws from the default generator (``autograd.manual_seed``); an
    int seed gives the same data every time.

    Example:
        >>> from autograd.data.datasets import spirals
        >>> X, y = spirals(50, 3, seed=0)
        >>> X.shape, X.dtype, y.shape, sorted(set(y.tolist()))
        ((150, 2), dtype('float32'), (150,), [0, 1, 2])
    """
    _check_count("spirals", n_per_class, "n_per_class")
    _check_count("spirals", n_classes, "n_classes")
    _check_noise("spirals", noise)
    rng = _rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    t = np.concatenate([np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) for k in range(n_classes)])
    t = _jitter(rng, t, noise)
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _shuffled(rng, X, y)


def moons(
    n_samples: int = 200, noise: float = 0.1, seed: int | Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``): X float32 (N, 2), y int64.

    Rows come in random order; ``noise`` is the std of Gaussian noise added to each coordinate.
    Seeding as in :func:`spirals`.

    Example:
        >>> from autograd.data.datasets import moons
        >>> X, y = moons(100, seed=0)
        >>> X.shape, int(y.sum())
        ((100, 2), 50)
    """
    _check_count("moons", n_samples, "n_samples")
    _check_noise("moons", noise)
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    a_out = np.linspace(0.0, np.pi, n_out)
    a_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(a_out), np.sin(a_out)], axis=1),
            np.stack([1.0 - np.cos(a_in), 0.5 - np.sin(a_in)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    X = _jitter(rng, X, noise)
    return _shuffled(rng, X, y)


def circles(
    n_samples: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """A small circle inside a big one (as scikit-learn's ``make_circles``): X (N, 2), y int64.

    The outer circle (radius 1) is class 0, the inner (radius ``factor``) class 1. Rows come in
    random order. Seeding as in :func:`spirals`.

    Example:
        >>> from autograd.data.datasets import circles
        >>> X, y = circles(100, noise=0.0, seed=0)
        >>> bool(((X ** 2).sum(1)[y == 1] < 0.26).all())
        True
    """
    _check_count("circles", n_samples, "n_samples")
    _check_noise("circles", noise)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"circles(): factor must be in [0, 1), got {factor!r}")
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    a_out = np.linspace(0.0, 2.0 * np.pi, n_out, endpoint=False)
    a_in = np.linspace(0.0, 2.0 * np.pi, n_in, endpoint=False)
    X = np.concatenate(
        [
            np.stack([np.cos(a_out), np.sin(a_out)], axis=1),
            factor * np.stack([np.cos(a_in), np.sin(a_in)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    X = _jitter(rng, X, noise)
    return _shuffled(rng, X, y)


def load_digits(flatten: bool = False) -> tuple[Tensor, Tensor]:
    """The 1797 8x8 handwritten digits that scikit-learn ships (no download).

    Returns X float32 (1797, 1, 8, 8) scaled to [0, 1] (pixel / 16), or (1797, 64) with
    ``flatten=True``, and y int64 (1797,) in 0..9. Needs scikit-learn
    (``pip install scikit-learn``, or ``pip install "npgrad[examples]"``).

    Example:
        >>> from autograd.data.datasets import load_digits
        >>> X, y = load_digits()
        >>> X.shape, X.dtype, y.shape, y.dtype
        ((1797, 1, 8, 8), dtype('float32'), (1797,), dtype('int64'))
    """
    try:
        sk_datasets = importlib.import_module("sklearn.datasets")
    except ImportError as e:
        raise ImportError(
            "load_digits() needs scikit-learn, which ships the 8x8 digits: "
            'pip install scikit-learn (or pip install "npgrad[examples]")'
        ) from e
    bunch = sk_datasets.load_digits()
    X = (np.asarray(bunch.data, dtype=np.float64) / 16.0).astype(np.float32)
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    return Tensor._make(np.ascontiguousarray(X)), Tensor._make(np.asarray(bunch.target, np.int64))


# IDX type codes (http://yann.lecun.com/exdb/mnist/): all multi-byte values are big-endian.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise FileNotFoundError(2, f"IDX file not found: {str(path)!r}", str(path))
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        if path.suffix == ".gz":
            raise ValueError(f"{str(path)!r}: not a gzip file (the name ends in .gz)")
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{str(path)!r}: corrupt or truncated gzip data ({e})") from None


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (MNIST's format), plain or gzipped, into a NumPy array.

    The header is checked: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dims, then each dim's size; the data
    must be exactly as long as the sizes say. A missing file raises FileNotFoundError, a corrupt
    or truncated one ValueError, each naming the path.

    Example:
        >>> import gzip, os, tempfile
        >>> import numpy as np
        >>> from autograd.data.datasets import read_idx
        >>> p = os.path.join(tempfile.mkdtemp(), "labels.gz")
        >>> with gzip.open(p, "wb") as f:
        ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
        >>> read_idx(p)
        array([7, 2, 1], dtype=uint8)
    """
    p = Path(path)
    buf = _read_bytes(p)
    if len(buf) < 4:
        raise ValueError(f"{str(p)!r}: not an IDX file: only {len(buf)} bytes, no 4-byte header")
    if buf[0] != 0 or buf[1] != 0:
        raise ValueError(
            f"{str(p)!r}: bad IDX magic number 0x{buf[:4].hex()}: the first two bytes must be 0"
        )
    code, ndim = buf[2], buf[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"{str(p)!r}: unknown IDX type code 0x{code:02X} (expected {known})")
    if ndim == 0:
        raise ValueError(f"{str(p)!r}: IDX header says 0 dims")
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise ValueError(
            f"{str(p)!r}: truncated IDX header: {ndim} dims need {header} bytes, file has "
            f"{len(buf)}"
        )
    shape = tuple(int(s) for s in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: a huge header cannot wrap
    found = len(buf) - header
    if found < expected:
        raise ValueError(
            f"{str(p)!r}: truncated IDX data: shape {shape} of {dtype.newbyteorder('=')} needs "
            f"{expected} bytes, found {found}"
        )
    if found > expected:
        raise ValueError(
            f"{str(p)!r}: IDX data is {found - expected} bytes longer than shape {shape} needs "
            f"({expected} bytes)"
        )
    data = np.frombuffer(buf, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _find_idx(root: Path, prefix: str, kind: str, idx: str) -> Path:
    names = [f"{prefix}-{kind}-{idx}-ubyte", f"{prefix}-{kind}.{idx}-ubyte"]
    for name in names:
        for candidate in (root / name, root / f"{name}.gz"):
            if candidate.exists():
                return candidate
    raise FileNotFoundError(
        2,
        f"load_mnist(): no {names[0]} or {names[0]}.gz in {str(root)!r} (npgrad reads MNIST "
        f"files you already have; it does not download them)",
        str(root / names[0]),
    )


def load_mnist(root: str | os.PathLike[str], train: bool = True) -> tuple[Tensor, Tensor]:
    """MNIST from the IDX files in ``root`` (plain or .gz; never downloaded).

    Reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``t10k-*`` when
    ``train=False``). Returns X float32 (N, 1, H, W) scaled to [0, 1] (pixel / 255; H = W = 28
    for MNIST) and y int64 (N,); the image and label counts must agree.

    Example:
        >>> from autograd.data.datasets import load_mnist
        >>> X, y = load_mnist("data/mnist")  # doctest: +SKIP
        >>> X.shape, y.shape  # doctest: +SKIP
        ((60000, 1, 28, 28), (60000,))
    """
    r = Path(root)
    prefix = "train" if train else "t10k"
    img_path = _find_idx(r, prefix, "images", "idx3")
    lbl_path = _find_idx(r, prefix, "labels", "idx1")
    images = read_idx(img_path)
    labels = read_idx(lbl_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{str(img_path)!r}: expected uint8 images of shape (N, H, W), got {images.dtype} "
            f"{images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"{str(lbl_path)!r}: expected uint8 labels of shape (N,), got {labels.dtype} "
            f"{labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"load_mnist(): {images.shape[0]} images in {str(img_path)!r} but {labels.shape[0]} "
            f"labels in {str(lbl_path)!r}"
        )
    X = (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]
    return Tensor._make(np.ascontiguousarray(X)), Tensor._make(labels.astype(np.int64))
