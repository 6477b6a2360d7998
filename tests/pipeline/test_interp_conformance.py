"""pipeline.interp: the reference interpreter against three oracles.

1. Every bpf_conformance file with a result (or error): r1 = copy of mem,
   r2 = its length, helper 5 = unwind; r0 must equal the file's result.
2. The real kernel (bpf() as root): random straight-line/forward-branching
   programs over the whole ALU/JMP/load/store/atomic ISA, loaded as socket
   filters and run with BPF_PROG_TEST_RUN; skipped where bpf() is denied.
3. clang-22 native x86-64 code for the stack-argument (r11) call model:
   the same 6..12-argument C functions compiled natively give the value the
   hand-written BPF (r11 loads/stores, as LLVM 23 emits) must produce.
Faults (bad memory, budget, depth, unknown helper, uninitialized stack
args) are checked for their kind and instruction index.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from isa.asm import assemble
from isa.conformance import parse_file, parse_text
from isa.insn import Insn, encode, ld_imm64
from pipeline.interp import (BudgetExceeded, CallDepthExceeded, HelperError, InterpError,
                             Interpreter, InvalidInsn, Memory, MemoryFault, ProgramExit,
                             run_conformance)

CONFORMANCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
DATA_FILES = sorted(CONFORMANCE_DIR.glob("*.data"))


# --- 1. the conformance suite ------------------------------------------------------
@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_conformance_file(path: Path):
    t = parse_file(path)
    if not t.runnable:
        pytest.skip(t.skip_reason)
    if t.error is not None:
        with pytest.raises(InterpError):
            run_conformance(t.insns, t.mem)
        return
    r = run_conformance(t.insns, t.mem)
    assert r.r0 == t.result, f"r0 = {r.r0:#x}, expected {t.result:#x}"


def test_conformance_pass_count():
    passed = 0
    for p in DATA_FILES:
        t = parse_file(p)
        try:
            passed += t.result is not None and run_conformance(t.insns, t.mem).r0 == t.result
        except InterpError:
            pass
    assert passed == len(DATA_FILES) == 313


def test_mem_is_a_writable_copy():
    mem = bytes([1, 2, 3, 4])
    prog = assemble("stb [%r1+0], 9\nldxb %r0, [%r1+0]\nexit")
    assert run_conformance(prog, mem).r0 == 9
    assert mem[0] == 1


# --- 2. the real kernel ---------------------------------------------------------------
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared oracle
from oracles import kernel as kernel_oracle  # noqa: E402
from tests.support.skips import need_kernel  # noqa: E402


def kernel_run(prog: bytes) -> int:
    """Load ``prog`` as a socket filter, test-run it once, return the u32 retval."""
    res = kernel_oracle.prog_load(prog, "socket_filter", log_level=0)
    if not res.accepted:  # load again with a log, only to explain the failure
        with kernel_oracle.prog_load(prog, "socket_filter", log_level=1) as again:
            raise AssertionError(f"kernel rejected the program: {again.error_line}\n{again.log[-3000:]}")
    with res:
        return kernel_oracle.prog_test_run(res.fd, bytes(64)).retval


@pytest.fixture(scope="module")
def kernel():
    need_kernel()
    return kernel_run


_ALU = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "xor", "lsh", "rsh",
        "arsh", "mov"]
_JMP = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle"]
_IMMS = [0, 1, -1, 2, 3, 7, 31, 32, 63, 64, 0x7FFFFFFF, -0x80000000, 0x1234, -77, 0xFF]


class _Gen:
    """Random code for one frame: registers ``regs`` and 64 initialized stack bytes."""

    def __init__(self, rng: random.Random, regs: list[int], tag: str):
        self.rng, self.regs, self.tag, self.label = rng, regs, tag, 0

    def r(self) -> str:
        return f"%r{self.rng.choice(self.regs)}"

    def imm(self) -> str:
        rng = self.rng
        return str(rng.choice(_IMMS) if rng.random() < 0.6 else rng.randrange(-2**31, 2**31))

    def alu(self) -> str:
        rng, m = self.rng, self.rng.choice(_ALU) + self.rng.choice(["", "32"])
        base = m.removesuffix("32")
        if base in ("lsh", "rsh", "arsh"):
            if rng.random() < 0.5:
                return f"{m} {self.r()}, {self.r()}"  # register counts: masked at run time
            return f"{m} {self.r()}, {rng.randrange(32 if m.endswith('32') else 64)}"  # imm < width
        src = self.r() if rng.random() < 0.5 else self.imm()
        if base in ("div", "sdiv", "mod", "smod") and src == "0":
            src = "-2"  # the verifier rejects an immediate 0 divisor; registers may hold 0
        return f"{m} {self.r()}, {src}"

    def block(self, n: int) -> list[str]:
        rng, r, imm, out = self.rng, self.r, self.imm, []
        for _ in range(n):
            k = rng.random()
            if k < 0.5:
                out.append(self.alu())
            elif k < 0.57:
                out.append(rng.choice([
                    f"neg {r()}", f"neg32 {r()}",
                    f"{rng.choice(['be', 'le', 'bswap'])}{rng.choice([16, 32, 64])} {r()}",
                    f"movsx{rng.choice(['832', '1632', '864', '1664', '3264'])} {r()}, {r()}"]))
            elif k < 0.72:
                sz, off = rng.choice(["b", "h", "w", "dw"]), -8 * rng.randrange(1, 9)
                out.append(rng.choice([f"stx{sz} [%r10{off}], {r()}", f"ldx{sz} {r()}, [%r10{off}]",
                                       f"st{sz} [%r10{off}], {imm()}"]
                                      + ([f"ldxs{sz} {r()}, [%r10{off}]"] if sz != "dw" else [])))
            elif k < 0.82:
                name, sfx = rng.choice(["add", "or", "and", "xor", "xchg", "cmpxchg"]), rng.choice(["", "32"])
                fetch = "fetch " if name in ("add", "or", "and", "xor") and rng.random() < 0.5 else ""
                if name == "cmpxchg" and 0 not in self.regs:
                    name = "xchg"
                out.append(f"lock {fetch}{name}{sfx} [%r10{-8 * rng.randrange(1, 9)}], {r()}")
            else:
                self.label += 1
                lbl = f"{self.tag}{self.label}"
                j = rng.choice(_JMP) + rng.choice(["", "32"])
                out.append(f"{j} {r()}, {r() if rng.random() < 0.5 else imm()}, {lbl}")
                out += [self.alu() for _ in range(rng.randrange(1, 4))]
                if rng.random() < 0.3:  # a diamond whose join is reached with ja / ja32 (gotol)
                    out.append(f"{rng.choice(['ja', 'ja32'])} {lbl}j")
                    out += [f"{lbl}:"] + [self.alu() for _ in range(rng.randrange(1, 3))]
                    lbl += "j"
                out.append(f"{lbl}:")
        return out


def _random_program(rng: random.Random) -> tuple[list[str], list[str]]:
    """(main, subprogram): main runs random code over r0..r9, may call the subprogram
    (which sees r1 = a pointer into main's stack and writes r6..r9), and folds every
    register into r0. The kernel's verifier needs every register written before it is
    read, so each frame initializes what it uses."""
    g = _Gen(rng, list(range(10)), "M")
    main = [f"lddw %r{i}, {rng.getrandbits(64):#x}" for i in range(10)]
    main += [f"stdw [%r10-{8 * k}], {g.imm()}" for k in range(1, 9)]
    main += g.block(rng.randrange(15, 40))
    sub: list[str] = []
    if rng.random() < 0.5:
        main += ["mov %r1, %r10", "add %r1, -32"] + [
            f"lddw %r{i}, {rng.getrandbits(64):#x}" for i in range(2, 6)] + ["call local sub"]
        main += [f"lddw %r{i}, {rng.getrandbits(64):#x}" for i in range(1, 6)]  # r1-r5 clobbered
        main += g.block(rng.randrange(5, 15))
        s = _Gen(rng, [0, 2, 3, 4, 5], "S")
        sub = ["sub:", "ldxdw %r0, [%r1+0]", "ldxdw %r2, [%r1+8]"]
        sub += [f"stdw [%r10-{8 * k}], {s.imm()}" for k in range(1, 9)]
        sub += s.block(rng.randrange(10, 30))
        sub += ["stxdw [%r1+16], %r3", "lock fetch add [%r1+24], %r4"]
        sub += [f"mov %r{i}, {s.imm()}" for i in range(6, 10)]  # the caller's r6-r9 survive
        sub += ["xor %r0, %r5", "exit"]
    for i in range(1, 10):
        main += ["mul %r0, 0x1000193", f"xor %r0, %r{i}"]
    main += ["ldxdw %r1, [%r10-16]", "xor %r0, %r1", "ldxdw %r1, [%r10-8]", "add %r0, %r1"]
    return main, sub


def test_random_programs_match_kernel(kernel):
    rng = random.Random(20261125)
    for n in range(150):
        main, sub = _random_program(rng)
        prog = assemble("\n".join(main + ["exit"] + sub))
        ours = Interpreter(prog).run().r0
        lo = kernel(encode(prog))
        hi = kernel(encode(assemble("\n".join(main + ["rsh %r0, 32", "exit"] + sub))))
        assert ours == (hi << 32) | lo, f"program {n}:\n" + "\n".join(main + ["exit"] + sub)


# --- 3. stack arguments against native code ------------------------------------------
_C_SRC = r"""
#include <stdio.h>
typedef unsigned long long u64;
__attribute__((noinline)) u64 g(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6, u64 a7)
{ return a1 - a2 * 3 + a3 * a4 - a5 + (a6 << 4) + a7 * 1000003; }
__attribute__((noinline)) u64 f(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6, u64 a7,
                                u64 a8, u64 a9, u64 a10, u64 a11, u64 a12)
{
    u64 s = a1 + 2*a2 + 3*a3 + 4*a4 + 5*a5 + 6*a6 + 7*a7 + 8*a8 + 9*a9 + 10*a10 + 11*a11 + 12*a12;
    return s ^ g(a12, a11, a10, a9, a8, a7, a6);
}
int main(void)
{
    printf("%llu\n", f(11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121, -132LL));
    return 0;
}
"""

# The same functions in BPF with the r11 stack-argument ABI (DESIGN.md §3):
# caller stores argument 5+k at *(u64 *)(r11 - 8k), callee loads it at +8k.
_BPF_SRC = """
mov %r1, 11
mov %r2, 22
mov %r3, 33
mov %r4, 44
mov %r5, 55
stdw [%r11-8], 66
mov %r6, 77
stxdw [%r11-16], %r6
stdw [%r11-24], 88
stdw [%r11-32], 99
stdw [%r11-40], 110
stdw [%r11-48], 121
stdw [%r11-56], -132
call local f
exit
f:
ldxdw %r6, [%r11+8]
ldxdw %r7, [%r11+16]
ldxdw %r8, [%r11+24]
ldxdw %r9, [%r11+32]
mov %r0, %r1
mov %r1, %r2
mul %r1, 2
add %r0, %r1
mul %r3, 3
add %r0, %r3
mul %r4, 4
add %r0, %r4
mul %r5, 5
add %r0, %r5
mov %r1, %r6
mul %r1, 6
add %r0, %r1
mov %r1, %r7
mul %r1, 7
add %r0, %r1
mov %r1, %r8
mul %r1, 8
add %r0, %r1
mov %r1, %r9
mul %r1, 9
add %r0, %r1
ldxdw %r1, [%r11+40]
ldxdw %r2, [%r11+48]
ldxdw %r3, [%r11+56]
mov %r4, %r1
mul %r4, 10
add %r0, %r4
mov %r4, %r2
mul %r4, 11
add %r0, %r4
mov %r4, %r3
mul %r4, 12
add %r0, %r4
stxdw [%r10-8], %r0
# g(a12, a11, a10, a9, a8, a7, a6): r1=a12 r2=a11 r3=a10 r4=a9 r5=a8, slot1=a7 slot2=a6
stxdw [%r11-8], %r7
stxdw [%r11-16], %r6
mov %r6, %r3
mov %r3, %r1
mov %r1, %r6
mov %r4, %r9
mov %r5, %r8
call local g
ldxdw %r1, [%r10-8]
xor %r0, %r1
exit
g:
ldxdw %r6, [%r11+8]
ldxdw %r7, [%r11+16]
mov %r0, %r1
mul %r2, 3
sub %r0, %r2
mul %r3, %r4
add %r0, %r3
sub %r0, %r5
lsh %r6, 4
add %r0, %r6
mul %r7, 1000003
add %r0, %r7
exit
"""


def test_stack_args_match_native(clang22, tmp_path):
    (tmp_path / "f.c").write_text(_C_SRC)
    subprocess.run([clang22, "-O1", str(tmp_path / "f.c"), "-o", str(tmp_path / "f")],
                   check=True, capture_output=True)
    expected = int(subprocess.run([str(tmp_path / "f")], check=True, capture_output=True,
                                  text=True).stdout)
    assert Interpreter(assemble(_BPF_SRC)).run().r0 == expected


def test_slots_are_consumed_by_every_call():
    # After a call the caller's outgoing slots are uninitialized (DESIGN.md §3), so a
    # second callee reading slot 1 without a fresh store faults.
    src = """
        stdw [%r11-8], 5
        call local h
        call local h
        exit
    h:
        ldxdw %r0, [%r11+8]
        exit
    """
    with pytest.raises(InterpError, match="stack arg1") as ei:
        Interpreter(assemble(src)).run()
    assert ei.value.pc == 4  # h: the load in the second call
    helper_src = "stdw [%r11-8], 5\ncall 1\ncall local h\nexit\nh:\nldxdw %r0, [%r11+8]\nexit"
    with pytest.raises(InterpError, match="stack arg1"):
        Interpreter(assemble(helper_src), helpers={1: lambda vm, *a: 0}).run()


def test_kfunc_receives_stack_args():
    seen = []
    kf = lambda vm, *args: seen.append(args) or sum(args)  # noqa: E731
    src = ("mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\n"
           "stdw [%r11-8], 6\nstdw [%r11-16], 7\ncall runtime 99\nexit")
    assert Interpreter(assemble(src), kfuncs={99: kf}).run().r0 == 28
    assert seen == [(1, 2, 3, 4, 5, 6, 7)]


@pytest.mark.parametrize("text", [
    "add %r11, 1",                       # ALU on r11
    "stxw [%r11-8], %r1",                # non-DW
    "stxdw [%r11-4], %r1",               # misaligned
    "stxdw [%r11+8], %r1",               # wrong sign for a store
    "lock add [%r11-8], %r1",            # atomics
])
def test_r11_shapes(text):
    with pytest.raises(InvalidInsn, match="R11 is invalid"):
        Interpreter(assemble(text + "\nexit")).run()


def test_stack_args_can_be_disabled():
    with pytest.raises(InvalidInsn, match="R11"):
        Interpreter(assemble("stdw [%r11-8], 1\nexit"), stack_args=False).run()


# --- faults -----------------------------------------------------------------------------
def test_memory_fault_names_insn():
    with pytest.raises(MemoryFault, match=r"invalid memory read of 8 bytes at 0x0 at insn 1"):
        Interpreter(assemble("mov %r1, 0\nldxdw %r0, [%r1]\nexit")).run()
    with pytest.raises(MemoryFault) as ei:  # one byte past the stack top
        Interpreter(assemble("mov %r0, 0\nstb [%r10+0], 1\nexit")).run()
    assert ei.value.pc == 1
    with pytest.raises(MemoryFault):  # below the 512-byte stack
        Interpreter(assemble("stb [%r10-513], 1\nexit")).run()
    Interpreter(assemble("stb [%r10-512], 1\nexit")).run()


def test_read_only_region():
    mem = Memory()
    ro = mem.map("rodata", b"\x05" * 8, writable=False)
    vm = Interpreter(assemble("ldxb %r0, [%r1]\nexit"), memory=mem)
    assert vm.run(ro.base).r0 == 5
    with pytest.raises(MemoryFault, match="read-only"):
        Interpreter(assemble("stb [%r1], 1\nexit"), memory=mem).run(ro.base)


def test_budget_and_depth_and_helpers():
    with pytest.raises(BudgetExceeded):
        Interpreter(assemble("l:\nja l"), max_insns=1000).run()
    with pytest.raises(CallDepthExceeded):
        Interpreter(assemble("f:\ncall local f\nexit")).run()
    with pytest.raises(HelperError, match="unknown helper 7"):
        Interpreter(assemble("call 7\nexit")).run()
    with pytest.raises(HelperError, match="ZeroDivisionError"):
        Interpreter(assemble("call 1\nexit"), helpers={1: lambda vm, *a: 1 // 0}).run()


def test_unwind_ends_program():
    def stop(vm, r1, *a):
        raise ProgramExit(r1 + 1)
    r = Interpreter(assemble("mov %r1, 41\ncall 3\nmov %r0, 0\nexit"), helpers={3: stop}).run()
    assert (r.r0, r.ended_by) == (42, "helper")
    r = run_conformance(assemble("mov %r1, 0\ncall 5\nmov %r0, 2\nexit"))
    assert r.r0 == 0 and r.ended_by == "helper"


def test_callee_frames_have_own_stack_and_restore_callee_saved():
    src = """
        stdw [%r10-8], 1
        mov %r6, 6
        mov %r1, %r10
        call local f
        ldxdw %r0, [%r10-8]
        add %r0, %r6
        exit
    f:
        stdw [%r10-8], 100
        ldxdw %r2, [%r1-8]
        add %r2, 10
        stxdw [%r1-8], %r2
        mov %r6, 0
        exit
    """
    # The caller's slot was 1, the callee added 10 through the pointer; r6 is restored.
    assert Interpreter(assemble(src)).run().r0 == 11 + 6


def test_undefined_encodings_are_rejected_up_front():
    # 0x8f is ALU64|NEG|X: RFC 9669 defines NEG only with the K source.
    with pytest.raises(InvalidInsn, match="unknown opcode 0x8f") as ei:
        Interpreter(assemble("mov %r0, 0\nexit")[:1] + [Insn(0x8F, 0, 1), Insn(0x95)])
    assert ei.value.pc == 1
    with pytest.raises(InvalidInsn, match="LD_IMM64"):  # a lddw without its second half
        Interpreter(assemble("lddw %r0, 1")[:1])


def test_callx_through_a_function_address():
    # ld_imm64 with src = BPF_PSEUDO_FUNC: imm is the callee's slot offset from the next
    # slot; callx (register in dst) then calls it as a BPF-to-BPF call.
    tail = assemble("call %r3\nexit\nmov %r0, 123\nexit")
    prog = ld_imm64(3, 3, src=4) + tail   # slots 0-1: r3 = &slot 4 (0 + 1 + 3), "mov %r0, 123"
    assert Interpreter(prog).run().r0 == 123
    # A plain number in the register names a helper (the bpf_conformance convention).
    assert run_conformance(assemble("mov %r1, 9\nmov %r2, 5\ncall %r2\nexit")).r0 == 9


def test_error_section_files_fault():
    # The corpus has no "-- error" file; this one follows the format: a plugin must fail.
    t = parse_text("-- asm\nmov %r1, 0\nldxw %r0, [%r1+0]\nexit\n-- error\nfault\n", "e.data")
    assert t.error == "fault" and t.result is None
    with pytest.raises(MemoryFault):
        run_conformance(t.insns, t.mem)
