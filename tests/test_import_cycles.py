"""No module of the stacks or the construct library imports a module that imports it back (type-only imports
included): a cut that makes two modules import each other was a wrong cut."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {"stacks": REPO / "stacks", "genai_sandbox_constructs": REPO / "constructs" / "genai_sandbox_constructs"}


def _modules() -> dict[str, Path]:
    found = {}
    for package, root in PACKAGES.items():
        for path in root.rglob("*.py"):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports; ``from package import submodule`` counts as the submodule."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or node.level):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base) if node.level else str(node.module)
            submodules = {f"{module}.{alias.name}" for alias in node.names} & set(modules)
            found |= submodules or ({module} & set(modules))
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names} & set(modules)
    return found - {name}


def test_no_two_modules_import_each_other() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    root_exports = {"genai_sandbox_constructs"}  # the package root re-exports the API; nothing may import it back
    pairs = {
        tuple(sorted((a, b)))
        for a, targets in graph.items()
        for b in targets
        if a in graph.get(b, set()) and not {a, b} & root_exports
    }
    assert not pairs, sorted(pairs)
    importing_root = sorted(a for a, targets in graph.items() if root_exports & targets and a.startswith("genai"))
    assert not importing_root, importing_root
