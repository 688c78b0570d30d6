"""rnnkit.baselines."""
