"""Masthead's benchmarks: `python -m bench NAME` (or `make bench` for all). Never run by pytest."""
