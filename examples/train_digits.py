"""Train a small CNN on the 8x8 handwritten digits: a complete training script, start to finish.

This is the script to read after the worked examples. It shows every piece a real training run
has, each in a few lines, built only on npgrad's ``autograd``, ``nn`` and ``optim``:

1. **Data**: the 1797 digits scikit-learn ships (``autograd.data.datasets.load_digits``), split
   with a seeded ``random_split`` into train / validation / test, fed by ``DataLoader``s.
2. **Model**: two convolution blocks (Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d) and a small
   classifier (Dropout -> Linear -> ReLU -> Dropout -> Linear), He (Kaiming) initialised,
   because He init keeps the activations' variance steady through ReLU layers.
3. **Training**: cross-entropy loss, Adam, and an exponentially decaying learning rate; a tqdm
   progress bar shows the running loss and accuracy; after every epoch the model is measured on
   the validation split (``model.eval()``: BatchNorm uses its running statistics, Dropout is
   off) and a checkpoint is saved.
4. **Checkpoints**: ``autograd.save`` writes model, optimizer, scheduler, epoch and history
   atomically (a crash mid-save leaves the old file whole); ``--resume`` picks up from one.
5. **Pictures**: the computation graph of one batch's loss, boxed by module
   (``autograd.viz.trace_modules`` + ``draw_graph``), rendered to SVG; the loss and accuracy
   curves drawn to a PNG with matplotlib.

The test split is touched once, at the very end: choices (epochs, learning rate) are made on the
validation split, so the test accuracy stays an honest estimate.

Run (10-20 s on 2 cores; test accuracy about 99%):

    pip install -e ".[examples]" && python examples/train_digits.py

Then, for example:

    python examples/train_digits.py --epochs 30 --resume runs/digits/checkpoint.npz
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")  # draw to files; no window, no display needed
# This model's matrices are small (a batch of 32 8x8 images): one BLAS thread is 2-3x faster
# than several, which spend more time handing work around than computing. Set before NumPy is
# imported; a value you export yourself wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import autograd  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from autograd.data import DataLoader, Subset, TensorDataset, random_split  # noqa: E402
from autograd.data.datasets import load_digits  # noqa: E402

NUM_CLASSES = 10


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train a CNN on the 8x8 digits with npgrad (autograd + nn + optim).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=20, help="train until this many epochs")
    parser.add_argument("--batch-size", type=int, default=32, help="samples per step")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's initial learning rate")
    parser.add_argument(
        "--lr-decay", type=float, default=0.85, help="learning rate factor per epoch"
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the split, init and shuffling")
    parser.add_argument("--out", type=Path, default=Path("runs/digits"), help="output folder")
    parser.add_argument(
        "--resume", type=Path, default=None, help="continue from this checkpoint file"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="use only the first N samples (quick smoke runs)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-graph", action="store_true", help="skip the computation-graph SVG")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    if args.limit is not None and args.limit < 20:
        parser.error("--limit must be at least 20 (the split needs a few samples per part)")
    if args.resume is not None and not args.resume.is_file():
        parser.error(f"--resume: checkpoint file not found: {args.resume}")
    return args


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def make_splits(seed: int, limit: int | None) -> tuple[Subset[Any], Subset[Any], Subset[Any]]:
    """70% train, 10% validation, 20% test, drawn by a generator of its own.

    The split's generator is separate from the global one, so the split depends on ``seed``
    alone (not on how much randomness init or dropout used before it): a resumed run gets
    exactly the same three parts.
    """
    X, y = load_digits()  # X float32 (1797, 1, 8, 8) in [0, 1]; y int64 (1797,) in 0..9
    if limit is not None:
        X, y = X[:limit], y[:limit]
    dataset = TensorDataset(X, y)
    train, val, test = random_split(dataset, [0.7, 0.1, 0.2], generator=autograd.Generator(seed))
    return train, val, test


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


class DigitsCNN(nn.Module):
    """(N, 1, 8, 8) images -> (N, 10) class scores (logits; the loss applies the softmax).

    Shapes: 1x8x8 -conv-> 32x8x8 -conv-> 32x8x8 -pool-> 32x4x4 -conv-> 64x4x4 -pool-> 64x2x2
    -flatten-> 256 -linear-> 128 -linear-> 10. A 3x3 convolution with padding 1 keeps the
    size: out = (in + 2 * padding - kernel) / stride + 1 = (8 + 2 - 3) / 1 + 1 = 8.
    """

    def __init__(self, dropout: float = 0.25) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(64 * 2 * 2, 128),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(128, NUM_CLASSES),
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He (Kaiming) init: weights ~ N(0, 2 / fan_in), right for layers followed by ReLU."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        return self.classifier(self.features(x))


# --------------------------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------------------------


def count_correct(logits: autograd.Tensor, labels: autograd.Tensor) -> int:
    return int((logits.argmax(dim=1).numpy() == labels.numpy()).sum())


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: nn.Module,
    optimizer: optim.Optimizer,
    desc: str,
    progress: bool,
) -> tuple[float, float]:
    """One pass over the training split; returns (mean loss, accuracy) over the epoch."""
    from tqdm.auto import tqdm

    model.train()  # BatchNorm uses batch statistics, Dropout drops
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(loader, desc=desc, disable=not progress, leave=False, unit="batch")
    for images, labels in bar:
        optimizer.zero_grad()  # gradients accumulate: clear the last step's
        logits = model(images)  # forward: builds the graph
        loss = loss_fn(logits, labels)
        loss.backward()  # backward: fills every parameter's .grad
        optimizer.step()  # update: Adam moves each parameter

        n = labels.shape[0]
        total_loss += loss.item() * n
        correct += count_correct(logits, labels)
        seen += n
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
    return total_loss / seen, correct / seen


@autograd.no_grad()  # no graph is recorded: faster, and nothing to backpropagate anyway
def evaluate(model: nn.Module, dataset: Subset[Any], loss_fn: nn.Module) -> tuple[float, float]:
    """(mean loss, accuracy) on ``dataset`` with the model in eval mode."""
    model.eval()  # BatchNorm uses its running statistics, Dropout is off
    total_loss, correct = 0.0, 0
    for images, labels in DataLoader(dataset, batch_size=512):
        logits = model(images)
        total_loss += loss_fn(logits, labels).item() * labels.shape[0]
        correct += count_correct(logits, labels)
    return total_loss / len(dataset), correct / len(dataset)


# --------------------------------------------------------------------------------------------
# Checkpoints, graph and curves
# --------------------------------------------------------------------------------------------


def save_checkpoint(
    path: Path,
    model: nn.Module,
    optimizer: optim.Optimizer,
    scheduler: optim.lr_scheduler.LRScheduler,
    epoch: int,
    seed: int,
    history: dict[str, list[float]],
) -> None:
    """Everything needed to continue: ``autograd.save`` writes it atomically, without pickle."""
    autograd.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "seed": seed,
            "history": history,
        },
        path,
    )


def render_graph(model: nn.Module, dataset: Subset[Any], loss_fn: nn.Module, path: Path) -> Path:
    """Draw the graph behind one small batch's loss, each module's ops in a box of their own."""
    from autograd.viz import draw_graph, trace_modules

    images, labels = next(iter(DataLoader(dataset, batch_size=4)))
    model.eval()  # deterministic, and leaves BatchNorm's running statistics alone
    with trace_modules(model) as trace:
        loss = loss_fn(model(images), labels)
    loss.name = "loss"
    graph = draw_graph(
        loss, model=trace, show_values=False, title="DigitsCNN: the graph of one batch's loss"
    )
    svg = graph.pipe(format="svg")
    path.write_bytes(svg)
    return path


def plot_curves(history: dict[str, list[float]], path: Path, title: str) -> Path:
    """Loss and accuracy per epoch, training beside validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], "o-", label="train")
    ax_loss.plot(epochs, history["val_loss"], "o-", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss", yscale="log")
    ax_acc.plot(epochs, history["train_acc"], "o-", label="train")
    ax_acc.plot(epochs, history["val_acc"], "o-", label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def missing_extras() -> list[str]:
    """The packages of the ``examples`` extra that are not installed."""
    import importlib.util

    wanted = {"sklearn": "scikit-learn", "matplotlib": "matplotlib", "tqdm": "tqdm"}
    return [pip for mod, pip in wanted.items() if importlib.util.find_spec(mod) is None]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = missing_extras()
    if missing:
        names = " ".join(missing)
        print(
            f"error: this example needs {names}: "
            f'pip install -e ".[examples]" (or pip install {names})',
            file=sys.stderr,
        )
        return 2
    start = time.perf_counter()
    checkpoint_path = args.out / "checkpoint.npz"

    state: dict[str, Any] | None = None
    if args.resume is not None:
        try:
            state = autograd.load(args.resume)
        except ValueError as e:
            print(f"error: --resume: {e}", file=sys.stderr)
            return 2
        needed = {"model", "optimizer", "scheduler", "epoch", "seed", "history"}
        if not isinstance(state, dict) or not needed <= set(state):
            print(
                f"error: --resume: {args.resume} is not a checkpoint of this script "
                f"(it needs the keys {sorted(needed)})",
                file=sys.stderr,
            )
            return 2
        if state.get("seed") != args.seed:
            print(f"resuming: using the checkpoint's seed {state['seed']} (it fixes the split)")
            args.seed = int(state["seed"])

    args.out.mkdir(parents=True, exist_ok=True)
    autograd.manual_seed(args.seed)
    train_set, val_set, test_set = make_splits(args.seed, args.limit)
    print(
        f"digits: {len(train_set)} train, {len(val_set)} validation, {len(test_set)} test "
        f"(seed {args.seed})"
    )

    model = DigitsCNN()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=args.lr_decay)
    history: dict[str, list[float]] = {
        "train_loss": [],
        "train_acc": [],
        "val_loss": [],
        "val_acc": [],
        "lr": [],
    }
    first_epoch = 1
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history = {key: list(values) for key, values in state["history"].items()}
        first_epoch = int(state["epoch"]) + 1
        print(f"resumed from {args.resume} after epoch {state['epoch']}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: DigitsCNN, {n_params:,} parameters")

    for epoch in range(first_epoch, args.epochs + 1):
        # Seeding per epoch makes each epoch's shuffling and dropout depend on (seed, epoch)
        # alone, so a resumed run continues exactly as an uninterrupted one would have.
        generator = autograd.manual_seed(args.seed * 10_000 + epoch)
        loader = DataLoader(
            train_set, batch_size=args.batch_size, shuffle=True, generator=generator
        )
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc = train_one_epoch(
            model,
            loader,
            loss_fn,
            optimizer,
            desc=f"epoch {epoch}/{args.epochs}",
            progress=not args.no_progress,
        )
        scheduler.step()
        val_loss, val_acc = evaluate(model, val_set, loss_fn)
        for key, value in [
            ("train_loss", train_loss),
            ("train_acc", train_acc),
            ("val_loss", val_loss),
            ("val_acc", val_acc),
            ("lr", lr),
        ]:
            history[key].append(float(value))
        print(
            f"epoch {epoch:2d}/{args.epochs}  lr {lr:.2e}  train loss {train_loss:.4f} "
            f"acc {train_acc:.4f}  |  val loss {val_loss:.4f} acc {val_acc:.4f}",
            flush=True,
        )
        save_checkpoint(checkpoint_path, model, optimizer, scheduler, epoch, args.seed, history)

    if first_epoch > args.epochs:
        print(f"the checkpoint already has {first_epoch - 1} epochs; nothing to train")

    # The test split, once, at the end.
    test_loss, test_acc = evaluate(model, test_set, loss_fn)
    train_time = time.perf_counter() - start  # data, training and evaluation

    written = [checkpoint_path] if checkpoint_path.exists() else []
    if history["train_loss"]:
        title = f"DigitsCNN on the 8x8 digits: test accuracy {test_acc:.2%}"
        written.append(plot_curves(history, args.out / "curves.png", title))
    if not args.no_graph:
        written.append(render_graph(model, test_set, loss_fn, args.out / "graph.svg"))

    print()
    print(f"test accuracy: {test_acc:.4f} ({test_acc * len(test_set):.0f}/{len(test_set)})")
    print(f"test loss:     {test_loss:.4f}")
    total_time = time.perf_counter() - start
    print(f"time:          {total_time:.1f} s ({train_time:.1f} s data, training and testing)")
    for path in written:
        print(f"wrote          {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
