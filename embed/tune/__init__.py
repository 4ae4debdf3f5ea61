"""Hyperparameter search over training settings."""
