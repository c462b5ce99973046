"""The package keeps its shape: packages list what they offer, modules stay small, nothing reaches for a private name.

The layer and library contracts themselves are import-linter's (`lint-imports`, configured in pyproject.toml).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "calendar_hub"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)
PACKAGES = sorted(p.parent for p in PACKAGE.rglob("__init__.py") if "migrations" not in p.parts)
MOST_LINES = 400


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def defined_names(source: str) -> set[str]:
    """The public names a module's own top level defines: functions, classes and assigned constants (not imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def unlisted(package: ModuleType) -> list[str]:
    """Public names a package defines itself that its `__all__` leaves out."""
    source = Path(package.__file__ or "").read_text(encoding="utf-8")
    return sorted(defined_names(source) - set(getattr(package, "__all__", ())))


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: dotted(p / "__init__.py"))
def test_every_package_lists_what_it_offers_in_all(folder: Path) -> None:
    name = dotted(folder / "__init__.py")
    package = importlib.import_module(name)
    offered = getattr(package, "__all__", None)
    assert offered is not None, f"{name} has no __all__"
    assert len(set(offered)) == len(offered), f"{name}.__all__ names something twice"
    missing = [item for item in offered if not hasattr(package, item)   # a name, or one of its modules
               and not (folder / f"{item}.py").is_file() and not (folder / item / "__init__.py").is_file()]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"
    assert unlisted(package) == [], f"{name} defines public names its __all__ leaves out"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MOST_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concept"


def private_imports(path: Path) -> list[str]:
    """`from calendar_hub.x import _name` and `calendar_hub.x._name` uses: a private name crossing modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("calendar_hub"):
            found += [f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")
                      and not alias.name.startswith("__")]
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    found = {str(path.relative_to(ROOT)): names for path in MODULES if (names := private_imports(path))}
    assert found == {}


def test_no_test_module_imports_another_test_module() -> None:
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests.test_"):
                found.append(f"{path.name}: {node.module}")
            elif isinstance(node, ast.Import):
                found += [f"{path.name}: {alias.name}" for alias in node.names if alias.name.startswith("tests.test_")]
    assert found == []


def test_a_public_name_added_without_listing_it_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "shapecheck"
    package.mkdir()
    (package / "__init__.py").write_text('from pathlib import Path\n__all__ = ["listed"]\nLIMIT = 3\n\n'
                                         'def listed(): ...\n\ndef helper(): ...\n\nclass Thing: ...\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert unlisted(importlib.import_module("shapecheck")) == ["LIMIT", "Thing", "helper"]   # not the import
