"""Linear-algebra primitives: matmul (every case NumPy's matmul takes), the fused linear layer
(matmul + bias) and einsum."""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..errors import OpError
from ..function import Function
from ..tensor import Tensor
from .elementwise import _NO_INPUTS


class MatMul(Function):
    """z = a @ b;  da = grad @ b^T, db = a^T @ grad (1-D operands promoted, then squeezed)"""

    __slots__ = ("ndims",)
    _raw_backward = True  # @, .mT, [..., None] and .squeeze: the same on arrays and Tensors

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise OpError(
                f"MatMul: both operands must have at least 1 dimension, got shapes "
                f"{a.shape} and {b.shape}"
            )
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            raise OpError(
                f"MatMul: shapes {a.shape} and {b.shape} cannot be multiplied "
                f"({ka} columns in the first, {kb} rows in the second)"
            )
        # Each operand is kept only for the other's gradient, as PyTorch does (a frozen
        # weight's layer does not keep its input alive)
        na, nb = ctx.next_functions or _NO_INPUTS
        ctx.ndims = a.ndim, b.ndim
        ctx.save_for_backward(a if nb is not None else None, b if na is not None else None)
        return np.asarray(np.matmul(a, b))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        a, b = ctx.saved_tensors
        na, nb = ctx.next_functions
        a_ndim, b_ndim = ctx.ndims
        ga = gb = None
        if a_ndim == 1 and b_ndim == 1:
            ga = grad * b if na is not None else None
            gb = grad * a if nb is not None else None
        elif a_ndim == 1:
            if na is not None:
                ga = (grad[..., None, :] @ b.mT).squeeze(-2)
            if nb is not None:
                gb = a[..., None] @ grad[..., None, :]
        elif b_ndim == 1:
            if na is not None:
                ga = grad[..., None] @ b[..., None, :]
            if nb is not None:
                gb = (a.mT @ grad[..., None]).squeeze(-1)
        else:
            ga = grad @ b.mT if na is not None else None
            gb = a.mT @ grad if nb is not None else None
        return ga, gb


class Linear(Function):
    """y = x @ w^T + b over the last dim of x (w (O, I), b (O,) or None); with ``columns``,
    y = w @ x + b[:, None] over dim -2 (w (O, K) times conv's im2col columns x (..., K, L));
    dx = grad @ w (columns: w^T @ grad), dw = grad^T @ x (columns: grad @ x^T) summed over
    the batch dims, db = grad summed over every dim but the features'"""

    __slots__ = ("columns",)
    _raw_backward = True  # operators, .mT, .reshape and .sum: the same on arrays and Tensors

    @staticmethod
    def forward(
        ctx: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, columns: bool
    ) -> np.ndarray:
        ctx.columns = columns
        # x only for dw, w only for dx (as PyTorch): a frozen layer does not keep its input
        nx, nw = (ctx.next_functions or _NO_INPUTS)[:2]
        ctx.save_for_backward(x if nw is not None else None, w if nx is not None else None)
        out = np.matmul(w, x) if columns else np.matmul(x, w.T)
        if b is not None:
            # the product is a fresh array: the bias goes in without another temporary
            np.add(out, b[:, None] if columns else b, out=out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.next_functions[:3]
        gx = gw = gb = None
        if ctx.columns:
            o = grad.shape[-2]
            if nx is not None:
                gx = w.mT @ grad
            if nw is not None:
                gw = grad @ x.mT
                if gw.ndim > 2:
                    gw = gw.reshape(-1, o, x.shape[-2]).sum(0)
            if nb is not None:
                gb = grad.reshape(-1, o, grad.shape[-1]).sum((0, 2))
        else:
            if nx is not None:
                gx = grad @ w
            g2 = grad.reshape(-1, grad.shape[-1])
            if nw is not None:
                gw = g2.mT @ x.reshape(-1, x.shape[-1])
            if nb is not None:
                gb = g2.sum(0)
        return gx, gw, gb, None


def parse_einsum(eq: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Subscripts of each operand and of the output, with '...' spelled out as letters."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise OpError(f"Einsum: '{eq}' names {len(ins)} operands, {len(shapes)} given")
    used = set(eq) - set(",.->")
    free = [c for c in string.ascii_letters if c not in used]
    ell_dims = max(
        (len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub), default=0
    )
    ell = "".join(free[:ell_dims])
    out_ins = []
    for sub, s in zip(ins, shapes):
        if "..." in sub:
            n = len(s) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_dims - n :] if n else "")
        if len(sub) != len(s):
            raise OpError(f"Einsum: subscripts '{sub}' do not fit an operand of shape {tuple(s)}")
        out_ins.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(out_ins)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell) if letters.count(c) == 1))
    return out_ins, out


class Einsum(Function):
    """z = einsum(eq, *xs);  dx_i = einsum of grad with the other operands, back to x_i's
    subscripts (letters only in x_i are broadcast; repeated letters go on the diagonal)"""

    __slots__ = ("ins", "out", "sizes")

    @staticmethod
    def forward(ctx: Any, eq: str, *xs: np.ndarray) -> np.ndarray:
        ins, out = parse_einsum(eq, [x.shape for x in xs])
        sizes: dict[str, int] = {}
        for sub, x in zip(ins, xs):
            for c, n in zip(sub, x.shape):
                prev = sizes.get(c, 1)  # a size of 1 broadcasts (also against 0)
                if prev != 1 and n != 1 and prev != n:
                    raise OpError(
                        f"Einsum: letter '{c}' has size {prev} in one operand and {n} in "
                        f"another (shapes {[tuple(x.shape) for x in xs]})"
                    )
                if prev == 1 or c not in sizes:
                    sizes[c] = n
        ctx.ins, ctx.out, ctx.sizes = ins, out, sizes
        ctx.save_for_backward(*xs)
        return np.asarray(np.einsum(",".join(ins) + "->" + out, *xs, optimize=len(xs) > 2))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        xs = ctx.saved_tensors
        grads: list[Any] = [None]
        for i, nxt in enumerate(ctx.next_functions[1:]):
            grads.append(_einsum_grad(ctx, grad, xs, i) if nxt is not None else None)
        return tuple(grads)


def _einsum_grad(ctx: Any, grad: Tensor, xs: tuple[Tensor, ...], i: int) -> Tensor:
    from ..tensor import einsum, tensor

    target = ctx.ins[i]
    others = [(s, x) for j, (s, x) in enumerate(zip(ctx.ins, xs)) if j != i]
    have = set(ctx.out).union(*(set(s) for s, _ in others))
    unique = "".join(dict.fromkeys(target))
    present = "".join(c for c in unique if c in have)
    eq = ",".join([ctx.out] + [s for s, _ in others]) + "->" + present
    g = einsum(eq, grad, *[x for _, x in others])
    if len(present) < len(unique):  # letters summed only inside x_i: broadcast back
        g = g.reshape(tuple(ctx.sizes[c] if c in have else 1 for c in unique))
        g = g.expand(tuple(ctx.sizes[c] for c in unique))
    if len(unique) < len(target):  # repeated letters: put g on the diagonal
        used = set("".join(ctx.ins) + ctx.out)
        free = iter(c for c in string.ascii_letters if c not in used)
        full, eyes, subs = "", [], [unique]
        for k, c in enumerate(target):
            if c in target[:k]:
                d = next(free)
                full += d
                subs.append(c + d)
                eyes.append(tensor(np.eye(ctx.sizes[c], dtype=grad.dtype)))
            else:
                full += c
        g = einsum(",".join(subs) + "->" + full, g, *eyes)
    shape = xs[i].shape
    if g.shape != shape:  # an operand of size 1 on a broadcast letter
        axes = tuple(k for k, (n, m) in enumerate(zip(shape, g.shape)) if n != m)
        g = g.sum(axes, keepdim=True)
    return g
