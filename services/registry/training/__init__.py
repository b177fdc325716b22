"""Training backends: each turns a prepared dataset into a registered model version."""
