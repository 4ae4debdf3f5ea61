"""The general network and optimizer core: activations, layers, losses, optimizers, training."""
