"""``python -m pipeline verify``: exit codes, text and JSON output, program selection.

Verdicts printed by the command are compared with the live kernel's for the same
object (skipped where bpf() is denied); the rest checks the CLI contract.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "verifier_corpus"
_TESTS = str(ROOT / "tests")
if _TESTS not in sys.path:
    sys.path.append(_TESTS)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "verify", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _kernel_says(path: Path, tmp_path: Path) -> bool:
    from oracles import corpus, kernel
    ok, why = kernel.kernel_available()
    if not ok:
        pytest.skip(why)
    entry = corpus.parse_entry(path)
    with corpus.kernel_load(entry, corpus.build(entry, tmp_path)) as res:
        return res.accepted


@pytest.mark.parametrize("name", ["c_a_static_subprog.c", "c_r_missing_null_check.c",
                                  "c_a_global_func.c"])
def test_verdict_and_exit_code_follow_the_kernel(name, tmp_path, clang22):
    accepted = _kernel_says(CORPUS / name, tmp_path)
    p = _cli(str(CORPUS / name), "--json")
    assert p.returncode == (0 if accepted else 1), p.stderr
    out = json.loads(p.stdout)
    (prog,) = out["programs"]
    assert prog["accepted"] is accepted
    assert prog["processed_insns"] > 0
    assert (prog["error"] is None) is accepted


def test_text_output_log_levels(clang22):
    src = str(CORPUS / "c_r_missing_null_check.c")
    quiet = _cli(src, "--log-level", "0")
    assert quiet.returncode == 1
    assert "rejected: R0 invalid mem access 'map_value_or_null'" in quiet.stdout
    lvl1 = _cli(src)
    assert "processed " in lvl1.stdout and "map_value_or_null" in lvl1.stdout
    lvl2 = _cli(src, "--log-level", "2")
    assert "Live regs before insn:" in lvl2.stdout
    assert "(85) call bpf_map_lookup_elem#1" in lvl2.stdout


def test_prog_selection_and_errors(clang22):
    src = str(CORPUS / "c_a_two_programs.c")
    both = json.loads(_cli(src, "--json").stdout)
    names = [p["prog"] for p in both["programs"]]
    assert len(names) >= 2
    one = json.loads(_cli(src, "--prog", names[1], "--json").stdout)
    assert [p["prog"] for p in one["programs"]] == [names[1]]
    bad = _cli(src, "--prog", "no_such_prog", "--json")
    assert bad.returncode == 2
    assert json.loads(bad.stdout)["error"]["kind"] == "usage"
    missing = _cli("does/not/exist.o", "--json")
    assert missing.returncode == 2
    assert "error" in json.loads(missing.stdout)


def test_stats_lines_have_the_kernels_shape_and_stack_depth(tmp_path, clang22):
    # BPF_LOG_STATS (log_level 4): "verification time N usec", "stack depth A+B" and the
    # processed line, as this kernel prints them for the same object
    from oracles import kernel
    ok, why = kernel.kernel_available()
    if not ok:
        pytest.skip(why)
    src = tmp_path / "stack.c"
    src.write_text('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
                   'static __attribute__((noinline)) int g(int x)\n'
                   '{ volatile char b[40]; b[x & 31] = 1; return b[3]; }\n'
                   'SEC("socket") int f(void *ctx)\n'
                   '{ volatile long a[3] = {1, 2, 3}; return a[1] + g(a[2]); }\n'
                   'char LICENSE[] SEC("license") = "GPL";\n')
    obj = tmp_path / "stack.o"
    subprocess.run([sys.executable, "-m", "pipeline", "build", str(src), "-o", str(obj)],
                   check=True, capture_output=True, cwd=ROOT)
    with kernel.load_object(obj, "f", log_level=4) as res:
        assert res.accepted, res.log
        want = [ln for ln in res.log.splitlines() if ln.startswith(("stack depth", "processed"))]
        assert re.search(r"^verification time \d+ usec$", res.log, re.M), res.log
    out = _cli(str(obj), "--stats", "--log-level", "0")
    got = out.stdout.splitlines()
    assert re.match(r"^verification time \d+ usec$", got[0]), got
    assert got[1:3] == want, (got, res.log)
