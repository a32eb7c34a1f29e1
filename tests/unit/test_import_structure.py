"""The module import graph of our packages: no cycles (function-level imports included), and no
import inside a function or block unless it is one of the deliberate lazy ones listed here, with why."""
import ast
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_MODULES = ("app", "config", "config_values")


def _root_packages() -> list[str]:
    """Our packages, as the import-linter contracts name them."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


# (module, imported module) -> why it is imported where it is used, not at the top of the module
DELIBERATE_LAZY = {
    ("mailer.providers", "mailer.providers.ses"): "boto3 takes a while to import: only installations sending "
                                                  "through SES pay for it",
}


def _modules() -> dict[str, Path]:
    found = {name: ROOT / f"{name}.py" for name in TOP_MODULES if (ROOT / f"{name}.py").exists()}
    for package in _root_packages():
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, path: Path, node: ast.AST, known: set[str]) -> set[str]:
    """The modules of ours an import statement loads (a `from package import name` may name a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _absolute(module, path, node)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    return {_owner(name, known) for name in names} - {None}


def _owner(name: str, known: set[str]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _imports_of(module: str, path: Path, known: set[str]) -> tuple[set[str], list[tuple[str, str]]]:
    """All our modules `module` imports, and its hidden imports as (module, imported): those inside a
    function, a class or a block (`if __name__ == "__main__":` too) rather than at the top level."""
    edges, hidden = set(), []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                edges.update(_targets(module, path, child, known))
                if nested:
                    names = ([a.name for a in child.names] if isinstance(child, ast.Import)
                             else [_absolute(module, path, child)])
                    hidden.extend((module, name) for name in names)
            visit(child, True)

    visit(ast.parse(path.read_text()), False)
    return edges - {module}, hidden


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    modules = _modules()
    graph, hidden = {}, []
    for module, path in modules.items():
        graph[module], found = _imports_of(module, path, set(modules))
        hidden += found
    return graph, hidden


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycles_among_our_modules():
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_imports_below_the_top_level_are_only_the_deliberate_lazy_ones():
    _, hidden = _graph()
    assert sorted(set(hidden)) == sorted(DELIBERATE_LAZY)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
