"""Kfunc modules (`--kmod`, the API's kernel=): the seed's v1 kfuncs and a user's own.

Oracles: the v1 series' prog_tests/stack_arg.c expectations (36, 45, 51; shared/seed) and the
arithmetic the user module's C prototype file states.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline

ROOT = Path(__file__).resolve().parents[2]
KMOD = ROOT / "tests" / "data" / "kmod"
PKT_V4 = bytes(54)      # prog_tests' pkt_v4 is 54 bytes; these programs do not read it


@pytest.mark.parametrize("prog, want", [("test_stack_arg_scalar", 36),
                                        ("test_stack_arg_ptr", 45),
                                        ("test_stack_arg_mix", 51)])
def test_seed_v1_kfuncs(prog, want):
    obj = pipeline.build(KMOD / "v1_kfuncs.c")
    res = pipeline.run(obj, prog, data=PKT_V4, kernel="testmod_v1")
    assert res.retval == want
    assert res.kfunc_calls[0]["name"].startswith("bpf_kfunc_call_stack_arg")


def test_v1_programs_do_not_link_against_the_final_module():
    obj = pipeline.build(KMOD / "v1_kfuncs.c")
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(obj, "test_stack_arg_scalar", data=PKT_V4)
    assert "program declares 8 parameters, kernel has 10" in str(e.value)


def test_user_module_from_the_cli():
    out = subprocess.run([sys.executable, "-m", "pipeline", "run", str(KMOD / "user" / "prog.c"),
                          "--kmod", str(KMOD / "user" / "mykfuncs.py"), "--json"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"retval": 35' in out.stdout       # 1+2+3+4+5+6 + 7*2


def _module(tmp_path: Path, py: str, c: str | None = None) -> Path:
    d = tmp_path / "mod"
    d.mkdir()
    shutil.copy(KMOD / "user" / "mykfuncs.c", d / "kfuncs.c")
    if c is not None:
        (d / "kfuncs.c").write_text(c)
    (d / "kfuncs.py").write_text(py)
    return d


GOOD_PY = (KMOD / "user" / "mykfuncs.py").read_text()


@pytest.mark.parametrize("name, py, c, needle", ids=["missing-prototype", "arity", "syntax",
                                                     "bad-c"], argvalues=[
    ("missing prototype", GOOD_PY + "\n\n@MINE.kfunc()\ndef my_other(vm, a):\n    return a\n",
     None, "kfunc my_other (my_module) has no prototype"),
    ("arity mismatch", GOOD_PY.replace("def my_weighted_sum(vm, a, b, c, d, e, f, g)",
                                       "def my_weighted_sum(vm, a, b, c, d, e, f)"),
     None, "kfunc my_weighted_sum: the kernel prototype takes 7 argument slots, the "
           "implementation 6"),
    ("syntax error", GOOD_PY + "\ndef broken(:\n", None, "kfuncs.py:"),
    ("bad C", GOOD_PY, "u64 my_weighted_sum(u64 a) { return a }\n", "do not compile"),
])
def test_a_broken_module_is_a_one_line_error(tmp_path, name, py, c, needle):
    mod = _module(tmp_path, py, c)
    out = subprocess.run([sys.executable, "-m", "pipeline", "verify", str(KMOD / "user" / "prog.c"),
                          "--kmod", str(mod)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2, (name, out.stdout, out.stderr)
    err = out.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert needle in err, err


def test_unknown_module_name():
    out = subprocess.run([sys.executable, "-m", "pipeline", "verify", "examples/sum10.c",
                          "--kmod", "nosuchmod"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and "no such module" in out.stderr
