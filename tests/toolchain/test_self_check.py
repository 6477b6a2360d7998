"""compile_c's self-check: every object it writes passes toolchain.objcheck's ABI rules.

Inconsistent objects are produced on purpose: by switching off the nocall BTF fix-up
(the aggregate-argument bug this gate would have caught), by editing the lowered IR,
and by flipping one byte of a good object.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import toolchain.lower
from toolchain import driver
from toolchain.driver import CompileOptions, compile_c
from toolchain.errors import CompileError, InconsistentObjectError

AGGREGATES = r"""
struct s4 { int a; }; struct s8 { int a, b; }; struct s12 { int a, b, c; }; struct s16 { long a, b; };
static __attribute__((noinline)) long f(int a, int b, struct s8 x, struct s12 y, struct s4 z, struct s16 w)
{ return a * 3 + b + x.a - x.b + y.a * 2 + y.b + y.c * 5 + z.a * 7 + w.a - w.b; }
__attribute__((section("tc"), used)) long entry(long v)
{
	struct s8 x = { v, v + 1 }; struct s12 y = { v + 3, 4, v * 2 }; struct s4 z = { v ^ 6 };
	struct s16 w = { v + 7, v << 3 };
	return f(10, 20, x, y, z, w);
}
"""

SIX = r"""
static __attribute__((noinline)) long six(long a, long b, long c, long d, long e, long f)
{ return a + b + c + d + e + f * 7; }
__attribute__((section("tc"), used)) long entry(long v) { return six(v, v, v, v, v, v + 1); }
"""


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CLANG", raising=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_consistent_objects_pass_and_report_the_cost(clang, tmp_path):
    src = write(tmp_path, "a.c", AGGREGATES)
    for opt in ("0", "2"):
        res = compile_c(src, tmp_path / "a.o", CompileOptions(opt_level=opt, path="lowered"), compiler=clang)
        assert res.self_checked and res.check_seconds > 0


def test_nocall_btf_left_alone_is_caught(clang, monkeypatch, tmp_path):
    """Without the BTF fix-up, f's BTF keeps the source prototype (3 slots) while the IR
    passes 6 pieces (1 slot): the pre-fix bug, now an internal error instead of an object."""
    monkeypatch.setattr(toolchain.lower, "fix_nocall_prototypes", lambda text, module: text)
    src = write(tmp_path, "a.c", AGGREGATES)
    out = tmp_path / "a.o"
    with pytest.raises(InconsistentObjectError) as info:
        compile_c(src, out, CompileOptions(opt_level="2", path="lowered"), compiler=clang)
    err = info.value
    assert isinstance(err, CompileError) and err.kind == "internal"
    assert "toolchain bug" in err.message and "function" in err.message
    assert "entry" in err.functions
    assert {f.rule for f in err.findings} <= set(driver.GATE_RULES)
    assert not out.exists()
    # the same compile with the gate off writes the (broken) object
    res = compile_c(src, out, CompileOptions(opt_level="2", path="lowered", self_check=False), compiler=clang)
    assert out.is_file() and not res.self_checked


def test_lowering_that_loads_past_the_prototype_is_caught(clang, monkeypatch, tmp_path):
    real = toolchain.lower.lower_module

    def off_by_one_slot(ir_text, **kw):
        return real(ir_text, **kw).replace("(r11 + 8)", "(r11 + 16)")

    monkeypatch.setattr(toolchain.lower, "lower_module", off_by_one_slot)
    src = write(tmp_path, "six.c", SIX)
    out = tmp_path / "six.o"
    with pytest.raises(InconsistentObjectError, match=r"in function six .*\n.*\[load-range\] six insn"):
        compile_c(src, out, CompileOptions(path="lowered"), compiler=clang)
    assert not out.exists()


def test_hand_broken_object_is_refused_and_removed(clang, objdump22, tmp_path):
    src = write(tmp_path, "six.c", SIX)
    out = tmp_path / "six.o"
    compile_c(src, out, CompileOptions(path="lowered"), compiler=clang)
    data = bytearray(out.read_bytes())
    load = bytes.fromhex("79 b0 08 00 00 00 00 00".replace(" ", ""))   # rX = *(u64 *)(r11 + 8)
    at = next(i for i in range(0, len(data) - 8) if data[i] == 0x79 and data[i + 1] >> 4 == 11
              and data[i + 2:i + 8] == load[2:])
    data[at + 2] = 0x18                                                  # ... (r11 + 24)
    out.write_bytes(bytes(data))
    with pytest.raises(InconsistentObjectError, match="six"):
        driver.self_check_object(out)
    assert not out.exists()


def test_user_inline_asm_on_r11_is_left_to_the_verifier(clang, tmp_path):
    # a 5-argument function reading slot 1 itself: inconsistent, but the user's own asm
    src = write(tmp_path, "u.c", r"""
static __attribute__((noinline)) long five(long a, long b, long c, long d, long e)
{ long x; asm volatile("%0 = *(u64 *)(r11 + 8)" : "=r"(x)); return a + b + c + d + e + x; }
/* r11 in a comment does not count; the asm above does */
__attribute__((section("tc"), used)) long entry(long v) { return five(v, v, v, v, v); }
""")
    for path in ("native", "lowered"):
        res = compile_c(src, tmp_path / "u.o", CompileOptions(path=path), compiler=clang)
        assert not res.self_checked and "self-check skipped" in res.warnings
    assert driver._source_uses_r11(src)
    assert not driver._source_uses_r11(write(tmp_path, "c.c", "/* r11 */ // \"r11\"\nint x;\n"))


def test_no_check_for_asm_and_ir_output(clang, monkeypatch, tmp_path):
    monkeypatch.setattr(toolchain.lower, "fix_nocall_prototypes", lambda text, module: text)
    src = write(tmp_path, "a.c", AGGREGATES)
    for emit, name in (("asm", "a.s"), ("ir", "a.ll")):
        res = compile_c(src, tmp_path / name, CompileOptions(path="lowered", emit=emit), compiler=clang)
        assert (tmp_path / name).is_file() and not res.self_checked
