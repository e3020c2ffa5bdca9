"""The shape of the deckbuild package: small documented modules, layered imports, no import I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "deckbuild"
MODULES = sorted(PACKAGE.glob("*.py"))
BOTTOM = {"errors", "paths"}  # imported by everything, import nothing of the package
MAX_LINES = 300


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def package_imports(path: Path) -> set[str]:
    """The deckbuild modules a module imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("deckbuild"):
            if node.module == "deckbuild":
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("deckbuild."):
                    found.add(alias.name.split(".")[1])
    return found


def test_there_are_modules_to_check() -> None:
    """The checks below look at the real package, not at an empty folder."""
    assert {"sources", "execute", "cache", "pipeline", "render", "extract"} <= {
        m.stem for m in MODULES
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_is_small_and_says_what_it_owns(path: Path) -> None:
    """Every module starts with a one-line docstring and stays under about 300 lines."""
    docstring = ast.get_docstring(tree(path), clean=False)
    assert docstring, f"{path.name} has no docstring"
    assert docstring.splitlines()[0].strip().endswith("."), f"{path.name}: one sentence first"
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_errors_and_paths_import_nothing_from_the_package() -> None:
    """The bottom layer depends on nothing above it."""
    for name in BOTTOM:
        assert package_imports(PACKAGE / f"{name}.py") == set(), name


def test_there_are_no_import_cycles() -> None:
    """Following the imports from any module never comes back to it."""
    graph = {path.stem: package_imports(path) for path in MODULES}

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for name in graph.get(start, set()):
            if name == target or (name not in seen and reaches(name, target, seen | {name})):
                return True
        return False

    cycles = [name for name in graph if reaches(name, name, {name})]
    assert cycles == []


def reads_environment(node: ast.AST) -> bool:
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute) and inner.attr in {"environ", "getenv"}:
            return True
    return False


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_nothing_is_read_from_the_environment_at_import(path: Path) -> None:
    """Settings such as BUILD_CACHE_DIR come in as arguments, read when a command runs."""
    offenders = []
    for statement in tree(path).body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # default values are evaluated at import: they may name os.environ, not read it
            continue
        if reads_environment(statement):
            offenders.append(ast.unparse(statement).splitlines()[0])
    if path.name == "__init__.py":  # it sets JUPYTER_PLATFORM_DIRS for jupyter_core, reads nothing
        offenders = [o for o in offenders if "setdefault('JUPYTER_PLATFORM_DIRS'" not in o]
    assert offenders == []
