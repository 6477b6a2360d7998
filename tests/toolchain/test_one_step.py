"""One ``clang -c`` on the lowered path (``CompileOptions(one_step=True)``) against the two
clang runs (``clang -S -emit-llvm``, lowering, ``clang -c`` of the IR).

For every C file under tests/data and examples/ that the source scan lets through
(toolchain.onestep.source_may_need_lowering is False), the one-step object must have the
two-step object's code and relocations (llvm-objdump-22 -dr, identical text) and its BTF
types (bpftool's dump, with type ids replaced by what they name); where the two-step build
fails, the one-step build fails too.  Bytes are not always equal: LLVM numbers BTF forward
declarations in an order that depends on how the module was built in memory, which is
why one step is not the default.  The fallbacks (clang refusing a wide call the scan
cannot see; a ``DW_CC_nocall`` function) must give the two-step bytes exactly.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from toolchain import discovery, onestep, probe
from toolchain.driver import CompileOptions, compile_c
from toolchain.errors import CompileError, ToolchainError

ROOT = Path(__file__).resolve().parents[2]
C_FILES = sorted([*ROOT.glob("tests/data/**/*.c"), *ROOT.glob("examples/*.c")])
ELIGIBLE = [p for p in C_FILES
            if not onestep.source_may_need_lowering(p.read_text(errors="replace"))]


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def clang(clang22) -> probe.ProbeResult:
    c = discovery.Compiler("clang-22", (clang22,), os.path.realpath(clang22), "PATH")
    res = probe.probe_cached(c)
    assert res.usable, res.problem
    if res.path != "lowered":
        pytest.skip("clang-22 here has native stack arguments: no lowered path to shorten")
    return res


def _build(src: Path, out: Path, clang, one_step: bool):
    try:
        return compile_c(src, out, CompileOptions(one_step=one_step), compiler=clang)
    except (CompileError, ToolchainError) as exc:
        return exc


def test_one_step_is_not_the_default():
    assert CompileOptions().one_step is False


def test_the_corpus_exercises_both_decisions():
    # the test below must see one-step candidates, and the scan must send wide calls away
    assert len(ELIGIBLE) >= 50
    assert len(C_FILES) - len(ELIGIBLE) >= 10
    assert ROOT / "examples" / "sum10.c" not in ELIGIBLE


def _code(objdump: str, obj: Path) -> str:
    out = subprocess.run([objdump, "-dr", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    return out.split("\n", 2)[2]                # past the "file format" line naming the file


def _btf_types(bpftool: str, obj: Path) -> list[str]:
    """bpftool's raw BTF dump with every type id replaced by its kind and name (sorted)."""
    dump = subprocess.run([bpftool, "btf", "dump", "file", str(obj)], capture_output=True,
                          text=True, check=True).stdout
    names = {m.group(1): f"{m.group(2)} {m.group(3)}"
             for m in re.finditer(r"^\[(\d+)\] (\w+) ('[^']*')", dump, re.M)}
    names["0"] = "void"

    def name(m):
        return f"{m.group(1)}=<{names.get(m.group(2), m.group(2))}>"

    lines = [re.sub(r"\b(type_id|ret_type_id|type)=(\d+)", name, line)
             for line in dump.splitlines()]
    return sorted(re.sub(r"^\[\d+\] ", "", line) for line in lines)


@pytest.mark.parametrize("src", ELIGIBLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_one_step_object_matches_two_step_object(clang, objdump22, bpftool, tmp_path, src):
    one = _build(src, tmp_path / "one.o", clang, True)
    two = _build(src, tmp_path / "two.o", clang, False)
    if isinstance(two, Exception):
        assert isinstance(one, Exception), f"two steps failed ({two}) but one step built"
        return
    assert not isinstance(one, Exception), one
    assert len(two.commands) == 2
    a, b = tmp_path / "one.o", tmp_path / "two.o"
    if a.read_bytes() == b.read_bytes():
        return
    assert _code(objdump22, a) == _code(objdump22, b)
    assert _btf_types(bpftool, a) == _btf_types(bpftool, b)
    assert one.self_checked == two.self_checked


WIDE_BEHIND_MACRO = """
#include <linux/bpf.h>
#include "wide.h"
static __attribute__((noinline)) long add6(long a, long b, long c, long d, long e, long f)
{ return a + b + c + d + e + f; }
SEC("xdp") int prog(struct xdp_md *ctx) { return CALL_WIDE(add6, ctx->data) & 1; }
char _license[] SEC("license") = "GPL";
"""


def test_wide_call_the_scan_misses_falls_back_to_two_steps(clang, tmp_path, bpftool):
    # the header holds the six-argument call and the .c file the six-parameter definition
    # on one line each... written so that no list in the .c file has six items
    (tmp_path / "wide.h").write_text(
        "#define SEC(n) __attribute__((section(n), used))\n"
        "#define CALL_WIDE(f, x) f(x, x + 1, x + 2, x + 3, x + 4, x + 5)\n")
    src = tmp_path / "w.c"
    src.write_text(WIDE_BEHIND_MACRO.replace("long a, long b, long c, long d, long e, long f",
                                             "SIX_PARAMS")
                   .replace('#include "wide.h"', '#include "wide.h"\n#include "six.h"'))
    (tmp_path / "six.h").write_text("#define SIX_PARAMS long a, long b, long c, long d, "
                                    "long e, long f\n")
    assert not onestep.source_may_need_lowering(src.read_text())
    res = compile_c(src, tmp_path / "one.o", CompileOptions(include_dirs=[str(tmp_path)],
                                                            one_step=True), compiler=clang)
    assert len(res.commands) == 3 and "-c" in res.commands[0]
    two = compile_c(src, tmp_path / "two.o", CompileOptions(include_dirs=[str(tmp_path)],
                                                            one_step=False), compiler=clang)
    assert len(two.commands) == 2
    assert (tmp_path / "one.o").read_bytes() == (tmp_path / "two.o").read_bytes()
    dump = subprocess.run([bpftool, "btf", "dump", "file", str(tmp_path / "one.o")],
                          capture_output=True, text=True, check=True).stdout
    assert "FUNC 'add6'" in dump


NOCALL = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static __attribute__((noinline)) long f(long a, long b, long c) { return a * 3 + c; }
SEC("xdp") int prog(struct xdp_md *ctx) { return f(ctx->data, 7, ctx->data_end) & 1; }
char _license[] SEC("license") = "GPL";
"""


def test_nocall_function_takes_the_two_steps(clang, tmp_path, clang22):
    src = tmp_path / "nc.c"
    src.write_text(NOCALL)
    # clang -c alone: llvm-dwarfdump shows the calling convention the check looks for
    plain = tmp_path / "plain.o"
    cmd = [clang22, "--target=bpf", "-g", "-O2", "-idirafter", "/usr/include", "-idirafter",
           "/usr/include/x86_64-linux-gnu", "-c", str(src), "-o", str(plain)]
    subprocess.run(cmd, check=True, capture_output=True)
    dwarfdump = clang22.replace("clang", "llvm-dwarfdump")
    if not os.path.exists(dwarfdump):
        pytest.skip("llvm-dwarfdump-22 not installed")
    info = subprocess.run([dwarfdump, "--debug-info", str(plain)], capture_output=True,
                          text=True, check=True).stdout
    assert "DW_CC_nocall" in info
    assert onestep._declares_calling_convention(plain)
    res = compile_c(src, tmp_path / "one.o", CompileOptions(one_step=True), compiler=clang)
    assert len(res.commands) == 3
    compile_c(src, tmp_path / "two.o", CompileOptions(one_step=False), compiler=clang)
    assert (tmp_path / "one.o").read_bytes() == (tmp_path / "two.o").read_bytes()


@pytest.mark.parametrize("text,wide", [
    ("f(a, b, c, d, e);", False),
    ("f(a, b, c, d, e, g);", True),
    ("long f(long a, long b, long c, long d, long e, long f) { return 0; }", True),
    ('f(a, "x,y,z,w,v,u", b);', False),                 # commas in a string
    ("f(a, /* b, c, d, e, g, */ h);", False),           # in a comment
    ("f(a, (struct s){1, 2, 3, 4, 5, 6}, b);", False),  # in braces
    ("f(a, g(b, c, d), e, x, y);", False),              # nested lists count separately
    ("#define M(a, b, c, d, e, f) 0", True),            # a macro's parameters count too
])
def test_source_scan(text, wide):
    assert onestep.source_may_need_lowering(text) is wide


@pytest.mark.parametrize("flags,ok", [
    ((), True), (("-Wall", "-DX=1", "-I", "/tmp", "-std=gnu11", "-mllvm", "-x"), True),
    (("-ffunction-sections",), False), (("-g0",), False), (("-fno-builtin",), False),
])
def test_user_flags_that_keep_one_step(flags, ok):
    assert onestep.flags_allow_one_step(flags) is ok
