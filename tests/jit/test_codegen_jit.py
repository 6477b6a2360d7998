"""Code-generation choices checked against the reference interpreter, register by register.

Division and modulo divide by the source register itself (only rax/rdx, which
the division's setup overwrites, go through a scratch register); shifts by a
register use BMI2 ``shlx``/``shrx``/``sarx`` when enabled and the ``cl`` form
otherwise; compares with 0 use ``test``.  Every (dst, src) pair over the
registers x86 treats specially (r0 = rax, r3 = rdx, r4 = rcx) and a few
values each must give the interpreter's r0 (all 64 bits).
"""

from __future__ import annotations

import itertools

import pytest

from isa.asm import assemble
from jit import JitOptions, jit
from pipeline.exec_unicorn import UnicornExecutor
from pipeline.interp import Interpreter

REGS = [0, 1, 3, 4, 6]
VALUES = [0, 1, -1, 7, -(1 << 63), 0x80000000, 0x123456789ABCDEF, -5]


def check(text: str, options: JitOptions | None = None) -> None:
    prog = assemble(text)
    want = Interpreter(prog).run().r0
    image = jit(prog, options=options)
    assert UnicornExecutor(image).run().retval == want, text


def mix_out(dst: int, src: int) -> list[str]:
    """r0 = a hash of every register, so a clobbered one shows."""
    lines = [f"mov %r9, %r{dst}", "mov %r8, 0"]
    for r in range(0, 8):
        lines += ["mul %r8, 0x1000193", f"xor %r8, %r{r}"]
    return lines + ["mov %r0, %r8", "xor %r0, %r9", "exit"]


def setup(dst: int, src: int, a: int, b: int) -> list[str]:
    lines = [f"lddw %r{r}, {(0x1111111111111111 * (r + 1)) & (2**64 - 1):#x}" for r in range(8)]
    lines += [f"lddw %r{dst}, {a & (2**64 - 1):#x}"]
    if src != dst:
        lines += [f"lddw %r{src}, {b & (2**64 - 1):#x}"]
    return lines


@pytest.mark.parametrize("name", ["div", "sdiv", "mod", "smod"])
@pytest.mark.parametrize("w", ["", "32"])
def test_divmod_by_every_register(name, w):
    for dst, src in itertools.product(REGS, REGS):
        for a, b in itertools.product(VALUES[::2], VALUES):
            check("\n".join(setup(dst, src, a, b) + [f"{name}{w} %r{dst}, %r{src}"]
                            + mix_out(dst, src)))


@pytest.mark.parametrize("bmi2", [False, True])
@pytest.mark.parametrize("name", ["lsh", "rsh", "arsh"])
@pytest.mark.parametrize("w", ["", "32"])
def test_shift_by_every_register(name, w, bmi2):
    opts = JitOptions(bmi2=bmi2)
    for dst, src in itertools.product(REGS, REGS):
        for a, b in ((-(1 << 63) | 0x5A5A, 3), (0x8000_0000_1234_5678, 35), (-7, 64 + 5)):
            check("\n".join(setup(dst, src, a, b) + [f"{name}{w} %r{dst}, %r{src}"]
                            + mix_out(dst, src)), opts)


def test_bmi2_shift_is_one_instruction():
    image = jit(assemble("mov %r0, 5\nmov %r1, 2\nlsh %r0, %r1\nexit"),
                options=JitOptions(bmi2=True))
    assert [t for _, _, t, s in image.disasm() if s == 2] == ["shlx rax, rax, rdi"]
    image = jit(assemble("mov %r0, 5\nmov %r1, 2\nlsh %r0, %r1\nexit"),
                options=JitOptions(bmi2=False))
    assert len([t for _, _, t, s in image.disasm() if s == 2]) == 4


@pytest.mark.parametrize("cond", ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge",
                                  "jslt", "jsle", "jset"])
@pytest.mark.parametrize("w", ["", "32"])
def test_compare_with_zero(cond, w):
    for r, v in itertools.product((0, 1, 6), (0, 1, -1, 1 << 32, -(1 << 31))):
        check(f"lddw %r{r}, {v & (2**64 - 1):#x}\nmov %r0, 1\n{cond}{w} %r{r}, 0, +1\n"
              f"mov %r0, 2\nexit")


# --- fused pairs (jit.fuse) ---------------------------------------------------------------

@pytest.mark.parametrize("second", ["mul %rA, 7", "mul %rA, -3", "add %rA, 100", "add %rA, -8",
                                    "sub %rA, 5", "sub %rA, -0x7fffffff", "lsh %rA, 1",
                                    "lsh %rA, 2", "lsh %rA, 3", "add %rA, %rC", "add %rA, %rA"])
def test_mov_then_op_is_one_instruction(second):
    # (r10 as a source is test_frame_address_is_one_lea: frame addresses differ between the
    # interpreter and the JIT)
    for a, b, c in ((1, 6, 2), (0, 3, 4), (7, 5, 1), (3, 9, 8), (4, 0, 0), (9, 8, 7)):
        body = [f"lddw %r{r}, {(0x0123456789ABCDEF * (r + 3)) & (2**64 - 1):#x}"
                for r in range(10) if r != a]
        body += [f"mov %r{a}, %r{b}", second.replace("%rA", f"%r{a}").replace("%rC", f"%r{c}"),
                 f"mov %r0, %r{a}", "exit"]
        text = "\n".join(body)
        prog = assemble(text)
        image = jit(prog)
        slot = len(prog) - 4
        assert image.insn_offsets[slot + 1] == image.insn_offsets[slot + 2]   # fused: no code
        assert len([t for _, _, t, s in image.disasm() if s == slot]) == 1
        check(text)


def test_frame_address_is_one_lea():
    prog = assemble("mov %r1, %r10\nadd %r1, -8\nstdw [%r1], 42\nldxdw %r0, [%r10-8]\nexit")
    image = jit(prog)
    assert [t for _, _, t, s in image.disasm() if s == 0] == ["lea rdi, [rbp - 8]"]
    assert UnicornExecutor(image).run().retval == 42


def test_no_fusion_into_a_jump_target():
    text = "mov %r0, 1\nmov %r1, 5\njeq %r0, 1, +1\nmov %r1, %r0\nmul %r1, 3\nmov %r0, %r1\nexit"
    image = jit(assemble(text))      # slot 4 is reached from slot 2, skipping the mov
    assert len([t for _, _, t, s in image.disasm() if s == 3]) == 1
    assert len([t for _, _, t, s in image.disasm() if s == 4]) == 1
    assert UnicornExecutor(image).run().retval == 15


FOLD_CALLER = "\n".join([f"mov %r{r}, {r * 3}" for r in range(1, 6)]
                        + [f"stdw [%r11-{8 * k}], {100 * k + 7}" for k in range(1, 8)]
                        + ["call local f", "exit", "f:"])


@pytest.mark.parametrize("use", ["add %r0, %r6", "sub %r0, %r6", "and %r0, %r6", "or %r0, %r6",
                                 "xor %r0, %r6", "mul %r0, %r6", "mov %r0, %r6",
                                 "add32 %r0, %r6", "mul32 %r0, %r6", "mov32 %r0, %r6"])
@pytest.mark.parametrize("k", [1, 2, 7])
def test_stack_argument_load_folds_into_its_use(use, k):
    callee = ["mov %r0, 0x12345", f"ldxdw %r6, [%r11+{8 * k}]", use, "exit"]
    prog = assemble(FOLD_CALLER + "\n" + "\n".join(callee))
    want = Interpreter(prog).run().r0
    image = jit(prog)
    f = image.funcs[1]
    load = f.start + 1
    assert image.insn_offsets[load + 1] == image.insn_offsets[load + 2]   # the use has no code
    assert len([t for _, _, t, s in image.disasm() if s == load]) == 1
    assert not f.pushed      # r6 is never written in x86: rbx needs no saving
    assert UnicornExecutor(image).run().retval == want


@pytest.mark.parametrize("after", ["add %r0, %r6", "jeq %r6, 0, +0", "call 7"])
def test_live_stack_argument_load_is_not_folded(after):
    callee = ["mov %r0, 0x12345", "ldxdw %r6, [%r11+16]", "add %r0, %r6", after, "exit"]
    prog = assemble(FOLD_CALLER + "\n" + "\n".join(callee))
    image = jit(prog)
    load = image.funcs[1].start + 1
    assert image.insn_offsets[load + 1] != image.insn_offsets[load + 2]
    if after != "call 7":
        assert UnicornExecutor(image).run().retval == Interpreter(prog).run().r0


def test_twelve_argument_call_matches_native_instruction_count():
    """bench/jit.py --args for 12 arguments: call + callee no longer than clang -O2's
    x86-64 code for the same C (40 instructions with clang 22)."""
    import importlib.util
    from pathlib import Path

    import pipeline
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("_bench_jit", root / "bench" / "jit.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "a12.c"
        src.write_text(bench.args_source(12))
        obj = pipeline.build(src)
        image = pipeline.jit(obj, "caller")
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    n = sum(len(list(md.disasm(image.code[f.offset:f.offset + f.size], 0)))
            for f in image.funcs)
    assert n <= 40, n
    assert pipeline.run(obj, "caller").retval == 78
