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


ROOT = CORE.parents[1]


def test_the_import_linter_contracts_hold():
    """The layer picture of docs/architecture.md, as contracts in pyproject.toml ([tool.importlinter])."""
    import subprocess
    import sys

    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def _cycles(graph) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_import_cycles():
    """No two modules import each other, directly or round a loop (imports inside functions count; TYPE_CHECKING
    imports do not, they never run)."""
    import grimp

    graph = grimp.build_graph("lexflow", "tasks", "flows", cache_dir=None, exclude_type_checking_imports=True)
    assert _cycles(graph) == []


SPANS_LAYERS = {
    "lexflow.prefect": "the Prefect edge: its flow decorator, artifacts and pausing sit below the flows and the "
    "approvals/webhook waits, its demo and serving run the flows above; to be split into the two halves",
}


def test_every_top_level_module_has_its_place_in_the_layers():
    """A new package or module of lexflow must be placed in the layer contract (and in the picture) on arrival."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    library = CORE.parent
    modules = {f"lexflow.{p.stem}" for p in library.glob("*.py") if p.stem != "__init__"}
    modules |= {f"lexflow.{p.parent.name}" for p in library.glob("*/__init__.py")}
    missing = sorted(modules - placed - set(SPANS_LAYERS))
    assert missing == [], (
        f"place {missing} in a layer of [tool.importlinter] in pyproject.toml and docs/architecture.md"
    )
