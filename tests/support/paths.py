"""Where things are: the checkout, the shared corpus and schemas beside it, the test fixtures."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS = SHARED / "schemas"
FIXTURES = ROOT / "tests" / "fixtures"
