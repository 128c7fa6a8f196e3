"""The neutral core stays neutral: no Prefect, no provider, nothing of lexflow but itself and the one exception base
(`lexflow.errors`, which imports nothing; docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import lexflow.core

CORE = Path(lexflow.core.__file__).parent
ALLOWED_THIRD_PARTY = {"pydantic"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_core_imports_only_itself_pydantic_and_the_standard_library():
    import sys

    for path in CORE.glob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "lexflow":
                assert module.startswith("lexflow.core") or module == "lexflow.errors", f"{path.name} imports {module}"
            else:
                assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, f"{path.name} imports {module}"


def test_the_exception_base_imports_nothing():
    """Every layer derives its errors from `lexflow.errors`, so it must sit below all of them."""
    import lexflow.errors

    assert _imports(Path(lexflow.errors.__file__)) <= {"__future__"}
