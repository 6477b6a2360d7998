"""The bpf_conformance suite through the JIT: x86-64 code run by unicorn.

Setup as the suite's plugins (and ``pipeline.interp.run_conformance``):
r1 = pointer to a writable copy of ``-- mem`` (0 when there is none), r2 =
its length, helper 5 = unwind (returns r1; 0 ends the program with r0 = 0).
The expected r0 is the file's ``-- result``.  Also here: the image maps every
x86 byte back to its BPF instruction, and faults name the BPF instruction.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from isa.asm import assemble
from isa.conformance import parse_file
from jit import JitError, jit
from pipeline.exec_unicorn import DATA_BASE, ExecFault, RegionSpec, UnicornExecutor
from pipeline.interp import InterpError, unwind_helper

CONFORMANCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
DATA_FILES = sorted(CONFORMANCE_DIR.glob("*.data"))


def run_jit(insns, mem: bytes = b"", **kw) -> int:
    image = jit(insns)
    regions = [RegionSpec("mem", DATA_BASE, mem)] if mem else []
    ex = UnicornExecutor(image, helpers={5: unwind_helper}, regions=regions, **kw)
    return ex.run(DATA_BASE, len(mem)).retval if mem else ex.run(0, 0).retval


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_conformance_file(path: Path):
    t = parse_file(path)
    if not t.runnable:
        pytest.skip(t.skip_reason)
    if t.error is not None:
        with pytest.raises((JitError, InterpError)):
            run_jit(t.insns, t.mem)
        return
    got = run_jit(t.insns, t.mem)
    assert got == t.result, f"r0 = {got:#x}, expected {t.result:#x}"


def test_conformance_pass_count():
    passed = 0
    for p in DATA_FILES:
        t = parse_file(p)
        try:
            passed += t.result is not None and run_jit(t.insns, t.mem) == t.result
        except (JitError, InterpError):
            pass
    print(f"\nconformance through the JIT: {passed}/{len(DATA_FILES)}")
    assert passed == len(DATA_FILES) == 313


def test_mem_is_a_copy_and_writes_land_in_it():
    prog = assemble("stb [%r1+0], 9\nldxb %r0, [%r1+0]\nexit")
    mem = bytes([1, 2, 3, 4])
    assert run_jit(prog, mem) == 9
    assert mem[0] == 1


def test_every_code_byte_maps_back_to_its_instruction():
    prog = assemble("""
        mov %r0, 0
        lddw %r1, 0x1122334455667788
        div %r0, %r2
        jeq %r0, 0, +1
        mov %r0, 1
        exit
    """)
    image = jit(prog)
    assert image.insn_offsets[2] == -1                 # LD_IMM64's second half
    f = image.funcs[0]
    for slot in (0, 1, 3, 4, 5):
        lo = image.insn_offsets[slot]
        assert image.insn_at(lo) == slot
    # the final exit has no code of its own: it falls into the epilogue
    assert image.insn_offsets[6] == f.epilogue_offset
    assert image.insn_at(f.offset) is None             # prologue
    assert image.insn_at(image.insn_offsets[3] + 5) == 3   # inside the division guard code


def test_out_of_bounds_access_is_a_fault_naming_the_insn():
    prog = assemble("mov %r0, 1\nldxw %r0, [%r1+4096]\nexit")
    with pytest.raises(ExecFault) as e:
        run_jit(prog, bytes(16))
    assert e.value.pc == 1 and "invalid memory read" in str(e.value)


def test_write_to_read_only_region_is_a_fault():
    image = jit(assemble("stw [%r1+0], 1\nmov %r0, 0\nexit"))
    ex = UnicornExecutor(image, regions=[RegionSpec("ro", DATA_BASE, bytes(8), writable=False)])
    with pytest.raises(ExecFault) as e:
        ex.run(DATA_BASE)
    assert e.value.pc == 0 and "read-only" in str(e.value)


def test_unknown_helper_is_a_fault():
    with pytest.raises(ExecFault) as e:
        run_jit(assemble("mov %r0, 0\ncall 77\nexit"))
    assert "unknown helper 77" in str(e.value) and e.value.pc == 1


def test_infinite_loop_hits_the_budget():
    with pytest.raises(ExecFault) as e:
        run_jit(assemble("mov %r0, 0\nadd %r0, 1\nja -2\nexit"), max_insns=100_000)
    assert "budget" in str(e.value)


def test_unbounded_recursion_faults_on_the_stack_guard():
    with pytest.raises(ExecFault) as e:
        run_jit(assemble("call local f\nexit\nf:\ncall local f\nexit"))
    assert "stack overflow" in str(e.value)


def test_invalid_instruction_is_refused_at_jit_time():
    from isa.insn import Insn
    with pytest.raises(JitError):
        jit([Insn(0xFF), Insn(0x95)])
    with pytest.raises(JitError, match="R11 is invalid"):
        jit([Insn(0x07, dst=11, imm=1), Insn(0x95)])        # r11 += 1
    with pytest.raises(JitError, match="R11 is invalid"):
        jit([Insn(0x63, dst=11, src=1, off=-8), Insn(0x95)])  # 4-byte store to r11


def test_callx_to_a_function_address_and_to_a_helper_id():
    """callx through a register: a BPF function's address (LD_IMM64 PSEUDO_FUNC), then a
    helper id (the conformance convention); the interpreter treats both the same way."""
    from isa import opcodes as op
    from isa.insn import Insn
    from pipeline.interp import Interpreter
    prog = [
        Insn(op.LD_IMM64, 2, op.PSEUDO_FUNC, 0, 7), Insn(0),    # r2 = &f (slot 8)
        Insn(op.ALU64 | op.MOV | op.K, 1, imm=20),                # r1 = 20
        Insn(op.CALLX_OP, 2),                                     # r0 = f(20) = 21
        Insn(op.ALU64 | op.MOV | op.X, 1, 0),                     # r1 = 21
        Insn(op.ALU64 | op.MOV | op.K, 3, imm=5),
        Insn(op.CALLX_OP, 3),                                     # r0 = unwind(21) = 21
        Insn(op.EXIT_OP),
        Insn(op.ALU64 | op.MOV | op.X, 0, 1),                     # f: r0 = r1 + 1
        Insn(op.ALU64 | op.ADD | op.K, 0, imm=1),
        Insn(op.EXIT_OP),
    ]
    assert run_jit(prog) == 21
    assert Interpreter(prog, helpers={5: unwind_helper}).run().r0 == 21


def test_helper_ending_the_program_inside_a_callback_ends_it():
    from isa import opcodes as op
    from isa.insn import Insn
    image = jit([
        Insn(op.LD_IMM64, 2, op.PSEUDO_FUNC, 0, 5), Insn(0),    # r2 = &cb (slot 6)
        Insn(op.ALU64 | op.MOV | op.K, 1, imm=3),
        Insn(op.JMP | op.CALL, imm=181),                          # bpf_loop(3, cb, ...)
        Insn(op.ALU64 | op.MOV | op.K, 0, imm=77),
        Insn(op.EXIT_OP),
        Insn(op.ALU64 | op.MOV | op.K, 1, imm=0),                 # cb: unwind(0) ends it all
        Insn(op.JMP | op.CALL, imm=5),
        Insn(op.EXIT_OP),
    ])

    def bpf_loop(vm, n, cb, ctx, flags, r5):
        for i in range(n):
            vm.call(cb, i, ctx)
        return n
    ex = UnicornExecutor(image, helpers={5: unwind_helper, 181: bpf_loop})
    r = ex.run()
    assert r.retval == 0 and r.ended_by == "helper"
