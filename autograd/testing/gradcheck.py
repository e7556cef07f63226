"""Finite-difference checks of gradients: numerical_grad, gradcheck, gradgradcheck."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import autograd

if TYPE_CHECKING:
    from autograd import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when analytical and numerical gradients differ."""


# -- helpers ------------------------------------------------------------------------------------


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_float_tensor(x: Any) -> bool:
    return isinstance(x, autograd.Tensor) and x.data.dtype.kind == "f"


def _float_outputs(out: Any) -> list[tuple[int, Tensor]]:
    """The floating-point Tensor outputs of ``fn`` with their positions; others are skipped."""
    return [(j, o) for j, o in enumerate(_as_tuple(out)) if _is_float_tensor(o)]


def _evaluate(
    fn: Callable[..., Any], inputs: tuple[Any, ...], wrt: Sequence[int], arrays: list[np.ndarray]
) -> list[np.ndarray]:
    """Run ``fn`` with the inputs at positions ``wrt`` replaced by fresh float64 tensors.

    Fresh leaves (not in-place edits of the caller's tensors) keep the caller's tensors and any
    graph they belong to untouched, and each input's ``requires_grad`` is kept so that ``fn`` may
    itself call ``autograd.grad`` (as ``gradgradcheck`` does).
    """
    args = list(inputs)
    for i, arr in zip(wrt, arrays, strict=True):
        args[i] = autograd.tensor(
            arr.copy(), dtype=np.float64, requires_grad=inputs[i].requires_grad
        )
    outs = _float_outputs(fn(*args))
    # Copy: an output may be a view of an input array that is perturbed again next.
    return [np.array(o.data, dtype=np.float64, copy=True) for _, o in outs]


def _numerical_jacobian(
    fn: Callable[..., Any], inputs: tuple[Any, ...], wrt: Sequence[int], eps: float
) -> list[list[np.ndarray]]:
    """``J[k][j]``: d(output j) / d(input wrt[k]) as an (output numel, input numel) array."""
    arrays = [np.array(inputs[i].data, dtype=np.float64, copy=True) for i in wrt]
    sizes = [o.size for o in _evaluate(fn, inputs, wrt, arrays)]
    jac: list[list[np.ndarray]] = []
    for arr in arrays:
        flat = arr.reshape(-1)  # a view: perturbing it perturbs arr
        per_out = [np.zeros((s, flat.size)) for s in sizes]
        for m in range(flat.size):
            orig = flat[m]
            flat[m] = orig + eps
            plus = _evaluate(fn, inputs, wrt, arrays)
            flat[m] = orig - eps
            minus = _evaluate(fn, inputs, wrt, arrays)
            flat[m] = orig
            if [p.size for p in plus] != sizes or [q.size for q in minus] != sizes:
                raise GradcheckError("fn's outputs changed number or size under perturbation")
            for j, (p, q) in enumerate(zip(plus, minus, strict=True)):
                per_out[j][:, m] = ((p - q) / (2.0 * eps)).reshape(-1)
        jac.append(per_out)
    return jac


def _analytical_jacobian(
    outputs: list[tuple[int, Tensor]], inputs: tuple[Any, ...], wrt: Sequence[int]
) -> list[list[np.ndarray]]:
    """Rows of the Jacobian by vector-Jacobian products with one-hot ``grad_outputs``."""
    diff_inputs = [inputs[i] for i in wrt]
    jac = [[np.zeros((o.data.size, inputs[i].data.size)) for _, o in outputs] for i in wrt]
    for j, (pos, out) in enumerate(outputs):
        if not out.requires_grad:
            continue  # a constant output: its Jacobian is zero
        for row in range(out.data.size):
            onehot = np.zeros(out.data.size, dtype=out.data.dtype)
            onehot[row] = 1
            grads = autograd.grad(
                [out],
                diff_inputs,
                grad_outputs=[autograd.tensor(onehot.reshape(out.data.shape))],
                retain_graph=True,
                allow_unused=True,
            )
            for k, g in enumerate(grads):
                if g is None:
                    continue
                want = tuple(diff_inputs[k].data.shape)
                if tuple(g.shape) != want:
                    raise GradcheckError(
                        f"gradient of output {pos} with respect to input {wrt[k]} has shape "
                        f"{tuple(g.shape)}, but the input has shape {want}"
                    )
                jac[k][j][row, :] = np.asarray(g.data, dtype=np.float64).reshape(-1)
    return jac


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _mismatch_message(
    a: np.ndarray,
    n: np.ndarray,
    in_pos: int,
    in_shape: tuple[int, ...],
    out_pos: int,
    out_shape: tuple[int, ...],
    atol: float,
    rtol: float,
) -> str:
    abs_err = np.abs(a - n)
    excess = abs_err - (atol + rtol * np.abs(n))
    excess = np.where(np.isnan(excess), np.inf, excess)
    row, col = np.unravel_index(int(np.argmax(excess)), a.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_err = np.where(np.abs(n) > 0, abs_err / np.abs(n), np.where(abs_err > 0, np.inf, 0.0))
    out_idx = _unravel(int(row), out_shape)
    in_idx = _unravel(int(col), in_shape)
    return (
        f"Jacobian mismatch for output {out_pos} with respect to input {in_pos}\n"
        f"  input {in_pos}: shape {in_shape}; output {out_pos}: shape {out_shape}\n"
        f"  worst at input index {in_idx}, output index {out_idx}\n"
        f"  analytical: {float(a[row, col])!r}\n"
        f"  numerical:  {float(n[row, col])!r}\n"
        f"  max abs error: {float(np.nanmax(abs_err)) if abs_err.size else 0.0:.6g}, "
        f"max rel error: {float(np.nanmax(rel_err)) if rel_err.size else 0.0:.6g} "
        f"(atol={atol}, rtol={rtol})\n"
        f"  analytical Jacobian:\n{_indent(a)}\n"
        f"  numerical Jacobian:\n{_indent(n)}"
    )


def _indent(a: np.ndarray) -> str:
    text = np.array2string(a, precision=6, suppress_small=True, max_line_width=96, threshold=64)
    return "\n".join("    " + line for line in text.splitlines())


# -- public API ---------------------------------------------------------------------------------


def numerical_grad(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    grad_outputs: Any = None,
) -> tuple[np.ndarray, ...]:
    """Gradients of ``fn`` at ``inputs`` by central differences in float64.

    For a scalar output this is the gradient of the output with respect to each input. For a
    non-scalar output (or several outputs) it is the gradient of ``sum((out * v).sum())`` where
    ``v`` comes from ``grad_outputs`` (default: ones), i.e. a vector-Jacobian product.
    Every input must be a floating-point Tensor; each is evaluated as a float64 copy.

    Args:
        fn: takes the input tensors and returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a sequence of Tensors.
        eps: the finite-difference step.
        grad_outputs: one array/Tensor (or number) per floating-point output, or ``None``.

    Returns:
        One float64 array per input, with that input's shape.

    Example:
        >>> import numpy as np, autograd
        >>> from autograd.testing import numerical_grad
        >>> x = autograd.tensor(np.array([1.0, -2.0]))
        >>> g, = numerical_grad(lambda x: (x ** 2).sum(), x)
        >>> np.allclose(g, [2.0, -4.0])
        True
    """
    ins = _as_tuple(inputs)
    for i, x in enumerate(ins):
        if not _is_float_tensor(x):
            raise TypeError(
                f"numerical_grad: input {i} must be a floating-point autograd.Tensor, "
                f"got {type(x).__name__}"
            )
    wrt = list(range(len(ins)))
    jac = _numerical_jacobian(fn, ins, wrt, eps)
    out_sizes = [j.shape[0] for j in jac[0]] if jac else []
    vs = _grad_output_vectors(grad_outputs, out_sizes)
    result = []
    for k, x in enumerate(ins):
        g = np.zeros(x.data.size)
        for j, v in enumerate(vs):
            g += v @ jac[k][j]
        result.append(g.reshape(x.data.shape))
    return tuple(result)


def _grad_output_vectors(grad_outputs: Any, sizes: list[int]) -> list[np.ndarray]:
    if grad_outputs is None:
        return [np.ones(s) for s in sizes]
    gos = _as_tuple(grad_outputs)
    if len(gos) != len(sizes):
        raise ValueError(f"expected {len(sizes)} grad_outputs (one per output), got {len(gos)}")
    vs = []
    for g, s in zip(gos, sizes, strict=True):
        arr = np.asarray(g.data if isinstance(g, autograd.Tensor) else g, dtype=np.float64)
        vs.append(np.broadcast_to(arr, (s,)) if arr.size == 1 else arr.reshape(-1))
    return vs


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s gradients against finite differences, like ``torch.autograd.gradcheck``.

    Every input Tensor that requires grad is checked (use float64: the numerical side is always
    computed on float64 copies, so float32 inputs compare float32 gradients with float64
    differences). Other inputs are passed through unchanged. ``fn`` may return one Tensor or a
    tuple; outputs that are not floating-point Tensors are skipped. Elements pass when
    ``|analytical - numerical| <= atol + rtol * |numerical|``.

    Args:
        fn: takes ``*inputs`` and returns a Tensor or a tuple of them.
        inputs: a Tensor or a sequence of arguments.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).

    Returns:
        True if every Jacobian matches.

    Raises:
        GradcheckError: naming the input and output, the worst element's index, the analytical
            and numerical values there, and the max absolute and relative errors.

    Example:
        >>> import numpy as np, autograd
        >>> from autograd.testing import gradcheck
        >>> x = autograd.tensor(np.array([0.5, 1.5]), requires_grad=True)
        >>> gradcheck(lambda x: x.exp(), x)
        True
    """
    ins = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(ins) if isinstance(x, autograd.Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    try:
        with autograd.enable_grad():
            outputs = _float_outputs(fn(*ins))
        analytical = _analytical_jacobian(outputs, ins, wrt)
        numerical = _numerical_jacobian(fn, ins, wrt, eps)
        failures = []
        for k, i in enumerate(wrt):
            if len(numerical[k]) != len(outputs):
                raise GradcheckError(
                    f"fn returned {len(outputs)} floating outputs on the inputs but "
                    f"{len(numerical[k])} on perturbed inputs"
                )
            for j, (pos, out) in enumerate(outputs):
                a, n = analytical[k][j], numerical[k][j]
                if a.shape != n.shape:
                    raise GradcheckError(
                        f"output {pos} changed shape under perturbation of input {i}: "
                        f"Jacobian {a.shape} vs {n.shape}"
                    )
                ok = np.abs(a - n) <= atol + rtol * np.abs(n)
                if not bool(np.all(ok)):
                    failures.append((i, tuple(ins[i].data.shape), pos, tuple(out.data.shape), a, n))
        if failures:
            i, in_shape, pos, out_shape, a, n = failures[0]
            msg = _mismatch_message(a, n, i, in_shape, pos, out_shape, atol, rtol)
            if len(failures) > 1:
                others = ", ".join(f"(input {f[0]}, output {f[2]})" for f in failures[1:])
                msg += f"\n  also mismatched: {others}"
            raise GradcheckError(msg)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives, like ``torch.autograd.gradgradcheck``.

    Gradchecks the function ``(*inputs, *grad_outputs) -> autograd.grad(fn(*inputs), inputs,
    grad_outputs, create_graph=True)``, i.e. that the backward pass is itself correctly
    differentiable. Without ``grad_outputs``, random float64 ones are drawn from a fixed seed.

    Args:
        fn: takes ``*inputs`` and returns a Tensor or a tuple of them.
        inputs: a Tensor or a sequence of arguments.
        grad_outputs: one per floating-point output of ``fn``, or ``None``.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).

    Returns:
        True if every second-order Jacobian matches.

    Example:
        >>> import numpy as np, autograd
        >>> from autograd.testing import gradgradcheck
        >>> x = autograd.tensor(np.array([0.5, 1.5]), requires_grad=True)
        >>> gradgradcheck(lambda x: (x ** 3).sum(), x)
        True
    """
    ins = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(ins) if isinstance(x, autograd.Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradgradcheck expects at least one input tensor to require gradient")
    with autograd.enable_grad():
        outputs = _float_outputs(fn(*ins))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        gos = tuple(
            autograd.tensor(
                rng.standard_normal(o.data.shape).astype(o.data.dtype), requires_grad=True
            )
            for _, o in outputs
        )
    else:
        gos = tuple(
            g if isinstance(g, autograd.Tensor) else autograd.tensor(np.asarray(g, np.float64))
            for g in _as_tuple(grad_outputs)
        )
        if len(gos) != len(outputs):
            raise ValueError(
                f"expected {len(outputs)} grad_outputs (one per floating output), got {len(gos)}"
            )
    n_in = len(ins)

    def first_order(*args: Any) -> tuple[Tensor, ...]:
        xs, gs = args[:n_in], args[n_in:]
        with autograd.enable_grad():
            outs = [o for _, o in _float_outputs(fn(*xs))]
            pairs = [(o, g) for o, g in zip(outs, gs, strict=True) if o.requires_grad]
            if not pairs:
                return ()
            grads = autograd.grad(
                [o for o, _ in pairs],
                [xs[i] for i in wrt],
                grad_outputs=[g for _, g in pairs],
                create_graph=True,
                allow_unused=True,
            )
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, ins + gos, eps, atol, rtol, raise_exception)
