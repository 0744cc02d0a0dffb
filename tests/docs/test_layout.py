"""The tree says what it holds: every package has a docstring and a line in the README's layout,
and tests share helpers through tests/support, never by importing one another."""

from __future__ import annotations

import ast
import re

import pytest

from tests.support.docs import section
from tests.support.paths import ROOT

PACKAGES = sorted(
    init.parent.relative_to(ROOT).as_posix()
    for top in ("archive", "service")
    for init in (ROOT / top).rglob("__init__.py")
)
TEST_MODULES = sorted((ROOT / "tests").rglob("*.py"))


def layout_rows() -> dict[str, str]:
    """The README's layout table: package -> what it holds."""
    rows = re.findall(r"^\| `([\w/]+)` \| (.+?) \|", section("Development"), re.MULTILINE)
    return dict(rows)


def test_the_tree_has_packages_by_concern():
    assert {"archive/story", "archive/db", "archive/ingest"} <= set(PACKAGES)
    assert {"service/wsgi", "service/site", "service/api", "service/feeds"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_says_what_it_holds(package):
    docstring = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text()))
    assert docstring, f"{package}/__init__.py has no docstring"
    assert len(docstring.split()) >= 8, f"{package}/__init__.py: {docstring!r} says too little"


def test_the_readme_layout_names_every_package_and_no_other():
    assert set(layout_rows()) == set(PACKAGES)


def imported_modules(path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_the_test_modules_are_many_and_in_folders():
    tests = [path for path in TEST_MODULES if path.name.startswith("test_")]
    assert len(tests) > 50
    assert all(path.parent != ROOT / "tests" for path in tests), "a test module at tests/"


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_test_module_imports_another_or_conftest(path):
    """Shared helpers live in tests/support; a test module imported by another would run its
    fixtures and tests twice, and hides what is shared."""
    reached = {
        name
        for name in imported_modules(path)
        if name.startswith("tests.") and not name.startswith("tests.support")
    }
    assert reached == set(), f"{path.name} imports {sorted(reached)}"
