"""Structure of the verifier package: its modules import each other without a cycle.

Every ``import`` / ``from ... import`` in every ``verifier/*.py`` counts, relative ones
and those inside functions included: a function-level import that closes a loop is
still a loop (it only hides it until run time).
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = "verifier"
ROOT = Path(__file__).resolve().parents[2] / PKG


def _resolve(mod: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` import names (``mod`` is the importer)."""
    if not node.level:
        return node.module or ""
    base = mod.split(".")[: -node.level]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path = ROOT, pkg: str = PKG) -> dict[str, set[str]]:
    """module name (``verifier.x``) -> the ``verifier`` modules it imports."""
    modules = {f"{pkg}.{p.stem}" if p.stem != "__init__" else pkg: p
               for p in sorted(root.glob("*.py"))}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        # a package's __init__ resolves relative imports against itself
        importer = f"{mod}.__init__" if mod == pkg else mod
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(importer, node)
                # "from verifier import alu" names the module verifier.alu; "from
                # verifier import verify" needs verifier/__init__ itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for t in targets:
                # the longest known module that the dotted name starts with
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    graph[mod].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path ``[a, b, ..., a]``, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        color[m] = GREY
        stack.append(m)
        for n in sorted(graph[m]):
            if color[n] == GREY:
                return stack[stack.index(n):] + [n]
            if color[n] == WHITE:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        color[m] = BLACK
        return None

    for m in sorted(graph):
        if color[m] == WHITE:
            found = visit(m)
            if found:
                return found
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_graph_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "p"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n")
    (pkg / "b.py").write_text("from p.c import x\n")
    (pkg / "c.py").write_text("import p.a\n")
    g = import_graph(pkg, "p")
    assert g["p.a"] == {"p.b"} and g["p.b"] == {"p.c"} and g["p.c"] == {"p.a"}
    assert find_cycle(g) == ["p.a", "p.b", "p.c", "p.a"]


def test_verifier_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 20
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle in verifier/: " + " -> ".join(cycle)


def test_only_the_package_entry_imports_the_driver():
    users = sorted(m for m, deps in import_graph().items() if "verifier.core" in deps)
    assert users == [PKG], users
