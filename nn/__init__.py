"""Neural-network building blocks (Module, layers, losses) on top of autograd; coming soon."""
