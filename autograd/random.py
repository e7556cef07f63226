"""Random numbers: one seeded generator behind init, dropout and shuffling (``manual_seed``)."""

from __future__ import annotations

import numpy as np


class Generator:
    """A seedable source of random numbers (wraps ``numpy.random.Generator``).

    Example:
        >>> import autograd
        >>> g = autograd.Generator().manual_seed(0)
        >>> float(g.rng.random()) == float(autograd.Generator().manual_seed(0).rng.random())
        True
    """

    def __init__(self, seed: int | None = None) -> None:
        entropy = np.random.SeedSequence().entropy
        self._seed = int(entropy) % 2**63 if seed is None else seed  # type: ignore[arg-type]
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the sequence from ``seed``; returns the generator."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed(): seed must be an int, not {type(seed).__name__}")
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict[str, object]:
        return dict(self.rng.bit_generator.state)

    def set_state(self, state: dict[str, object]) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed every random source the project uses (init, dropout, shuffling).

    Example:
        >>> import autograd
        >>> _ = autograd.manual_seed(0); a = autograd.rand(2)
        >>> _ = autograd.manual_seed(0); b = autograd.rand(2)
        >>> bool((a == b).all())
        True
    """
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the default one."""
    return (generator or default_generator).rng
