"""Backpropagation worked by hand and by the engine: the 2-2-2 sigmoid network.

The network every backprop tutorial works by hand (Matt Mazur's "A Step by Step
Backpropagation Example"): two inputs, two sigmoid hidden units, two sigmoid outputs.

    i1 = 0.05, i2 = 0.10                          targets t1 = 0.01, t2 = 0.99
    net_h1 = w1*i1 + w2*i2 + b1,  h1 = sigmoid(net_h1)     (h2: w3, w4)
    net_o1 = w5*h1 + w6*h2 + b2,  o1 = sigmoid(net_o1)     (o2: w7, w8)
    E_total = 1/2 (t1 - o1)^2 + 1/2 (t2 - o2)^2
    w1..w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55;  b1 = 0.35, b2 = 0.60

The script

1. runs the forward pass with one named scalar tensor per number and prints every
   intermediate beside its hand-derived value;
2. calls ``E_total.backward()`` and prints every dE/dw beside the hand-derived value, then
   spells out the chain rule for one of them, dE/dw5 = dE/do1 * do1/dnet_o1 * dnet_o1/dw5,
   each factor computed by hand from the forward values;
3. takes one SGD step (lr 0.5) and prints the new weights;
4. does it all again the way you would in practice, with ``nn.Linear`` layers and
   ``optim.SGD``, and checks it lands on the same numbers;
5. writes the backward pass as an HTML page you can step through
   (``autograd.viz.save_backprop_animation``): one frame per op, in the engine's order, with
   the upstream gradient, the local derivative and the gradient passed on.

Run:  python examples/backprop_worked_example.py [--out runs/backprop]
(exits 1 if any number is off by more than 1e-6 from the hand-derived one)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import autograd
import nn
import optim

TOL = 1e-6
LR = 0.5
INITIAL_WEIGHTS = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]  # w1..w8

# The hand-derived numbers (Mazur's worked example, to 9 digits).
HAND = {
    "net_h1": 0.3775,
    "net_h2": 0.3925,
    "h1": 0.593269992,
    "h2": 0.596884378,
    "net_o1": 1.105905967,
    "net_o2": 1.224921404,
    "o1": 0.75136507,
    "o2": 0.772928465,
    "E_o1": 0.274811083,
    "E_o2": 0.023560026,
    "E_total": 0.298371109,
}
HAND_GRADS = [  # dE_total/dw1 .. dE_total/dw8
    0.000438568, 0.000877135, 0.000497713, 0.000995425,
    0.082167041, 0.082667628, -0.022602540, -0.022740242,
]  # fmt: skip
HAND_NEW_WEIGHTS = [  # w1 .. w8 after one SGD step with lr 0.5
    0.149780716, 0.19956143, 0.24975114, 0.29950229,
    0.35891648, 0.408666186, 0.511301270, 0.561370121,
]  # fmt: skip

_failures: list[str] = []


def check(name: str, got: float, expected: float) -> None:
    """Print the engine's number beside the hand-derived one; remember any disagreement."""
    ok = abs(got - expected) <= TOL
    mark = "ok" if ok else "MISMATCH"
    print(f"  {name:<34} engine {got:>13.9f}   by hand {expected:>13.9f}   {mark}")
    if not ok:
        _failures.append(f"{name}: engine {got!r}, by hand {expected!r}")


def scalar(value: float, name: str, requires_grad: bool = False) -> autograd.Tensor:
    """A named float64 scalar (float64, so agreement to 1e-6 means something)."""
    t = autograd.tensor(np.float64(value), requires_grad=requires_grad)
    t.name = name  # the graph drawings label the tensor with this
    return t


def by_scalars(out: Path) -> None:
    print("1. Forward pass, one scalar tensor per number")
    i1, i2 = scalar(0.05, "i1"), scalar(0.10, "i2")
    t1, t2 = scalar(0.01, "t1"), scalar(0.99, "t2")
    b1, b2 = scalar(0.35, "b1"), scalar(0.60, "b2")
    w = [scalar(v, f"w{k + 1}", requires_grad=True) for k, v in enumerate(INITIAL_WEIGHTS)]
    w1, w2, w3, w4, w5, w6, w7, w8 = w

    net_h1 = w1 * i1 + w2 * i2 + b1
    net_h2 = w3 * i1 + w4 * i2 + b1
    h1, h2 = net_h1.sigmoid(), net_h2.sigmoid()
    net_o1 = w5 * h1 + w6 * h2 + b2
    net_o2 = w7 * h1 + w8 * h2 + b2
    o1, o2 = net_o1.sigmoid(), net_o2.sigmoid()
    E_o1 = 0.5 * (t1 - o1) ** 2
    E_o2 = 0.5 * (t2 - o2) ** 2
    E_total = E_o1 + E_o2
    values = {
        "net_h1": net_h1, "net_h2": net_h2, "h1": h1, "h2": h2,
        "net_o1": net_o1, "net_o2": net_o2, "o1": o1, "o2": o2,
        "E_o1": E_o1, "E_o2": E_o2, "E_total": E_total,
    }  # fmt: skip
    for name, tensor in values.items():
        tensor.name = name
        check(name, tensor.item(), HAND[name])

    # The animation first: it runs the engine's backward itself (keeping the graph), and
    # leaves .grad untouched, so the real backward below still starts from nothing.
    out.mkdir(parents=True, exist_ok=True)
    html = autograd.viz.save_backprop_animation(E_total, out / "backprop.html")

    print("\n2. Backward pass: E_total.backward() fills every w.grad")
    E_total.backward()
    for k in (4, 5, 6, 7, 0, 1, 2, 3):  # output layer first, the order backprop finds them
        grad = w[k].grad
        if grad is None:
            _failures.append(f"w{k + 1} got no gradient")
            continue
        check(f"dE_total/dw{k + 1}", grad.item(), HAND_GRADS[k])

    print("\n   The chain rule for dE_total/dw5, each factor from the forward values:")
    o1v, h1v = HAND["o1"], HAND["h1"]
    dE_do1 = -(0.01 - o1v)  # d/do1 of 1/2 (t1 - o1)^2
    do1_dnet = o1v * (1 - o1v)  # sigmoid' = sigmoid * (1 - sigmoid)
    dnet_dw5 = h1v  # net_o1 = w5*h1 + ...
    check("dE/do1 = -(t1 - o1)", dE_do1, 0.74136507)
    check("do1/dnet_o1 = o1 (1 - o1)", do1_dnet, 0.186815602)
    check("dnet_o1/dw5 = h1", dnet_dw5, 0.593269992)
    check("product = dE/dw5", dE_do1 * do1_dnet * dnet_dw5, HAND_GRADS[4])
    check(
        "  ... and the engine's w5.grad",
        w5.grad.item() if w5.grad is not None else 0.0,
        HAND_GRADS[4],
    )

    print(f"\n3. One SGD step, w <- w - lr * dE/dw with lr = {LR}")
    optimizer = optim.SGD(w, lr=LR)
    optimizer.step()
    for k in (4, 5, 6, 7, 0, 1, 2, 3):
        check(f"w{k + 1}", w[k].item(), HAND_NEW_WEIGHTS[k])
    print(f"\n   backward pass, step by step: {html}")


def by_layers() -> None:
    print("\n4. The same network as nn.Linear layers and optim.SGD")
    hidden = nn.Linear(2, 2).double()
    output = nn.Linear(2, 2).double()
    # Linear computes x @ weight.T + bias: row j of weight holds the weights into unit j.
    with autograd.no_grad():
        hidden.weight.data[...] = [[0.15, 0.20], [0.25, 0.30]]  # [[w1, w2], [w3, w4]]
        hidden.bias.data[...] = [0.35, 0.35]  # b1, shared by h1 and h2
        output.weight.data[...] = [[0.40, 0.45], [0.50, 0.55]]  # [[w5, w6], [w7, w8]]
        output.bias.data[...] = [0.60, 0.60]  # b2
    model = nn.Sequential(hidden, nn.Sigmoid(), output, nn.Sigmoid())
    x = autograd.tensor(np.array([[0.05, 0.10]]))
    target = autograd.tensor(np.array([[0.01, 0.99]]))
    # MSELoss(reduction="sum") is sum (t - o)^2; the example's loss has a 1/2 in front.
    loss = 0.5 * nn.MSELoss(reduction="sum")(model(x), target)
    check("E_total", loss.item(), HAND["E_total"])
    optimizer = optim.SGD(model.parameters(), lr=LR)
    optimizer.zero_grad()
    loss.backward()
    assert output.weight.grad is not None and hidden.weight.grad is not None
    check("dE_total/dw5 (output.weight[0, 0])", output.weight.grad[0, 0].item(), HAND_GRADS[4])
    check("dE_total/dw1 (hidden.weight[0, 0])", hidden.weight.grad[0, 0].item(), HAND_GRADS[0])
    optimizer.step()
    new = list(hidden.weight.data.ravel()) + list(output.weight.data.ravel())
    for k in (4, 5, 6, 7, 0, 1, 2, 3):
        check(f"w{k + 1} after the step", float(new[k]), HAND_NEW_WEIGHTS[k])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path("runs/backprop"), help="folder for backprop.html"
    )
    args = parser.parse_args(argv)

    by_scalars(args.out)
    by_layers()
    if _failures:
        print(f"\nFAILED: {len(_failures)} number(s) disagree beyond {TOL}:")
        for line in _failures:
            print("  " + line)
        return 1
    print(f"\nAll numbers agree with the hand-derived ones within {TOL}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
