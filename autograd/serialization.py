"""save() and load(): nested containers of tensors, arrays and plain values as pickle-free .npz."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import struct
import zipfile
from typing import Any

import numpy as np

from .tensor import Tensor

FORMAT = "npgrad"
VERSION = 1
_STRUCTURE = "__structure__"
_INT64 = 2**63
# Everything np.load, zipfile, json and our own checks raise on a damaged or foreign file.
_LOAD_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    EOFError,
    OSError,
    RecursionError,
    zipfile.BadZipFile,
)


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save nested dicts, lists and tuples of tensors, arrays and plain values to ``path``.

    Leaves may be ``Tensor`` (dtype, shape, values and ``requires_grad``; not ``.grad`` or the
    graph), ``numpy.ndarray``, NumPy scalars, ``int``, ``float``, ``complex``, ``bool``, ``str``
    and ``None``. Dict keys must be ``str`` or ``int``. Dict subclasses (``OrderedDict``) load as
    ``dict``; objects shared between two places load as two copies. The file is a NumPy ``.npz``
    holding no pickled data, written to a temporary file beside ``path`` and renamed over it, so
    a save that fails leaves any old file whole.

    Args:
        obj: The tree to save, e.g. a ``state_dict()``.
        path: Where to write; used as given (no ``.npz`` is appended).

    Raises:
        TypeError: An object, array dtype or dict key cannot be stored; says where it sits.
        ValueError: ``obj`` contains itself.
        OSError: The file could not be written (the old file, if any, is left as it was).

    Example:
        >>> import autograd, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> autograd.save({"w": autograd.ones(2, requires_grad=True), "step": 3}, path)
        >>> autograd.load(path)["step"]
        3
    """
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, "obj", arrays, set())
    doc = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    arrays[_STRUCTURE] = np.frombuffer(doc.encode("ascii"), dtype=np.uint8)
    entries: dict[str, Any] = arrays  # Any: savez's own keyword allow_pickle confuses mypy
    target = os.path.abspath(os.fsdecode(path))
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name[:64]}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **entries)  # a file object, so savez appends no ".npz" to the name
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX only)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load(path: str | os.PathLike[str]) -> Any:
    """Load what ``save`` wrote; never unpickles, so a file cannot run code.

    Args:
        path: A file written by ``autograd.save``.

    Returns:
        The saved tree: tensors as ``Tensor``, arrays as ``numpy.ndarray``, and the same
        containers and plain values (ints and floats exactly, ``-0.0`` and NaNs included).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file is truncated, corrupt, not an ``.npz`` written by ``save``, holds
            pickled data, or has an unknown format version; the message names the path.

    Example:
        >>> import autograd, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "state")
        >>> autograd.save({0: {"momentum": (1.5, None)}}, path)
        >>> autograd.load(path)
        {0: {'momentum': (1.5, None)}}
    """
    name = os.fsdecode(path)
    with open(name, "rb") as f:  # a missing file raises FileNotFoundError naming the path
        if f.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise ValueError(f"cannot load {name!r}: not an .npz file (no zip header)")
        f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except _LOAD_ERRORS as err:
            if isinstance(err, ValueError) and "allow_pickle" in str(err):
                why = "it holds pickled data (an object array), which load never reads"
            else:
                why = f"truncated or corrupt .npz file ({type(err).__name__}: {err})"
            raise ValueError(f"cannot load {name!r}: {why}") from err
    try:
        return _decode_file(arrays)
    except _FormatError as err:
        raise ValueError(f"cannot load {name!r}: {err}") from err
    except _LOAD_ERRORS as err:
        raise ValueError(f"cannot load {name!r}: malformed structure ({err!r})") from err


class _FormatError(Exception):
    """A file that np.load read but that is not (or no longer) what save() wrote."""


def _encode(obj: Any, where: str, arrays: dict[str, np.ndarray], seen: set[int]) -> Any:
    """The JSON node for ``obj``; its arrays go into ``arrays`` under keys a0, a1, ..."""
    if obj is None or (isinstance(obj, bool | str) and not isinstance(obj, np.generic)):
        return obj
    if isinstance(obj, Tensor | np.ndarray | np.generic):
        arr = obj.data if isinstance(obj, Tensor) else np.asarray(obj)
        if arr.dtype.hasobject or isinstance(obj, np.ma.MaskedArray):
            kind = f"a {type(obj).__name__} of dtype {arr.dtype}"
            raise TypeError(f"cannot save {kind} at {where}: it would need pickle")
        key = f"a{len(arrays)}"
        arrays[key] = arr
        if isinstance(obj, Tensor):
            return {"type": "tensor", "array": key, "requires_grad": bool(obj.requires_grad)}
        return {"type": "array" if isinstance(obj, np.ndarray) else "scalar", "array": key}
    if isinstance(obj, int):
        return _encode_int(obj)
    if isinstance(obj, float):
        return {"type": "float", "bits": _float_bits(obj)}
    if isinstance(obj, complex):
        return {"type": "complex", "bits": [_float_bits(obj.real), _float_bits(obj.imag)]}
    if not isinstance(obj, dict) and type(obj) not in (list, tuple):
        raise TypeError(f"cannot save object of type {type(obj).__name__!r} at {where}")
    if id(obj) in seen:
        raise ValueError(f"cannot save {where}: it contains itself")
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, str | int):
                msg = f"cannot save dict key {k!r} of type {type(k).__name__!r} at {where}"
                raise TypeError(f"{msg}: keys must be str or int")
            key = k if isinstance(k, str) else _encode_int(k)
            items.append([key, _encode(v, _item(where, k), arrays, seen)])
        node = {"type": "dict", "items": items}
    else:
        children = [_encode(v, f"{where}[{i}]", arrays, seen) for i, v in enumerate(obj)]
        node = {"type": type(obj).__name__, "items": children}
    seen.discard(id(obj))
    return node


def _encode_int(n: int) -> Any:
    # JSON numbers beyond int64 trip other readers and Python's 4300-digit limit: use hex.
    return int(n) if -_INT64 <= n < _INT64 else {"type": "int", "hex": hex(n)}


def _item(where: str, key: str | int) -> str:
    """``obj['a']`` or ``obj[3]``: where a dict value sits (a huge int key shown in hex)."""
    if isinstance(key, int) and not -_INT64 <= key < _INT64:
        return f"{where}[{hex(key)}]"
    return f"{where}[{key!r}]"


def _float_bits(x: float) -> str:
    return struct.pack(">d", x).hex()  # the IEEE bits: exact for -0.0 and every NaN payload


def _decode_file(arrays: dict[str, np.ndarray]) -> Any:
    raw = arrays.pop(_STRUCTURE, None)
    if raw is None:
        raise _FormatError(f"not written by autograd.save (no {_STRUCTURE!r} entry)")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _FormatError(f"{_STRUCTURE!r} is not a 1-D uint8 array")
    try:
        doc = json.loads(raw.tobytes().decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise _FormatError(f"{_STRUCTURE!r} is not valid JSON ({err})") from err
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or "root" not in doc:
        raise _FormatError(f"not written by autograd.save (no {FORMAT!r} format tag)")
    if doc.get("version") != VERSION:
        raise _FormatError(
            f"unsupported format version {doc.get('version')!r} (this npgrad reads {VERSION})"
        )
    return _decode(doc["root"], arrays, "obj")


def _decode(node: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    if node is None or isinstance(node, bool | str | int):
        return node
    kind = node.get("type") if isinstance(node, dict) else None
    if kind in ("tensor", "array", "scalar"):
        key = node.get("array")
        arr = arrays.get(key) if isinstance(key, str) else None
        if arr is None:
            raise _FormatError(f"missing array entry {key!r} for {where}")
        if kind == "array":
            return arr
        if kind == "scalar":
            return arr[()]
        requires_grad = node.get("requires_grad")
        if not isinstance(requires_grad, bool):
            raise _FormatError(f"bad requires_grad {requires_grad!r} at {where}")
        try:
            return Tensor(arr, requires_grad=requires_grad)
        except (TypeError, ValueError, RuntimeError) as err:
            raise _FormatError(f"cannot make the tensor at {where}: {err}") from err
    if kind == "int" and isinstance(node.get("hex"), str):
        return int(node["hex"], 16)
    if kind == "float":
        return _bits_float(node.get("bits"), where)
    if kind == "complex" and isinstance(node.get("bits"), list) and len(node["bits"]) == 2:
        return complex(_bits_float(node["bits"][0], where), _bits_float(node["bits"][1], where))
    items = node.get("items") if isinstance(node, dict) else None
    if kind in ("list", "tuple") and isinstance(items, list):
        children = [_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(items)]
        return children if kind == "list" else tuple(children)
    if kind == "dict" and isinstance(items, list):
        out = {}
        for item in items:
            if not isinstance(item, list) or len(item) != 2:
                raise _FormatError(f"bad dict item {item!r} at {where}")
            key = _decode(item[0], arrays, where)
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise _FormatError(f"bad dict key {item[0]!r} at {where}")
            out[key] = _decode(item[1], arrays, _item(where, key))
        return out
    raise _FormatError(f"unknown structure node {node!r} at {where}")


def _bits_float(bits: Any, where: str) -> float:
    if not isinstance(bits, str) or len(bits) != 16:
        raise _FormatError(f"bad float bits {bits!r} at {where}")
    return float(struct.unpack(">d", bytes.fromhex(bits))[0])
