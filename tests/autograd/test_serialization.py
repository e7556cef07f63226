"""autograd.save / autograd.load: exact round trips, atomic writes, and clear errors."""

from __future__ import annotations

import collections
import json
import math
import os
import pathlib
import pickle
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd import Tensor

NAN_PAYLOAD = struct.unpack(">d", bytes.fromhex("fff0000000000123"))[0]  # a negative NaN


def bits(x: float) -> bytes:
    return struct.pack(">d", x)


def assert_same(a, b):
    """Equal values *and* types, down to float bits, dtypes, shapes and requires_grad."""
    assert type(a) is type(b), f"{type(a).__name__} != {type(b).__name__}"
    if isinstance(a, Tensor):
        assert a is not b
        assert a.requires_grad is b.requires_grad
        assert a.grad_fn is None and b.grad is None
        assert_same(a.data, b.data)
    elif isinstance(a, np.ndarray | np.generic):
        assert a.dtype == b.dtype
        assert a.shape == b.shape
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    elif isinstance(a, float):
        assert bits(a) == bits(b)
    elif isinstance(a, complex):
        assert (bits(a.real), bits(a.imag)) == (bits(b.real), bits(b.imag))
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b]
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        assert a == b


def roundtrip(obj, path):
    autograd.save(obj, path)
    return autograd.load(path)


# -- round trips --------------------------------------------------------------------------------
PLAIN = [
    None,
    True,
    False,
    0,
    1,
    -7,
    2**63 - 1,
    -(2**63),
    2**63,
    -(2**64) - 1,
    10**5000,
    -(10**400),
    0.0,
    -0.0,
    1.5,
    0.1,
    -1e-310,
    5e-324,
    1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
    NAN_PAYLOAD,
    1 + 2j,
    complex(-0.0, math.nan),
    "",
    "abc",
    "héllo wörld ∂ 😀",
    "\ud800",
    "\x00",
    '{"type": "list", "items": []}',
    [],
    (),
    {},
    [[]],
    ((),),
    {"": {}},
]


@pytest.mark.parametrize("value", PLAIN, ids=lambda v: type(v).__name__)
def test_plain_values_round_trip_exactly(tmp_path, value):
    loaded = roundtrip({"v": value, "in_list": [value], "in_tuple": (value,)}, tmp_path / "f")
    assert_same(loaded, {"v": value, "in_list": [value], "in_tuple": (value,)})


def test_huge_int_survives_python_digit_limit(tmp_path):
    n = 7**20000  # about 17,000 digits: over Python's default 4300-digit str/int limit
    assert roundtrip([n, -n, {n: -n}], tmp_path / "f") == [n, -n, {n: -n}]
    with pytest.raises(
        TypeError, match=r"^cannot save object of type 'set' at obj\[0x[0-9a-f]+\]$"
    ):
        autograd.save({n: {1}}, tmp_path / "g")


DTYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.longdouble,
    np.complex64,
    np.complex128,
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 1, 1, 2)])
def test_arrays_round_trip_with_dtype_and_shape(tmp_path, dtype, shape):
    arr = (np.arange(math.prod(shape)) % 3).reshape(shape).astype(dtype)
    loaded = roundtrip({"a": arr}, tmp_path / "f")["a"]
    assert_same(loaded, arr)


def test_float_edge_values_in_arrays(tmp_path):
    for dtype in (np.float16, np.float32, np.float64):
        info = np.finfo(dtype)
        edge = [
            0.0,
            -0.0,
            math.inf,
            -math.inf,
            math.nan,
            -math.nan,
            info.max,
            info.min,
            info.tiny,
            info.smallest_subnormal,
            info.eps,
        ]
        arr = np.array(edge, dtype=dtype)
        assert_same(roundtrip(arr, tmp_path / "f"), arr)


def test_other_array_kinds(tmp_path):
    base = np.arange(12.0).reshape(3, 4)
    arrays = [
        base.T,  # not contiguous
        base[::2, ::-1],
        np.array(["a", "héllo"]),  # unicode strings need no pickle
        np.array([b"x", b"yz"]),
        np.array(["2024-01-01"], dtype="datetime64[D]"),
        np.zeros(2, dtype=[("x", "<f4"), ("n", "<i8")]),  # structured
        np.arange(6, dtype=">i4"),  # big-endian
    ]
    loaded = roundtrip(arrays, tmp_path / "f")
    assert_same(loaded, arrays)


@pytest.mark.parametrize(
    "scalar",
    [
        np.float16(1.5),
        np.float32(-0.0),
        np.float64(np.nan),
        np.int8(-3),
        np.uint64(2**64 - 1),
        np.bool_(True),
        np.complex64(1 - 1j),
        np.str_("hi"),
    ],
    ids=repr,
)
def test_numpy_scalars_stay_numpy_scalars(tmp_path, scalar):
    loaded = roundtrip([scalar], tmp_path / "f")[0]
    assert_same(loaded, scalar)


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (0,), (4,), (2, 3)])
def test_float_tensors_round_trip(tmp_path, dtype, requires_grad, shape):
    t = Tensor(np.linspace(-1, 1, math.prod(shape)).reshape(shape).astype(dtype))
    t.requires_grad_(requires_grad)
    loaded = roundtrip({"t": t}, tmp_path / "f")["t"]
    assert_same(loaded, t)
    assert loaded.dtype == dtype and loaded.shape == shape


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_non_float_tensors_round_trip(tmp_path, dtype):
    t = Tensor(np.array([[0, 1], [1, 0]], dtype=dtype))
    assert_same(roundtrip(t, tmp_path / "f"), t)


def test_non_leaf_tensor_loads_as_leaf_that_requires_grad(tmp_path):
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    loaded = roundtrip(y, tmp_path / "f")
    assert loaded.is_leaf and loaded.grad_fn is None and loaded.requires_grad
    np.testing.assert_array_equal(loaded.data, [3.0, 6.0])
    loaded.sum().backward()  # and it is a working leaf
    np.testing.assert_array_equal(loaded.grad.data, [1.0, 1.0])


def test_state_dict_and_optimizer_state_shapes(tmp_path):
    model = collections.OrderedDict(
        [
            ("layer.0.weight", Tensor(np.ones((2, 3), np.float32), requires_grad=True)),
            ("layer.0.bias", Tensor(np.zeros(2, np.float32))),
            ("bn.num_batches_tracked", Tensor(np.array(5))),
        ]
    )
    optim = {
        "state": {0: {"step": Tensor(np.array(3.0)), "exp_avg": np.full(3, 0.5)}, 1: {}},
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "params": [0, 1],
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "name": "décoder",
            }
        ],
    }
    obj = {"model": model, "optim": optim, "epoch": 7, -1: "negative int key", 2**70: "big"}
    loaded = roundtrip(obj, tmp_path / "checkpoint.pt")
    assert type(loaded["model"]) is dict  # OrderedDict loads as dict, order kept
    assert list(loaded["model"]) == list(model)
    assert_same(loaded, {**obj, "model": dict(model)})
    assert list(loaded["optim"]["state"]) == [0, 1]  # int keys stay int


def test_keys_that_look_like_each_other_stay_apart(tmp_path):
    obj = {1: "int", "1": "str", "a0": "x", "__structure__": "y", "type": "z"}
    assert_same(roundtrip(obj, tmp_path / "f"), obj)


def test_deep_nesting(tmp_path):
    obj: object = 1.0
    for i in range(200):
        obj = [obj] if i % 3 == 0 else (obj,) if i % 3 == 1 else {"k": obj}
    assert_same(roundtrip(obj, tmp_path / "f"), obj)


def test_shared_objects_load_as_equal_copies(tmp_path):
    arr = np.arange(3)
    loaded = roundtrip([arr, arr], tmp_path / "f")
    assert_same(loaded, [arr, arr])


# -- Hypothesis: random trees -------------------------------------------------------------------
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
dtypes = st.sampled_from(
    [np.bool_, np.int8, np.int64, np.uint16, np.float16, np.float32, np.float64, np.complex128]
)
arrays = hnp.arrays(dtypes, shapes)
float_arrays = hnp.arrays(st.sampled_from([np.float32, np.float64]), shapes)
tensors = st.builds(lambda a, rg: Tensor(a, requires_grad=rg), float_arrays, st.booleans())
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63)
    | st.floats()
    | st.complex_numbers()
    | st.text()
    | arrays
    | tensors
    | hnp.from_dtype(np.dtype(np.float32))
    | hnp.from_dtype(np.dtype(np.int16))
)
trees = st.recursive(
    leaves,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.lists(kids, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=5) | st.integers(), kids, max_size=4)
    ),
    max_leaves=25,
)


@given(tree=trees)
def test_random_trees_round_trip(tmp_path_factory, tree):
    path = tmp_path_factory.mktemp("h") / "tree"
    assert_same(roundtrip(tree, path), tree)


# -- paths and the file itself ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["model", "model.pt", "model.npz", "with space ü.bin", ".hidden"])
def test_any_filename_is_used_as_given(tmp_path, name):
    autograd.save({"x": 1}, tmp_path / name)
    assert os.listdir(tmp_path) == [name]  # no ".npz" appended, no temp file left
    assert autograd.load(str(tmp_path / name)) == {"x": 1}


def test_str_and_pathlike_paths(tmp_path):
    autograd.save([1], str(tmp_path / "a"))
    autograd.save([2], pathlib.Path(tmp_path / "b"))
    assert autograd.load(pathlib.Path(tmp_path / "a")) == [1]
    assert autograd.load(str(tmp_path / "b")) == [2]


def test_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    autograd.save({"x": 2}, "rel")
    assert autograd.load("rel") == {"x": 2}
    assert os.listdir(tmp_path) == ["rel"]


def test_overwrite_replaces_old_contents(tmp_path):
    path = tmp_path / "f"
    autograd.save({"old": 1}, path)
    autograd.save({"new": 2}, path)
    assert autograd.load(path) == {"new": 2}
    assert os.listdir(tmp_path) == ["f"]


def test_file_is_plain_npz_with_tagged_structure(tmp_path):
    autograd.save({"w": np.ones(2)}, tmp_path / "f")
    with np.load(tmp_path / "f", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["__structure__", "a0"]
        doc = json.loads(npz["__structure__"].tobytes())
    assert doc["format"] == "npgrad" and doc["version"] == 1


def test_file_permissions_follow_umask(tmp_path):
    (tmp_path / "ref").write_bytes(b"")
    autograd.save(1, tmp_path / "f")
    assert (tmp_path / "f").stat().st_mode == (tmp_path / "ref").stat().st_mode


# -- atomicity ----------------------------------------------------------------------------------
def _fail_midway_in_savez(f, **arrays):
    f.write(b"PK\x03\x04 half of a zip file")
    raise OSError(28, "No space left on device")


def _fail(*args, **kwargs):
    raise OSError(5, "Input/output error")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "target, replacement, error",
    [
        ("numpy.savez", _fail_midway_in_savez, OSError),
        ("numpy.lib.format.write_array", _interrupt, KeyboardInterrupt),
        ("os.fsync", _fail, OSError),
        ("os.replace", _fail, OSError),
    ],
)
def test_failed_write_leaves_old_file_whole_and_no_temp_file(
    tmp_path, monkeypatch, target, replacement, error
):
    path = tmp_path / "ckpt"
    autograd.save({"w": np.arange(1000.0), "step": 1}, path)
    before = path.read_bytes()
    monkeypatch.setattr(target, replacement)
    with pytest.raises(error):
        autograd.save({"w": np.zeros(1000), "step": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt"]
    assert path.read_bytes() == before
    assert autograd.load(path)["step"] == 1


def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("numpy.savez", _fail_midway_in_savez)
    with pytest.raises(OSError, match="No space left"):
        autograd.save({"w": np.ones(3)}, tmp_path / "new")
    assert os.listdir(tmp_path) == []


def test_unstorable_object_deep_in_tree_leaves_old_file_whole(tmp_path):
    path = tmp_path / "ckpt"
    autograd.save({"step": 1}, path)
    before = path.read_bytes()
    bad = {"model": {"w": np.ones(3), "layers": [np.ones(2), 2.0, {1, 2}]}}
    with pytest.raises(TypeError, match=r"^cannot save object of type 'set' at "):
        autograd.save(bad, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt"]


# -- what cannot be saved -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "obj, message",
    [
        (
            {"model": {"layers": [1, 2, {3}]}},
            "cannot save object of type 'set' at obj['model']['layers'][2]",
        ),
        ([1, (2, object())], "cannot save object of type 'object' at obj[1][1]"),
        ({0: {"f": len}}, "cannot save object of type 'builtin_function_or_method' at obj[0]['f']"),
        (b"bytes", "cannot save object of type 'bytes' at obj"),
        ({"r": range(3)}, "cannot save object of type 'range' at obj['r']"),
        ([collections.namedtuple("P", "x y")(1, 2)], "cannot save object of type 'P' at obj[0]"),
        (
            {"a": np.array([1, None], dtype=object)},
            "cannot save a ndarray of dtype object at obj['a']: it would need pickle",
        ),
        ({"m": np.ma.masked_array([1, 2], mask=[0, 1])}, "cannot save a MaskedArray"),
    ],
)
def test_unstorable_objects_name_type_and_place(tmp_path, obj, message):
    with pytest.raises(TypeError) as info:
        autograd.save(obj, tmp_path / "f")
    assert str(info.value).startswith(message)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "obj, message",
    [
        ({"a": {(1, 2): 3}}, "cannot save dict key (1, 2) of type 'tuple' at obj['a']"),
        ({"a": [{1.5: 3}]}, "cannot save dict key 1.5 of type 'float' at obj['a'][0]"),
        ({True: 1}, "cannot save dict key True of type 'bool' at obj"),
        ({None: 1}, "cannot save dict key None of type 'NoneType' at obj"),
        ({np.int64(1): 1}, "cannot save dict key np.int64(1) of type 'int64' at obj"),
    ],
)
def test_bad_dict_keys_name_the_key_and_place(tmp_path, obj, message):
    with pytest.raises(TypeError) as info:
        autograd.save(obj, tmp_path / "f")
    assert str(info.value) == message + ": keys must be str or int"


def test_circular_reference_is_an_error(tmp_path):
    loop: list = [1]
    loop.append({"again": loop})
    with pytest.raises(ValueError, match=r"cannot save obj\[1\]\['again'\]: it contains itself"):
        autograd.save(loop, tmp_path / "f")
    assert os.listdir(tmp_path) == []


# -- what cannot be loaded ----------------------------------------------------------------------
def test_missing_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError) as info:
        autograd.load(path)
    assert str(path) in str(info.value)


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good"
    autograd.save({"w": Tensor(np.arange(500.0), requires_grad=True), "n": [1, 2.5, "s"]}, path)
    return path


@pytest.mark.parametrize("keep", [0.0, 0.01, 0.25, 0.5, 0.9, 0.99])
def test_truncated_file(good_file, keep):
    data = good_file.read_bytes()
    good_file.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"cannot load .*good.*: (not an \.npz|truncated)"):
        autograd.load(good_file)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match=r"cannot load .*noise.*: not an \.npz file"):
        autograd.load(path)


def test_zip_header_then_garbage(tmp_path):
    path = tmp_path / "fake"
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(1).bytes(1000))
    with pytest.raises(ValueError, match=r"cannot load .*fake.*: truncated or corrupt"):
        autograd.load(path)


def test_flipped_bytes_in_array_data_never_pass_silently(good_file):
    data = bytearray(good_file.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the stored data of "a0": zip's CRC catches it
    good_file.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="cannot load"):
        autograd.load(good_file)


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_carrying_npz_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, a0=np.array([_Evil(str(marker))], dtype=object))
    with pytest.raises(ValueError, match=r"cannot load .*evil\.npz.*pickled data"):
        autograd.load(path)
    assert not marker.exists()


def test_npz_with_our_structure_and_an_object_array_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil"
    autograd.save({"w": np.ones(2)}, path)
    with np.load(path) as npz:
        entries = dict(npz)
    entries["a0"] = np.array([_Evil(str(marker))], dtype=object)
    with open(path, "wb") as f:
        np.savez(f, **entries)
    with pytest.raises(ValueError, match="pickled data"):
        autograd.load(path)
    assert not marker.exists()


def test_plain_pickle_file_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_Evil(str(marker))))
    with pytest.raises(ValueError, match=r"cannot load .*evil\.pkl.*not an \.npz"):
        autograd.load(path)
    assert not marker.exists()


def test_plain_npz_not_written_by_save(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ValueError, match=r"cannot load .*plain\.npz.*not written by autograd"):
        autograd.load(path)


def test_npy_file(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match=r"cannot load .*x\.npy.*not an \.npz file"):
        autograd.load(path)


def test_other_zip_file(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"cannot load .*other\.zip"):
        autograd.load(path)


def test_empty_zip_file(tmp_path):
    path = tmp_path / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    with pytest.raises(ValueError, match="not written by autograd.save"):
        autograd.load(path)


def _write_structure(path, structure, **arrays):
    raw = structure if isinstance(structure, bytes) else json.dumps(structure).encode()
    with open(path, "wb") as f:
        np.savez(f, __structure__=np.frombuffer(raw, dtype=np.uint8), **arrays)


@pytest.mark.parametrize(
    "structure, message",
    [
        ({"format": "npgrad", "version": 2, "root": None}, "unsupported format version 2"),
        ({"format": "npgrad", "version": "1", "root": None}, "unsupported format version '1'"),
        ({"format": "other", "version": 1, "root": None}, "not written by autograd.save"),
        ({"format": "npgrad", "version": 1}, "not written by autograd.save"),
        ([1, 2], "not written by autograd.save"),
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe", "is not valid JSON"),
        (b"[" * 100000, "is not valid JSON"),
    ],
)
def test_bad_structure_document(tmp_path, structure, message):
    path = tmp_path / "bad"
    _write_structure(path, structure)
    with pytest.raises(ValueError) as info:
        autograd.load(path)
    assert str(info.value).startswith(f"cannot load {str(path)!r}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    "root, message",
    [
        (1.5, "unknown structure node 1.5 at obj"),
        ({"type": "set", "items": []}, "unknown structure node"),
        ({"type": "list", "items": [{"x": 1}]}, "unknown structure node {'x': 1} at obj[0]"),
        ({"type": "array", "array": "a7"}, "missing array entry 'a7' for obj"),
        ({"type": "array", "array": []}, "missing array entry [] for obj"),
        ({"type": "tensor", "array": "a0"}, "bad requires_grad None at obj"),
        ({"type": "float", "bits": "00"}, "bad float bits '00' at obj"),
        ({"type": "float", "bits": "zz" * 8}, "malformed structure"),
        ({"type": "int", "hex": "0xg"}, "malformed structure"),
        ({"type": "dict", "items": [[1.5, 2]]}, "unknown structure node 1.5"),
        ({"type": "dict", "items": [[None, 2]]}, "bad dict key None at obj"),
        ({"type": "dict", "items": [[1, 2, 3]]}, "bad dict item [1, 2, 3] at obj"),
        ({"type": "tensor", "array": "a0", "requires_grad": True}, "cannot make the tensor"),
    ],
)
def test_bad_structure_node(tmp_path, root, message):
    path = tmp_path / "bad"
    _write_structure(path, {"format": "npgrad", "version": 1, "root": root}, a0=np.arange(3))
    with pytest.raises(ValueError) as info:
        autograd.load(path)
    assert str(info.value).startswith(f"cannot load {str(path)!r}: ")
    assert message in str(info.value)


def test_structure_entry_of_wrong_dtype(tmp_path):
    path = tmp_path / "f"
    with open(path, "wb") as f:
        np.savez(f, __structure__=np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="'__structure__' is not a 1-D uint8 array"):
        autograd.load(path)
