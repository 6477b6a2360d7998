"""``pipeline build``'s report comes from the compile's self-check (toolchain.objcheck), not
from opening the object again: its programs, their subprograms (libbpf's linking order) and
the BTF argument / stack-slot counts must be what ``pipeline.load`` of the written object
says (the loader links programs as libbpf does; tests/pipeline hold it to libbpf), on the
C files that exercise calls, callbacks, recursion and several programs per object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / p for p in (
    "examples/sum10.c", "examples/hello.c",
    "tests/data/loader/callback.c", "tests/data/loader/global_func.c",
    "tests/data/loader/multi_prog.c", "tests/data/loader/nested.c",
    "tests/data/loader/recursion_order.c", "tests/data/loader/recursive.c",
    "tests/data/runtime/tail_calls.c", "tests/data/runtime/spin.c",
    "tests/data/btf/20_funcs.c")]


def _describe(prog) -> dict:
    def one(f) -> dict:
        return {"name": f.name, "args": f.args, "stack_arg_slots": f.stack_arg_slots}
    return {**one(prog.functions[0]), "section": prog.section,
            "subprograms": [one(f) for f in prog.subprograms]}


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_report_matches_the_loaded_object(src, tmp_path):
    out = tmp_path / "o.bpf.o"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    res = subprocess.run([sys.executable, "-m", "pipeline", "build", str(src), "-o", str(out),
                          "--json"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert res.returncode == 0, res.stderr + res.stdout
    report = json.loads(res.stdout)
    expected = [_describe(p) for p in pipeline.load(out).programs]
    assert expected and report["programs"] == expected
