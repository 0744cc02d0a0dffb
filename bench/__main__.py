"""Run benchmarks by name: `python -m bench feeds`; with no name, every benchmark."""

import importlib
import sys

BENCHMARKS = [
    "feeds",
    "serving",
    "pages",
    "api",
    "startup",
    "freshness",
    "soak",
    "proxy",
    "imports",
    "intake",
]

for name in sys.argv[1:] or BENCHMARKS:
    importlib.import_module(f"bench.{name}").main()
