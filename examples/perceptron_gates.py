"""From the perceptron to the multi-layer perceptron, with logic gates.

A perceptron computes ``step(w1 * x1 + w2 * x2 + b)``: 1 if the weighted sum crosses zero,
else 0. Geometrically it draws one straight line through the (x1, x2) plane and answers 1 on
one side of it. This script shows, in four steps:

1. **AND, NAND and OR by hand.** Three weight choices (the classic ones), one perceptron each:

   ======  ====  ====  =====
   gate     w1    w2     b
   ======  ====  ====  =====
   AND      0.5   0.5  -0.7
   NAND    -0.5  -0.5   0.7
   OR       0.5   0.5  -0.2
   ======  ====  ====  =====

2. **XOR is out of reach of one perceptron.** Its 1s, (0, 1) and (1, 0), sit on opposite corners:
   no straight line separates them from (0, 0) and (1, 1). A search over 9261 weight choices
   finds none that works.
3. **XOR by two layers.** XOR(x) = AND(NAND(x), OR(x)): a hidden layer of two perceptrons bends
   the plane so that one more perceptron can finish the job. That is a multi-layer perceptron.
4. **XOR learned.** The step's derivative is zero almost everywhere, so gradient descent cannot
   train it; swap the step for a smooth activation (tanh) and a sigmoid output, and Adam finds
   weights for XOR on its own in a few hundred steps.

Run:  python examples/perceptron_gates.py   (exits 1 if any gate gives a wrong answer)
"""

from __future__ import annotations

import itertools
import sys

import numpy as np

import autograd
import nn
import optim
from autograd.data.datasets import logic_gate, xor

# (w1, w2, b) for each single-perceptron gate.
GATE_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "AND": (0.5, 0.5, -0.7),
    "NAND": (-0.5, -0.5, 0.7),
    "OR": (0.5, 0.5, -0.2),
}

_failures: list[str] = []


def linear_with(weight: list[list[float]], bias: list[float]) -> nn.Linear:
    """An ``nn.Linear`` whose weight and bias are set by hand (no training)."""
    layer = nn.Linear(len(weight[0]), len(weight))
    layer.load_state_dict(
        {
            "weight": autograd.tensor(np.array(weight, dtype=np.float32)),
            "bias": autograd.tensor(np.array(bias, dtype=np.float32)),
        }
    )
    return layer


def perceptron(w1: float, w2: float, b: float) -> nn.Sequential:
    """step(w1 * x1 + w2 * x2 + b) as a module: one Linear neuron and a Heaviside step."""
    return nn.Sequential(linear_with([[w1, w2]], [b]), nn.Heaviside())


def print_truth_table(
    title: str,
    X: autograd.Tensor,
    got: np.ndarray,
    expected: np.ndarray,
    extra: dict[str, np.ndarray] | None = None,
) -> None:
    """One row per input pair, the model's answer beside the truth table's."""
    extra = extra or {}
    print(title)
    head = "  x1  x2  " + "".join(f"{name:>8}" for name in extra) + "     out  expected"
    print(head)
    for i, (x1, x2) in enumerate(X.numpy()):
        cols = "".join(f"{values[i]:>8.4g}" for values in extra.values())
        ok = "" if round(float(got[i])) == expected[i] else "   MISMATCH"
        print(f"  {x1:>2.0f}  {x2:>2.0f}  {cols}{got[i]:>8.4g}  {expected[i]:>8.0f}{ok}")
    wrong = np.round(got) != expected
    if wrong.any():
        _failures.append(f"{title}: wrong on {int(wrong.sum())} of {len(expected)} inputs")
    print()


def gates_by_hand() -> None:
    print("1. One perceptron per gate, weights set by hand: out = step(w1*x1 + w2*x2 + b)\n")
    for name, (w1, w2, b) in GATE_WEIGHTS.items():
        X, y = logic_gate(name.lower())
        gate = perceptron(w1, w2, b)
        out = gate(X).numpy().ravel()
        weighted_sum = (X.numpy() @ np.array([w1, w2]) + b).astype(np.float64)
        print_truth_table(
            f"   {name}: w = ({w1}, {w2}), b = {b}",
            X,
            out,
            y.numpy(),
            extra={"w.x+b": weighted_sum},
        )


def xor_needs_two_layers() -> None:
    print("2. XOR with one perceptron: search a grid of weights\n")
    X, y = xor()
    Xn, yn = X.numpy().astype(np.float64), y.numpy()
    grid = np.linspace(-1.0, 1.0, 21)
    tried = found = 0
    for w1, w2, b in itertools.product(grid, grid, grid):
        tried += 1
        out = (Xn @ np.array([w1, w2]) + b > 0).astype(np.float64)
        found += bool((out == yn).all())
    print(f"   tried {tried} (w1, w2, b) on a grid over [-1, 1]: {found} compute XOR")
    print("   (no straight line puts (0,1) and (1,0) on one side and (0,0), (1,1) on the other)\n")
    if found:
        _failures.append("a single perceptron computed XOR, which is impossible")


def xor_by_two_layers() -> None:
    print("3. XOR by two layers: XOR(x) = AND(NAND(x), OR(x))\n")
    X, y = xor()
    (n1, n2, nb), (o1, o2, ob) = GATE_WEIGHTS["NAND"], GATE_WEIGHTS["OR"]
    a1, a2, ab = GATE_WEIGHTS["AND"]
    hidden = nn.Sequential(linear_with([[n1, n2], [o1, o2]], [nb, ob]), nn.Heaviside())
    output = nn.Sequential(linear_with([[a1, a2]], [ab]), nn.Heaviside())
    mlp = nn.Sequential(hidden, output)  # a 2-2-1 multi-layer perceptron
    s = hidden(X).numpy()
    out = mlp(X).numpy().ravel()
    print_truth_table(
        "   hidden s1 = NAND(x1, x2), s2 = OR(x1, x2); out = AND(s1, s2)",
        X,
        out,
        y.numpy(),
        extra={"s1": s[:, 0], "s2": s[:, 1]},
    )


def xor_trained(seed: int = 0, steps: int = 500) -> None:
    print("4. XOR learned: a 2-4-1 MLP (tanh hidden layer), BCE loss, Adam\n")
    autograd.manual_seed(seed)
    X, y = xor()
    target = y.reshape(4, 1)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    loss_fn = nn.BCEWithLogitsLoss()  # sigmoid + binary cross-entropy, computed stably
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(X), target)
        loss.backward()
        optimizer.step()
        if step in (1, 10, 50, 100, 200, steps):
            print(f"   step {step:>4}  loss {loss.item():.5f}")
    with autograd.no_grad():
        prob = model(X).sigmoid().numpy().ravel()
    print()
    print_truth_table(
        "   the trained MLP: P(out = 1), rounded to give the answer", X, prob, y.numpy()
    )


def main() -> int:
    gates_by_hand()
    xor_needs_two_layers()
    xor_by_two_layers()
    xor_trained()
    if _failures:
        print("FAILED:\n  " + "\n  ".join(_failures))
        return 1
    print("All gates agree with their truth tables.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
