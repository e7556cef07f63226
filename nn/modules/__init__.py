"""Layers, losses and containers (each module of nn.modules is one family)."""
