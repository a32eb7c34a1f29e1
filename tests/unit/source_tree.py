"""The repository's own Python sources, read for the structure tests: where they are, what they import."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]


def modules(*packages: str) -> Iterator[Path]:
    """The .py files of the named root packages, in a stable order."""
    for package in packages:
        if (ROOT / package).is_dir():
            yield from sorted((ROOT / package).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name an import statement of `path` names, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imported_roots(path: Path) -> set[str]:
    """The top-level packages `path` imports from."""
    return {name.split(".")[0] for name in imported_modules(path)}
