"""`python -m pipeline build`: the report, the object, and the error contract (DESIGN §7).

Expected argument counts come from the C source written here; the object is
read back with llvm-objdump-22 and bpftool.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TEN = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
long step = 1;
static __attribute__((noinline)) long sum10(long a, long b, long c, long d, long e,
                                            long f, long g, long h, long i, long j)
{ return a + b + c + d + e + f + g + h + i + j; }
static __attribute__((noinline)) long twice(long x) { return 2 * x; }
SEC("tc") int sum(struct __sk_buff *skb)
{ long s = step; return sum10(s, 2*s, 3*s, 4*s, 5*s, 6*s, 7*s, 8*s, 9*s, twice(s)); }
char _license[] SEC("license") = "GPL";
"""


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=ROOT)


def test_build_reports_programs_and_slots(clang22, objdump22, bpftool, tmp_path):
    src = tmp_path / "ten.c"
    src.write_text(TEN)
    res = _cli("build", str(src), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    out = Path(report["output"])
    assert out == tmp_path / "ten.bpf.o" and out.is_file()
    assert report["path"] in ("native", "lowered")
    prog = report["programs"][0]
    assert (prog["name"], prog["section"], prog["args"], prog["stack_arg_slots"]) == ("sum", "tc", 1, 0)
    subs = {s["name"]: (s["args"], s["stack_arg_slots"]) for s in prog["subprograms"]}
    assert subs == {"sum10": (10, 5), "twice": (1, 0)}
    dump = subprocess.run([objdump22, "-d", str(out)], capture_output=True, text=True, check=True).stdout
    for k in range(1, 6):
        assert f"*(u64 *)(r11 - {hex(8 * k)}) = " in dump
        assert f"= *(u64 *)(r11 + {hex(8 * k)})" in dump
    btf_dump = subprocess.run([bpftool, "btf", "dump", "file", str(out)], capture_output=True, text=True,
                              check=True).stdout
    assert "FUNC 'sum10'" in btf_dump and "vlen=10" in btf_dump


def test_build_text_report_and_emit_kinds(clang22, tmp_path):
    src = tmp_path / "ten.c"
    src.write_text(TEN)
    res = _cli("build", str(src), "-o", str(tmp_path / "x.o"))
    assert res.returncode == 0, res.stderr
    assert "subprogram sum10: 10 args, 5 stack-arg slots" in res.stdout
    assert f"wrote {tmp_path / 'x.o'}" in res.stdout
    for emit, marker in (("asm", "r11"), ("ir", 'asm sideeffect "*(u64 *)(r11 - 40) = $0"')):
        res = _cli("build", str(src), "--emit", emit)
        assert res.returncode == 0, res.stderr
        text = (tmp_path / ("ten.s" if emit == "asm" else "ten.ll")).read_text()
        assert marker in text


@pytest.mark.parametrize("content, code, kind, needle", [
    ("int f( {", 1, "compile", "expected parameter declarator"),
    ("static __attribute__((noinline)) long m(long a1,long a2,long a3,long a4,long a5,long a6,long a7,"
     "long a8,long a9,long a10,long a11,long a12,long a13){return a1+a2+a3+a4+a5+a6+a7+a8+a9+a10+a11+a12+a13;}\n"
     "long e(long x,long y){return m(x,y,x,y,x,y,x,y,x,y,x,y,x)+m(y,x,y,x,y,x,y,x,y,x,y,x,y);}",
     1, "compile", "function m: 13 arguments"),
])
def test_build_errors(clang22, tmp_path, content, code, kind, needle):
    src = tmp_path / "bad.c"
    src.write_text(content)
    res = _cli("build", str(src), "--json")
    assert res.returncode == code
    err = json.loads(res.stdout)["error"]
    assert err["kind"] == kind and needle in err["message"]
    assert str(src) in (err["location"] or "")
    plain = _cli("build", str(src))
    assert plain.returncode == code and needle in plain.stderr and "Traceback" not in plain.stderr


def test_build_missing_file_and_bad_option(tmp_path):
    res = _cli("build", str(tmp_path / "nope.c"), "--json")
    assert res.returncode == 2 and json.loads(res.stdout)["error"]["kind"] == "io"
    src = tmp_path / "ok.c"
    src.write_text("int x;")
    res = _cli("build", str(src), "-O", "9")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_build_flags_after_double_dash(clang22, tmp_path):
    """``build FILE.c -- FLAGS``: the flags after ``--`` reach clang (``--`` itself does not:
    clang reads everything after a bare ``--`` as input files).  The C preprocessor is the
    oracle: the file only compiles when both macros arrive."""
    src = tmp_path / "dd.c"
    src.write_text("#if !defined(A) || B != 7\n#error flags lost\n#endif\nint x;\n")
    res = _cli("build", str(src), "-o", str(tmp_path / "dd.o"), "--", "-DA", "-DB=7")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "dd.o").read_bytes()[:4] == b"\x7fELF"
    res = _cli("build", str(src), "-o", str(tmp_path / "dd2.o"), "--", "-DA")
    assert res.returncode == 1 and "flags lost" in res.stderr and "Traceback" not in res.stderr
