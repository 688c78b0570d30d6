"""The `rnnkit` command: argument parsing and printing only; one module per group."""
