"""What the lowering reads from IR text without the IR parser, checked against the parser.

The lowering reads signatures from ``define`` lines (``nocall._header_signature``), decides
from the text which functions cannot need stack slots (``lower._small_in_text``) and whether
anything could (``irtext.may_pass_stack_args``).  The oracle is LLVM's own IR parser
(llvmlite, which links LLVM 22) on IR that clang-22 wrote; and when the rewritten debug
info is broken, clang's own verdict on it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import llvmlite.binding as llvm
import pytest

import toolchain.lower
from toolchain.driver import CompileOptions, compile_c
from toolchain.errors import CompileError
from toolchain.irtext import definitions, matching_paren, may_pass_stack_args, split_top
from toolchain.lower import _signature, _small_in_text
from toolchain.nocall import _header_signature

# static functions the optimiser reshapes (dropped constants, dead results), every argument
# kind the lowering knows, a variadic declaration, wide and narrow calls
SOURCE = r"""
struct two { long a, b; };
struct one { int a, b; };
extern long ext(long a, ...);
static __attribute__((noinline)) long f0(long a, long b, long k, long d, long e)
{ return a * b + k * d - e; }
static __attribute__((noinline)) void f1(int *p, _Bool flag, long dead, short s)
{ if (flag) *p += s; }
static __attribute__((noinline)) long f2(struct two t, struct one o, unsigned char c, __int128 w)
{ return t.a + t.b + o.a + c + (long)(w >> 3); }
static __attribute__((noinline)) long f3(long a, long b, long c, long d, long e, long f,
                                         long g, long h)
{ return a + b * c + d * e + f * g + h; }
static __attribute__((noinline)) double f4(double x, float y, long z) { return x * y + z; }
long entry(long *v, int *p)
{
    struct two t = { v[0], v[1] };
    struct one o = { (int)v[2], 3 };
    __int128 w = ((__int128)v[3] << 64) | v[4];
    f1(p, v[5] > 2, 7, (short)v[6]);
    return f0(v[0], v[1], 9, v[2], v[3]) + f2(t, o, (unsigned char)v[5], w)
         + f3(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) + ext(v[0], v[1], v[2])
         + (long)f4((double)v[1], 2.0f, v[2]);
}
"""


def _ir(clang22: str, tmp_path: Path, source: str, opt: str) -> str:
    c = tmp_path / "src.c"
    c.write_text(source)
    return subprocess.run([clang22, "--target=bpf", "-mcpu=v3", f"-O{opt}", "-g", "-S", "-emit-llvm",
                           str(c), "-o", "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("opt", ["0", "2"])
def test_define_lines_give_the_parsers_signatures(clang22, tmp_path, opt):
    text = _ir(clang22, tmp_path, SOURCE, opt)
    module = llvm.parse_assembly(text)
    read = 0
    for name, at, open_at in definitions(text):
        sig = _header_signature(text, at, split_top(text[open_at + 1:matching_paren(text, open_at)]))
        fn = module.get_function(name)
        parser = ([str(a.type) for a in fn.arguments],
                  str(fn.global_value_type.get_function_return()) == "void")
        if sig is not None:
            read += 1
            assert sig == parser, name
    assert read == len(definitions(text)) == 6
    if opt == "2":
        assert "DW_CC_nocall" in text          # the scenario the text reading serves


@pytest.mark.parametrize("opt", ["0", "2"])
def test_functions_read_as_small_need_no_slots(clang22, tmp_path, opt):
    text = _ir(clang22, tmp_path, SOURCE, opt)
    module = llvm.parse_assembly(text)
    small = _small_in_text(text)
    assert "entry" in small and "f3" not in small and "ext" not in small   # 8 arguments; variadic
    for fn in module.functions:
        if fn.name in small:
            sig = _signature(fn)
            assert sig.slots == 0 and all(p.in_regs for p in sig.params), fn.name
    # f3's eight arguments survive the optimiser: the text check must say so
    assert any(_signature(fn).slots for fn in module.functions if not fn.name.startswith("llvm."))
    assert may_pass_stack_args(text)


def test_narrow_module_needs_no_stack_arguments(clang22, tmp_path):
    text = _ir(clang22, tmp_path, SOURCE.replace("long g, long h)", "long g)").replace(
        "f * g + h;", "f * g;").replace("f3(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])",
                                       "f3(v[0], v[1], v[2], v[3], v[4], v[5], v[6])"), "2")
    module = llvm.parse_assembly(text)
    wide = [fn.name for fn in module.functions
            if not fn.name.startswith("llvm.") and _signature(fn).slots]
    assert may_pass_stack_args(text) == bool(wide)


def test_debug_info_clang_drops_is_an_internal_error(clang, monkeypatch, tmp_path):
    """A rewrite that breaks the debug metadata: clang-22 drops all of it with a warning
    (an object without BTF prototypes); the driver refuses that object."""
    real = toolchain.lower.fix_nocall_prototypes

    def broken(text, module):
        out = real(text, module)
        assert out != text                     # f0 lost its constant argument
        # every argument variable's type becomes a location: invalid debug info
        loc = next(line.split(" = ")[0] for line in out.splitlines() if "= !DILocation(" in line)
        return "\n".join(re.sub(r"type: !\d+", "type: " + loc, line)
                         if "!DILocalVariable(" in line and "arg: " in line else line
                         for line in out.splitlines()) + "\n"

    src = tmp_path / "n.c"
    src.write_text(SOURCE)
    monkeypatch.setattr(toolchain.lower, "fix_nocall_prototypes", broken)
    out = tmp_path / "n.o"
    with pytest.raises(CompileError, match="debug info") as info:
        compile_c(src, out, CompileOptions(path="lowered"), compiler=clang)
    assert "ignoring invalid debug info" in info.value.message
    assert not out.exists()
