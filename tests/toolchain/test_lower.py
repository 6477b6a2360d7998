"""The stack-argument IR lowering, checked against what LLVM 23 emits.

Expectations come from LLVM's own tests of its stack-argument support
(llvm/test/CodeGen/BPF/stack-arg*.ll CHECK lines, the BTF FUNC_PROTOs of
llvm/test/CodeGen/BPF/BTF/func-nocall-*.ll) and the ABI facts in
shared/reference/stack_arg_abi.md; the object we produce is read back with
llvm-objdump-22 and bpftool, never with our own code.  The IR inputs are
written here by hand to recreate each scenario.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from toolchain.errors import CompileError
from toolchain.lower import lower_module

TRIPLE = 'target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"\ntarget triple = "bpf"\n'

DEBUG_TAIL = """
!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}
!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "hand", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, splitDebugInlining: false, nameTableKind: None)
!1 = !DIFile(filename: "t.c", directory: "/tmp")
!3 = !{i32 7, !"Dwarf Version", i32 5}
!4 = !{i32 2, !"Debug Info Version", i32 3}
"""


def _objdump(objdump22: str, obj: Path) -> str:
    return subprocess.run([objdump22, "-d", "--no-show-raw-insn", str(obj)], check=True,
                          capture_output=True, text=True).stdout


def _btf(bpftool: str, obj: Path) -> str:
    return subprocess.run([bpftool, "btf", "dump", "file", str(obj)], check=True,
                          capture_output=True, text=True).stdout


def _codegen(clang22: str, tmp_path: Path, ir: str, mcpu: str = "v3", opt: str = "2") -> Path:
    """Lower ``ir`` and run clang's codegen only (no IR passes), as the driver does."""
    lowered = lower_module(ir, mcpu=mcpu)
    ll = tmp_path / f"lowered-{mcpu}.ll"
    ll.write_text(lowered)
    obj = tmp_path / f"out-{mcpu}.o"
    subprocess.run([clang22, "--target=bpf", f"-mcpu={mcpu}", f"-O{opt}", "-g", "-Xclang",
                    "-disable-llvm-optzns", "-c", str(ll), "-o", str(obj)],
                   check=True, capture_output=True, text=True)
    return obj


def _c_to_ir(clang22: str, tmp_path: Path, src: str, mcpu: str = "v3", opt: str = "2") -> str:
    c = tmp_path / "src.c"
    c.write_text(src)
    return subprocess.run([clang22, "--target=bpf", f"-mcpu={mcpu}", f"-O{opt}", "-g", "-S", "-emit-llvm",
                           str(c), "-o", "-"], check=True, capture_output=True, text=True).stdout


def _function(dump: str, name: str) -> list[str]:
    """Instruction texts of one function in llvm-objdump output."""
    m = re.search(rf"<{re.escape(name)}>:\n(.*?)(?:\n\n|\Z)", dump, re.S)
    assert m, f"{name} not in objdump output"
    return [line.split(":", 1)[1].strip() for line in m.group(1).splitlines() if ":" in line]


def _in_order(lines: list[str], patterns: list[str]) -> bool:
    """Every pattern matches some line, in this order (FileCheck's CHECK semantics)."""
    i = 0
    for pat in patterns:
        while i < len(lines) and not re.search(pat, lines[i]):
            i += 1
        if i == len(lines):
            return False
        i += 1
    return True


# --- codegen: LLVM's stack-arg CodeGen test recreated ----------------------------
BAR_C = """
__attribute__((noinline)) long foo1(int a, int b, int c, int d, int e, int f) { return a + b + c + d + e + f; }
__attribute__((noinline)) long foo2(int a, int b, int c, int d, int e, int f, int g) { return a + b + c + d + e + f + g; }
long bar(int a, int b, int c, int d, int e, int f, int g) {
  long r1 = foo1(a, b, c, d, e, f + g);
  long r2 = foo2(a, b, c, d, e, f, g);
  return r1 + r2;
}
"""


@pytest.mark.parametrize("mcpu", ["v1", "v2", "v3", "v4"])
def test_incoming_loads_before_outgoing_stores_and_calls(clang22, objdump22, tmp_path, mcpu):
    obj = _codegen(clang22, tmp_path, _c_to_ir(clang22, tmp_path, BAR_C, mcpu), mcpu)
    dump = _objdump(objdump22, obj)
    assert _in_order(_function(dump, "foo1"), [r"r\d+ = \*\(u64 \*\)\(r11 \+ 0x8\)"])
    assert _in_order(_function(dump, "foo2"), [r"= \*\(u64 \*\)\(r11 \+ 0x8\)", r"= \*\(u64 \*\)\(r11 \+ 0x10\)"])
    bar = _function(dump, "bar")
    assert _in_order(bar, [r"= \*\(u64 \*\)\(r11 \+ 0x8\)", r"= \*\(u64 \*\)\(r11 \+ 0x10\)",
                           r"\*\(u64 \*\)\(r11 - 0x8\) = r\d+", r"^call",
                           r"\*\(u64 \*\)\(r11 - 0x8\) = r\d+", r"\*\(u64 \*\)\(r11 - 0x10\) = r\d+", r"^call"])
    # the incoming loads come before any store through r11 and any call
    first_load = max(i for i, line in enumerate(bar) if "(r11 +" in line)
    first_other = min(i for i, line in enumerate(bar) if "(r11 -" in line or line.startswith("call"))
    assert first_load < first_other


IMM_C = """
__attribute__((noinline)) long foo(long a, long b, long c, long d, long e, long f) { return a + b + c + d + e + f; }
long bar(long a, long b, long c, long d, long e) { return foo(a, b, c, d, e, 16) + foo(a, b, c, d, e, 0xffFFffFF); }
"""


@pytest.mark.parametrize("mcpu", ["v1", "v2", "v3", "v4"])
def test_immediate_stores_only_with_cpu_v4(clang22, objdump22, tmp_path, mcpu):
    obj = _codegen(clang22, tmp_path, _c_to_ir(clang22, tmp_path, IMM_C, mcpu), mcpu)
    stores = [line for line in _function(_objdump(objdump22, obj), "bar") if "(r11 -" in line]
    assert len(stores) == 2
    if mcpu == "v4":
        assert stores[0] == "*(u64 *)(r11 - 0x8) = 0x10"
    else:
        assert re.fullmatch(r"\*\(u64 \*\)\(r11 - 0x8\) = r\d+", stores[0])
    # 0xffffffff does not fit a sign-extended imm32: always a register store
    assert re.fullmatch(r"\*\(u64 \*\)\(r11 - 0x8\) = r\d+", stores[1])


STRUCT_C = """
struct t { long a, b; };
__attribute__((noinline)) long foo2(int a1, int a2, int a3, int a4, int a5, struct t a6, int a7) { return a6.a + a6.b + a7; }
__attribute__((noinline)) long bar(int a1, int a2, int a3, int a4, struct t a5) { return a5.a - a5.b; }
long foo6(int x, long y) { struct t s = {x, y}; return foo2(x, x, x, x, x, s, x + 1) + bar(x, x, x, x, s); }
"""


def test_sixteen_byte_struct_takes_two_slots_and_may_straddle_r5(clang22, objdump22, tmp_path):
    obj = _codegen(clang22, tmp_path, _c_to_ir(clang22, tmp_path, STRUCT_C))
    dump = _objdump(objdump22, obj)
    foo2 = " ".join(_function(dump, "foo2"))
    for off in ("0x8", "0x10", "0x18"):  # struct in slots 1-2, a7 in slot 3
        assert f"(r11 + {off})" in foo2
    bar = _function(dump, "bar")
    assert any("(r11 + 0x8)" in line for line in bar)  # second half of a5
    assert not any("(r11 + 0x10)" in line for line in bar)
    assert any("r5" in line for line in bar)  # first half of a5 arrives in r5
    caller = " ".join(_function(dump, "foo6"))
    for off in ("0x8", "0x10", "0x18"):
        assert f"(r11 - {off}) =" in caller


# --- BTF prototypes of optimised static functions (LLVM's func-nocall tests) ---------
def _nocall_module(define: str, body: str, types: str, variables: list[tuple[str, int, str]],
                   extra_md: str = "") -> str:
    """A module with one nocall function ``sub`` and its debug metadata (ids from !10)."""
    var_lines = []
    ids = []
    for i, (name, arg, ty) in enumerate(variables):
        vid = 20 + i
        ids.append(f"!{vid}")
        var_lines.append(f'!{vid} = !DILocalVariable(name: "{name}", arg: {arg}, scope: !10, file: !1, '
                         f'line: 1, type: {ty})')
    md = f"""
!10 = distinct !DISubprogram(name: "sub", scope: !1, file: !1, line: 1, type: !11, scopeLine: 1, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, spFlags: DISPFlagLocalToUnit | DISPFlagDefinition | DISPFlagOptimized, unit: !0, retainedNodes: !13)
!11 = !DISubroutineType(cc: DW_CC_nocall, types: !12)
!12 = !{{{types}}}
!13 = !{{{", ".join(ids)}}}
!14 = !DIBasicType(name: "int", size: 32, encoding: DW_ATE_signed)
!15 = !DILocation(line: 1, column: 1, scope: !10)
!16 = !DIBasicType(name: "_Bool", size: 8, encoding: DW_ATE_boolean)
!17 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !14, size: 64)
!18 = distinct !DISubprogram(name: "main", scope: !1, file: !1, line: 9, type: !19, scopeLine: 9, flags: DIFlagPrototyped, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!19 = !DISubroutineType(types: !{{!14}})
!30 = !DILocation(line: 9, column: 1, scope: !18)
""" + "\n".join(var_lines) + extra_md
    return TRIPLE + define + " !dbg !10 {\n" + body + "}\n" + DEBUG_TAIL + md


def _proto(btf_text: str, func: str) -> tuple[str, list[str]]:
    """(ret_type_id, ['name type_id', ...]) of FUNC ``func`` from bpftool's raw dump."""
    fm = re.search(rf"^\[\d+\] FUNC '{func}' type_id=(\d+)", btf_text, re.M)
    assert fm, btf_text
    pm = re.search(rf"^\[{fm.group(1)}\] FUNC_PROTO '\(anon\)' ret_type_id=(\d+) vlen=\d+\n((?:\t.*\n)*)",
                   btf_text, re.M)
    params = [re.sub(r"\s+", " ", line.strip()) for line in pm.group(2).splitlines()]
    return pm.group(1), params


def _call_main(call: str) -> str:
    return f"""
define dso_local i32 @main() !dbg !18 {{
  %r = {call}, !dbg !30
  ret i32 0, !dbg !30
}}
"""


def test_dead_stack_and_register_args_leave_btf_with_survivors(clang22, bpftool, tmp_path):
    # static int sub(int a1, int dead2, int a3, int a4, int a5, int a6, int dead7, int a8)
    # after DAE: sub(a1, a3, a4, a5, a6, a8); LLVM 23: FUNC_PROTO vlen=6 a1 a3 a4 a5 a6 a8
    body = "".join(f"    #dbg_value(i32 %{i}, !{v}, !DIExpression(), !15)\n"
                   for i, v in enumerate([20, 22, 23, 24, 25, 27]))
    body += "    #dbg_value(i32 poison, !21, !DIExpression(), !15)\n    #dbg_value(i32 7, !26, !DIExpression(), !15)\n"
    body += "".join(f"  %s{i} = add i32 %{i}, 1\n" for i in range(6)) + "  ret i32 %s5\n"
    variables = [(n, i + 1, "!14") for i, n in enumerate(["a1", "dead2", "a3", "a4", "a5", "a6", "dead7", "a8"])]
    ir = _nocall_module("define internal i32 @sub(" + ", ".join(f"i32 %{i}" for i in range(6)) + ") noinline",
                        body, ", ".join(["!14"] * 9), variables)
    ir += _call_main("call i32 @sub(i32 1, i32 3, i32 4, i32 5, i32 6, i32 8)")
    btf = _btf(bpftool, _codegen(clang22, tmp_path, ir))
    _, params = _proto(btf, "sub")
    assert [p.split()[0] for p in params] == ["'a1'", "'a3'", "'a4'", "'a5'", "'a6'", "'a8'"]


def test_constant_propagated_arg_is_dropped(clang22, bpftool, tmp_path):
    # sub(int a1, int a2, int constarg, int a4) with constarg == 42 everywhere
    body = ("    #dbg_value(i32 %0, !20, !DIExpression(), !15)\n    #dbg_value(i32 %1, !21, !DIExpression(), !15)\n"
            "    #dbg_value(i32 42, !22, !DIExpression(), !15)\n    #dbg_value(i32 %2, !23, !DIExpression(), !15)\n"
            "  %4 = add i32 %0, %1\n  %5 = add i32 %4, %2\n  ret i32 %5\n")
    variables = [("a1", 1, "!14"), ("a2", 2, "!14"), ("constarg", 3, "!14"), ("a4", 4, "!14")]
    ir = _nocall_module("define internal i32 @sub(i32 %0, i32 %1, i32 %2) noinline", body,
                        "!14, !14, !14, !14, !14", variables)
    ir += _call_main("call i32 @sub(i32 1, i32 2, i32 4)")
    _, params = _proto(_btf(bpftool, _codegen(clang22, tmp_path, ir)), "sub")
    assert [p.split()[0] for p in params] == ["'a1'", "'a2'", "'a4'"]


def test_bool_arg_with_convert_expression_is_kept(clang22, bpftool, tmp_path):
    body = ("    #dbg_value(i1 %0, !21, !DIExpression(DW_OP_LLVM_convert, 1, DW_ATE_unsigned, DW_OP_LLVM_convert, 8, "
            "DW_ATE_unsigned, DW_OP_stack_value), !15)\n    #dbg_value(i32 %1, !22, !DIExpression(), !15)\n"
            "  %3 = select i1 %0, i32 %1, i32 0\n  ret i32 %3\n")
    variables = [("dead", 1, "!14"), ("flag", 2, "!16"), ("a", 3, "!14")]
    ir = _nocall_module("define internal i32 @sub(i1 zeroext %0, i32 %1) noinline", body, "!14, !14, !16, !14",
                        variables)
    ir += _call_main("call i32 @sub(i1 zeroext true, i32 2)")
    _, params = _proto(_btf(bpftool, _codegen(clang22, tmp_path, ir)), "sub")
    assert [p.split()[0] for p in params] == ["'flag'", "'a'"]


def test_reassigned_arg_keeps_its_entry_binding(clang22, bpftool, tmp_path):
    # sub(int unused, int a, int b) { int t = a * 3; a = b; return t + a; }
    body = ("    #dbg_value(i32 %0, !21, !DIExpression(), !15)\n    #dbg_value(i32 %1, !22, !DIExpression(), !15)\n"
            "  %3 = mul i32 %0, 3\n    #dbg_value(i32 %1, !21, !DIExpression(), !15)\n  %4 = add i32 %3, %1\n"
            "  ret i32 %4\n")
    variables = [("unused", 1, "!14"), ("a", 2, "!14"), ("b", 3, "!14")]
    ir = _nocall_module("define internal i32 @sub(i32 %0, i32 %1) noinline", body, "!14, !14, !14, !14", variables)
    ir += _call_main("call i32 @sub(i32 1, i32 2)")
    _, params = _proto(_btf(bpftool, _codegen(clang22, tmp_path, ir)), "sub")
    assert [p.split()[0] for p in params] == ["'a'", "'b'"]


def test_dead_return_value_becomes_void_and_all_dead_args_give_empty_proto(clang22, bpftool, tmp_path):
    # sub(int dead, int a1) { return a1; } with the result unused -> void (int a1)
    body = "    #dbg_value(i32 %0, !21, !DIExpression(), !15)\n  ret void\n"
    ir = _nocall_module("define internal void @sub(i32 %0) noinline", body, "!14, !14, !14",
                        [("dead", 1, "!14"), ("a1", 2, "!14")])
    ir += _call_main("call void @sub(i32 2)").replace("%r = call void", "call void")
    ret, params = _proto(_btf(bpftool, _codegen(clang22, tmp_path, ir)), "sub")
    assert ret == "0" and [p.split()[0] for p in params] == ["'a1'"]

    ir = _nocall_module("define internal void @sub() noinline", "  ret void\n", "!14, !14, !14",
                        [("dead1", 1, "!14"), ("dead2", 2, "!14")])
    ir += _call_main("call void @sub()").replace("%r = call void", "call void")
    ret, params = _proto(_btf(bpftool, _codegen(clang22, tmp_path, ir)), "sub")
    assert ret == "0" and params == []


def test_type_changed_arg_falls_back_to_source_prototype(clang22, bpftool, tmp_path):
    # sub(int dead, int *p, int a) where p became i64: LLVM 23 keeps the source prototype
    body = ("    #dbg_value(i64 %0, !21, !DIExpression(), !15)\n    #dbg_value(i32 %1, !22, !DIExpression(), !15)\n"
            "  ret i32 %1\n")
    variables = [("dead", 1, "!14"), ("p", 2, "!17"), ("a", 3, "!14")]
    ir = _nocall_module("define internal i32 @sub(i64 %0, i32 %1) noinline", body, "!14, !14, !17, !14", variables)
    ir += _call_main("call i32 @sub(i64 0, i32 2)")
    _, params = _proto(_btf(bpftool, _codegen(clang22, tmp_path, ir)), "sub")
    assert [p.split()[0] for p in params] == ["'dead'", "'p'", "'a'"]


def test_stack_homed_arg_found_through_dbg_assign(clang22, bpftool, tmp_path):
    body = ("  %k = alloca i32, align 4, !DIAssignID !40\n"
            "    #dbg_assign(i1 poison, !21, !DIExpression(), !40, ptr %k, !DIExpression(), !15)\n"
            "  store i32 %0, ptr %k, align 4, !DIAssignID !41\n"
            "    #dbg_assign(i32 %0, !21, !DIExpression(), !41, ptr %k, !DIExpression(), !15)\n"
            "    #dbg_value(i32 %1, !22, !DIExpression(), !15)\n"
            "  %v = load volatile i32, ptr %k\n  %s = add i32 %v, %1\n  ret i32 %s\n")
    variables = [("ctx", 1, "!17"), ("key", 2, "!14"), ("sig", 3, "!14")]
    extra = "\n!40 = distinct !DIAssignID()\n!41 = distinct !DIAssignID()\n"
    ir = _nocall_module("define internal i32 @sub(i32 %0, i32 %1) noinline", body, "!14, !17, !14, !14",
                        variables, extra)
    ir += _call_main("call i32 @sub(i32 1, i32 2)")
    _, params = _proto(_btf(bpftool, _codegen(clang22, tmp_path, ir)), "sub")
    assert [p.split()[0] for p in params] == ["'key'", "'sig'"]


def test_unchanged_static_function_keeps_full_prototype(clang22, bpftool, tmp_path):
    src = """
static __attribute__((noinline)) long f(long a, long b, long c, long d, long e, long g, long h) { return a*b+c*d+e*g+h; }
long entry(long x, long y) { return f(x, y, x, y, x, y, x) + f(y, x, y, x, y, x, y); }
"""
    obj = _codegen(clang22, tmp_path, _c_to_ir(clang22, tmp_path, src))
    _, params = _proto(_btf(bpftool, obj), "f")
    assert [p.split()[0] for p in params] == ["'a'", "'b'", "'c'", "'d'", "'e'", "'g'", "'h'"]


def test_structs_by_value_after_dropped_constants_keep_btf_and_slots_in_step(clang22, bpftool, objdump22,
                                                                              tmp_path):
    """IPSCCP drops the constant ints; the 8/12/4/16-byte structs survive as i64, [2 x i64],
    i32, [2 x i64] (6 pieces, 1 slot). Their debug records name the pieces (extractvalue,
    lshr, trunc), not the arguments: BTF must still name x, y, z, w with their struct types
    so that it counts the slot the caller stores and the callee loads."""
    src = """
struct s4 { int a; }; struct s8 { int a, b; }; struct s12 { int a, b, c; }; struct s16 { long a, b; };
static __attribute__((noinline)) long f(int a, int b, struct s8 x, struct s12 y, struct s4 z, struct s16 w)
{ return a * 3 + b + x.a - x.b + y.a * 2 + y.b + y.c * 5 + z.a * 7 + w.a - w.b; }
long entry(long v)
{
	struct s8 x = { v, v + 1 }; struct s12 y = { v + 3, 4, v * 2 }; struct s4 z = { v ^ 6 };
	struct s16 w = { v + 7, v << 3 };
	return f(10, 20, x, y, z, w);
}
"""
    ir = _c_to_ir(clang22, tmp_path, src)
    assert re.search(r"define internal .*@f\(i64 %0, \[2 x i64\] %1, i32 %2, \[2 x i64\] %3\)", ir)
    obj = _codegen(clang22, tmp_path, ir)
    btf = _btf(bpftool, obj)
    _, params = _proto(btf, "f")
    assert [p.split()[0] for p in params] == ["'x'", "'y'", "'z'", "'w'"]
    for p, struct in zip(params, ["s8", "s12", "s4", "s16"]):
        assert re.search(rf"^\[{p.split('=')[1]}\] STRUCT '{struct}'", btf, re.M), (p, btf)
    dump = _objdump(objdump22, obj)
    assert sum("(r11 + 0x8)" in line for line in _function(dump, "f")) == 1
    assert not any("(r11 + 0x10)" in line for line in _function(dump, "f"))
    assert sum("(r11 - 0x8)" in line for line in _function(dump, "entry")) == 1


def test_extern_kfunc_keeps_full_prototype_and_calls_store_slots(clang22, bpftool, objdump22, tmp_path):
    src = """
extern long kf(long a, long b, long c, long d, long e, long f, int g, char h) __attribute__((section(".ksyms")));
long entry(long v) { return kf(v, v, v, v, v, 6, -1, -2); }
"""
    obj = _codegen(clang22, tmp_path, _c_to_ir(clang22, tmp_path, src))
    _, params = _proto(_btf(bpftool, obj), "kf")
    assert len(params) == 8
    entry = _function(_objdump(objdump22, obj), "entry")
    assert sum("(r11 -" in line for line in entry) == 3
    call = next(i for i, line in enumerate(entry) if line.startswith("call"))
    assert max(i for i, line in enumerate(entry) if "(r11 -" in line) < call


def test_narrow_arguments_are_extended_by_the_caller(clang22, objdump22, tmp_path):
    """char/short are sign-extended, unsigned char/_Bool zero-extended, into the 64-bit slot."""
    src = """
__attribute__((noinline)) long f(long a, long b, long c, long d, long e, char s8, short s16, unsigned char u8, _Bool b1)
{ return s8 + s16 + u8 + b1; }
long entry(long v) { return f(v, v, v, v, v, (char)v, (short)v, (unsigned char)v, v != 0); }
"""
    ir = _c_to_ir(clang22, tmp_path, src)
    lowered = lower_module(ir)
    call_site = lowered[re.search(r"^define .*@entry\(", lowered, re.M).start():]
    assert re.search(r"= sext i8 .* to i64", call_site)
    assert re.search(r"= sext i16 .* to i64", call_site)
    assert re.search(r"= zext i8 .* to i64", call_site)
    assert re.search(r"= zext i1 .* to i64", call_site)
    _codegen(clang22, tmp_path, ir)  # and it compiles


def test_o0_compiles(clang22, objdump22, tmp_path):
    obj = _codegen(clang22, tmp_path, _c_to_ir(clang22, tmp_path, BAR_C, opt="0"), opt="0")
    dump = _objdump(objdump22, obj)
    assert "(r11 + 0x10)" in " ".join(_function(dump, "foo2"))


def test_inline_asm_using_r11_passes_through(clang22, objdump22, tmp_path):
    src = """
long g(long a) { long r; asm volatile("%0 = *(u64 *)(r11 + 8)" : "=r"(r)); asm volatile("*(u64 *)(r11 - 16) = %0" :: "r"(a)); return r; }
"""
    ir = _c_to_ir(clang22, tmp_path, src)
    assert lower_module(ir) == ir


# --- errors ----------------------------------------------------------------------------
@pytest.mark.parametrize("decl, message", [
    ("define i64 @v(i64 %a, ...) {\n  ret i64 %a\n}\n"
     "define i64 @m() {\n  %r = call i64 (i64, ...) @v(i64 1, i64 2, i64 3, i64 4, i64 5, i64 6)\n  ret i64 %r\n}\n",
     "function v: variadic functions are not supported"),
    ("define i64 @many(" + ", ".join(f"i64 %a{i}" for i in range(13)) + ") {\n  ret i64 %a0\n}\n",
     "function many: 13 arguments need 8 stack slots"),
    ("%struct.big = type { i64, i64, i64 }\n"
     "define i64 @bv(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, ptr byval(%struct.big) align 8 %s) {\n  ret i64 %a\n}\n",
     "function bv: argument 6 is an aggregate passed by value"),
    ("define i64 @ind(ptr %fp, i64 %x) {\n  %r = call i64 %fp(i64 %x, i64 %x, i64 %x, i64 %x, i64 %x, i64 %x)\n"
     "  ret i64 %r\n}\n",
     "function ind: indirect call with 6 arguments"),
])
def test_unsupported_signatures_name_the_function(decl, message):
    with pytest.raises(CompileError, match=re.escape(message)):
        lower_module(TRIPLE + decl)


def test_invalid_ir_is_a_compile_error():
    with pytest.raises(CompileError, match="invalid input IR"):
        lower_module("define i64 @f(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f) { not IR }")
