"""Benchmarks: the engine side by side with hand-written NumPy and, when installed, PyTorch."""
