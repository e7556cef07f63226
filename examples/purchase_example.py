"""Two worked examples run through the engine, each number printed beside its hand-derived value.

1. The purchase: 2 apples at 100, 3 oranges at 150, tax 1.1 -> 715, and the gradient of the
   total with respect to every price, count and the tax.
2. The 2-2-2 sigmoid network (inputs 0.05, 0.10; targets 0.01, 0.99): the forward pass, the
   squared-error loss, its gradients, and the weights after one SGD step with lr 0.5.

Run:  python examples/purchase_example.py   (exits 1 if any number is off by more than 1e-6)
"""

from __future__ import annotations

import sys

import numpy as np

import autograd

TOL = 1e-6
_failures: list[str] = []


def leaf(value: float, requires_grad: bool = True) -> autograd.Tensor:
    """A float64 scalar tensor (float64 so the comparison at 1e-6 is meaningful)."""
    return autograd.tensor(np.float64(value), dtype=np.float64, requires_grad=requires_grad)


def check(name: str, got: float, expected: float) -> None:
    """Print one number beside its expected value and remember any disagreement."""
    ok = abs(got - expected) <= TOL
    mark = "ok" if ok else "MISMATCH"
    print(f"  {name:<28} {got:>16.9f}   expected {expected:>16.9f}   {mark}")
    if not ok:
        _failures.append(f"{name}: got {got!r}, expected {expected!r}")


def purchase() -> None:
    """total = (apple_price * apple_count + orange_price * orange_count) * tax."""
    print("Purchase: 2 apples at 100, 3 oranges at 150, tax 1.1")
    apple_price, apple_count = leaf(100.0), leaf(2.0)
    orange_price, orange_count = leaf(150.0), leaf(3.0)
    tax = leaf(1.1)

    apples = apple_price * apple_count
    oranges = orange_price * orange_count
    subtotal = apples + oranges
    total = subtotal * tax
    total.backward()

    print(" forward")
    check("apples = 100 * 2", apples.item(), 200.0)
    check("oranges = 150 * 3", oranges.item(), 450.0)
    check("subtotal = apples + oranges", subtotal.item(), 650.0)
    check("total = subtotal * tax", total.item(), 715.0)
    print(" backward (d total / d ...)")
    check("apple price  = count * tax", _grad(apple_price), 2.2)
    check("apple count  = price * tax", _grad(apple_count), 110.0)
    check("orange price = count * tax", _grad(orange_price), 3.3)
    check("orange count = price * tax", _grad(orange_count), 165.0)
    check("tax          = subtotal", _grad(tax), 650.0)


def network() -> None:
    """The 2-2-2 sigmoid network, E = sum 1/2 (t - o)^2, one SGD step with lr 0.5."""
    print("\n2-2-2 sigmoid network: i = (0.05, 0.10), t = (0.01, 0.99)")
    i1, i2 = leaf(0.05, False), leaf(0.10, False)
    t1, t2 = leaf(0.01, False), leaf(0.99, False)
    b1, b2 = leaf(0.35, False), leaf(0.60, False)
    init = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    ws = [leaf(v) for v in init]
    w1, w2, w3, w4, w5, w6, w7, w8 = ws

    net_h1 = w1 * i1 + w2 * i2 + b1
    net_h2 = w3 * i1 + w4 * i2 + b1
    h1, h2 = net_h1.sigmoid(), net_h2.sigmoid()
    net_o1 = w5 * h1 + w6 * h2 + b2
    net_o2 = w7 * h1 + w8 * h2 + b2
    o1, o2 = net_o1.sigmoid(), net_o2.sigmoid()
    e1 = (t1 - o1) ** 2 * 0.5
    e2 = (t2 - o2) ** 2 * 0.5
    loss = (e1 + e2).sum()
    loss.backward()

    print(" forward")
    check("net_h1 = w1*i1 + w2*i2 + b1", net_h1.item(), 0.3775)
    check("net_h2 = w3*i1 + w4*i2 + b1", net_h2.item(), 0.3925)
    check("h1 = sigmoid(net_h1)", h1.item(), 0.593269992)
    check("h2 = sigmoid(net_h2)", h2.item(), 0.596884378)
    check("net_o1 = w5*h1 + w6*h2 + b2", net_o1.item(), 1.105905967)
    check("net_o2 = w7*h1 + w8*h2 + b2", net_o2.item(), 1.224921404)
    check("o1 = sigmoid(net_o1)", o1.item(), 0.75136507)
    check("o2 = sigmoid(net_o2)", o2.item(), 0.772928465)
    check("E_o1 = 1/2 (t1 - o1)^2", e1.item(), 0.274811083)
    check("E_o2 = 1/2 (t2 - o2)^2", e2.item(), 0.023560026)
    check("E_total", loss.item(), 0.298371109)
    print(" backward (dE_total / d ...)")
    grads = [
        0.000438568, 0.000877135, 0.000497713, 0.000995425,
        0.082167041, 0.082667628, -0.022602540, -0.022740242,
    ]  # fmt: skip
    for k in (4, 5, 6, 7, 0, 1, 2, 3):
        check(f"dE/dw{k + 1}", _grad(ws[k]), grads[k])

    lr = 0.5
    with autograd.no_grad():
        new = [w - w.grad * lr for w in ws if w.grad is not None]
    if len(new) != len(ws):
        _failures.append("some weight got no gradient")
        return
    expected = [
        0.149780716, 0.19956143, 0.24975114, 0.29950229,
        0.35891648, 0.408666186, 0.511301270, 0.561370121,
    ]  # fmt: skip
    print(f" after one SGD step, lr = {lr}")
    for k in (4, 5, 6, 7, 0, 1, 2, 3):
        check(f"w{k + 1}", new[k].item(), expected[k])


def _grad(t: autograd.Tensor) -> float:
    if t.grad is None:
        _failures.append("a leaf got no gradient")
        return float("nan")
    return t.grad.item()


def main() -> int:
    purchase()
    network()
    if _failures:
        print(f"\nFAILED: {len(_failures)} number(s) disagree beyond {TOL}:")
        for line in _failures:
            print("  " + line)
        return 1
    print(f"\nAll numbers agree within {TOL}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
