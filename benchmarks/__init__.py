"""Benchmarks: `python -m benchmarks.<name>`; timings never live in tests."""
