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
