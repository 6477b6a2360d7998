"""The architecture's import rules (DESIGN §1-2), read from the code with the ``ast`` module.

- stages import only earlier stages: isa <- btf <- toolchain; isa, btf <- verifier, jit;
  everything <- pipeline (no stage imports a later one);
- no module under ``pipeline/commands/`` imports another command: commands sit on the API;
- no test or benchmark imports ``pipeline.commands``: they use the public API.
Every import counts, module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("isa", "btf", "toolchain", "verifier", "jit", "pipeline")
ALLOWED = {"isa": set(), "btf": {"isa"}, "toolchain": {"isa", "btf"},
           "verifier": {"isa", "btf"}, "jit": {"isa", "btf"},
           "pipeline": {"isa", "btf", "toolchain", "verifier", "jit"}}


def imports(path: Path) -> list[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    rel = path.relative_to(ROOT).with_suffix("")
    pkg = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[:len(pkg) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                out.append(mod)
                if not node.module:      # from . import x
                    out += [f"{mod}.{a.name}" for a in node.names]
            else:
                out.append(node.module)
                out += [f"{node.module}.{a.name}" for a in node.names]
    return out


def sources(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("pkg", PACKAGES)
def test_no_stage_imports_a_later_one(pkg):
    bad = []
    for path in sources(pkg):
        for name in imports(path):
            top = name.split(".")[0]
            if top in PACKAGES and top != pkg and top not in ALLOWED[pkg]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_commands_do_not_import_each_other():
    bad = []
    for path in sources("pipeline/commands"):
        for name in imports(path):
            if name.startswith("pipeline.commands.") and name != "pipeline.commands.__init__":
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_tests_and_benches_use_the_api():
    bad = [f"{p.relative_to(ROOT)} imports {n}" for p in sources("tests", "bench")
           for n in imports(p) if n == "pipeline.commands" or n.startswith("pipeline.commands.")]
    assert not bad, "\n".join(bad)


def test_the_rules_can_fail(tmp_path):
    # the reader sees function-level and relative imports
    src = ROOT / "pipeline" / "commands" / "_probe_for_test.py"
    try:
        src.write_text("def f():\n    from .run import run\n    from ..api import run as r\n")
        names = imports(src)
    finally:
        src.unlink()
    assert "pipeline.commands.run" in names and "pipeline.api" in names
