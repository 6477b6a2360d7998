"""One ``clang -c`` on the lowered path (the default, ``CompileOptions.one_step``) against the
two clang runs (``clang -S -emit-llvm``, lowering, then the object).

For every C file under tests/data and examples/ that the source scan lets through
(toolchain.onestep.source_may_need_lowering is False), the one-step object must be the
two-step object byte for byte, and both must be what clang-22 alone makes of the file
with the same flags (the oracle: clang run here, not through the driver); where the
two-step build fails, the one-step build fails too.  The fallbacks (clang refusing a
wide call the scan cannot see; a ``DW_CC_nocall`` function) must give the two-step
bytes exactly.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from toolchain import onestep, probe
from toolchain import driver
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
def clang(clang) -> probe.ProbeResult:
    """The toolchain conftest's clang-22, when it takes the lowered path."""
    res = clang
    if res.path != "lowered":
        pytest.skip("clang-22 here has native stack arguments: no lowered path to shorten")
    return res


def _build(src: Path, out: Path, clang, one_step: bool):
    try:
        return compile_c(src, out, CompileOptions(one_step=one_step), compiler=clang)
    except (CompileError, ToolchainError) as exc:
        return exc


def test_one_step_is_the_default():
    assert CompileOptions().one_step is True


def test_the_corpus_exercises_both_decisions():
    # the test below must see one-step candidates, and the scan must send wide calls away
    assert len(ELIGIBLE) >= 50
    assert len(C_FILES) - len(ELIGIBLE) >= 10
    assert ROOT / "examples" / "sum10.c" not in ELIGIBLE


@pytest.mark.parametrize("src", ELIGIBLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_one_step_object_matches_two_step_object(clang, tmp_path, src):
    one = _build(src, tmp_path / "one.o", clang, True)
    two = _build(src, tmp_path / "two.o", clang, False)
    if isinstance(two, Exception):
        assert isinstance(one, Exception), f"two steps failed ({two}) but one step built"
        return
    assert not isinstance(one, Exception), one
    assert len(two.commands) == 2
    a, b = tmp_path / "one.o", tmp_path / "two.o"
    assert one.self_checked == two.self_checked
    if len(two.commands) == 2 and "-disable-llvm-passes" in two.commands[-1]:
        # the lowering rewrote something (a nocall prototype): the IR decides, and the
        # one-step run fell back to it
        assert len(one.commands) == 3 and "-disable-llvm-passes" in one.commands[-1]
        assert a.read_bytes() == b.read_bytes()
        return
    assert a.read_bytes() == b.read_bytes()
    # the oracle: clang-22 alone, with the driver's flags
    flags = driver.front_flags(CompileOptions(), "2", clang.compiler)
    plain = tmp_path / "plain.o"
    subprocess.run([clang.compiler.binary, *flags, "-c", str(src), "-o", str(plain)],
                   check=True, capture_output=True)
    assert a.read_bytes() == plain.read_bytes()


def test_most_of_the_corpus_takes_one_step(clang, tmp_path):
    # the identity above must not hold merely because everything went through two runs
    steps = []
    for src in ELIGIBLE[::6]:
        res = _build(src, tmp_path / "x.o", clang, True)
        if not isinstance(res, Exception):
            steps.append(len(res.commands))
    assert len(steps) >= 20 and steps.count(1) >= 0.8 * len(steps), steps


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


# b is never read: dead-argument elimination drops it (no literal for the prediction to see)
NOCALL_UNUSED = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static __attribute__((noinline)) long f(long a, long b, long c) { return a * 3 + c; }
SEC("xdp") int prog(struct xdp_md *ctx) { return f(ctx->data, ctx->data_end, ctx->data_end) & 1; }
char _license[] SEC("license") = "GPL";
"""


@pytest.mark.parametrize("text,runs", [(NOCALL, 2), (NOCALL_UNUSED, 3)],
                         ids=["constant-argument", "unused-argument"])
def test_nocall_function_takes_the_two_steps(clang, tmp_path, clang22, text, runs):
    # the constant argument is predicted from the source (no clang -c first: emit-llvm,
    # rewrite, codegen); the unused one is found in the first object's DWARF (three runs)
    src = tmp_path / "nc.c"
    src.write_text(text)
    assert onestep.source_may_drop_arguments(text) is (runs == 2)
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
    assert len(res.commands) == runs and "-disable-llvm-passes" in res.commands[-1]
    compile_c(src, tmp_path / "two.o", CompileOptions(one_step=False), compiler=clang)
    assert (tmp_path / "one.o").read_bytes() == (tmp_path / "two.o").read_bytes()


@pytest.mark.parametrize("text,drop", [
    ("static __noinline int g(int a, int b) { return a; }\nint h(void) { return g(x, 2); }", True),
    ("__noinline int g(int a, int b) { return a; }\nint h(void) { return g(x, 2); }", False),
    ("static int g(int a) { return a; }\nint h(void) { return g(3); }", False),
    ("static __noinline int g(int a) { return a; }\nint h(void) { return g(3) + g(4); }", False),
    ("static __noinline int g(int a) { return a; }\nint h(void) { return g(3) + g(3); }", True),
    ("static __noinline int g(int a) { return a; }\nvoid *p = g;\nint h(void) { return g(3); }",
     False),                                                     # address taken
])
def test_argument_drop_prediction(text, drop):
    assert onestep.source_may_drop_arguments(text) is drop


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
