"""Encode/decode round trips over every valid instruction form, and the validity table.

The valid forms come from tests/support/forms.py (the ISA written out form by form); validity is
judged by :func:`isa.opcode_problem`.  The two are independent codings of RFC 9669 plus the
kernel extensions, so checking that they agree on every opcode byte and on every selector
value (atomic imm, END width, movsx/sdiv/addr_space_cast off) catches a slip in either.
Nothing here lists expected outputs by hand: values come from generators.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest

from isa import Insn, IsaError, check_program, decode, encode, imm64, ld_imm64, opcode_problem
from isa import opcodes as op
from isa.disasm import format_insn

_TESTS = str(Path(__file__).resolve().parents[1])   # tests/, appended: see tests/support
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from support.forms import Form, all_forms, instances  # noqa: E402

FORMS = all_forms()

# Selector fields: the only fields besides ``code`` that decide which instruction it is.
ATOMIC_CODES = {op.STX | op.ATOMIC | size for size in op.SIZE_BYTES}
END_CODES = {cls | op.END | src for cls in (op.ALU, op.ALU64) for src in (op.K, op.X)}
OFF_SELECTOR_CODES = {cls | o | src for cls in (op.ALU, op.ALU64)
                      for o in (op.MOV, op.DIV, op.MOD) for src in (op.K, op.X)}
IMM_PROBES = sorted({*range(0, 0x20), *range(0x40, 0x42), *range(0x50, 0x52), *range(0xA0, 0xA2),
                     *range(0xE0, 0xE2), *range(0xF0, 0xF2), 0x100, 0x101, 0x110, 0x111, 0x120,
                     0x200, 0x300, 16, 32, 64, 48, 128, -1, -16, 0x10000})
OFF_PROBES = sorted({*range(-2, 34), 64, 0x7FFF, -0x8000})


def selector_key(insn: Insn) -> tuple[int, int | None, int | None]:
    imm = insn.imm if insn.code in ATOMIC_CODES or insn.code in END_CODES else None
    off = insn.off if insn.code in OFF_SELECTOR_CODES else None
    return insn.code, imm, off


VALID_KEYS = {selector_key(f.insn()[0]) for f in FORMS}

# ALU operation nibbles 0xe and 0xf name no instruction (opcode_problem once let them through)
UNDEFINED_ALU_CODES = {cls | o | src for cls in (op.ALU, op.ALU64) for o in (0xE0, 0xF0)
                       for src in (op.K, op.X)}


def probes() -> list[Insn]:
    """Every opcode byte, with every selector probe where the byte has a selector field."""
    out = []
    for code in range(256):
        imms = IMM_PROBES if code in ATOMIC_CODES or code in END_CODES else [0]
        offs = OFF_PROBES if code in OFF_SELECTOR_CODES else [0]
        out += [Insn(code, 1, 2, off, imm) for imm in imms for off in offs]
    return out


def _ids(forms: list[Form]) -> list[str]:
    return [f.name for f in forms]


# --- round trips ----------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS, ids=_ids(FORMS))
def test_form_round_trips_and_is_valid(form: Form):
    for prog in instances(form, count=24):
        raw = encode(prog)
        assert len(raw) == 8 * form.slots
        assert decode(raw) == prog
        assert [Insn.decode_slot(raw, 8 * k) for k in range(form.slots)] == prog
        check_program(prog)
        assert opcode_problem(prog[0]) is None
        for style in ("llvm", "kernel"):
            assert format_insn(prog, 0, style)  # strict mode accepts every valid form


def test_forms_cover_every_selector_combination_once():
    keys = [(selector_key(f.insn()[0]), f.src) for f in FORMS]
    assert len(keys) == len(set(keys)), "two forms encode the same instruction"
    names = {f.name for f in FORMS}
    for must in ("alu64 sdiv k", "alu smod x", "alu64 movsx32", "alu movsx8", "addr_space_cast",
                 "bswap64", "be16", "le64", "gotol", "may_goto", "call kfunc", "call local",
                 "ld_imm64 map_idx_value", "ldxsb", "load_acquire b", "store_release dw",
                 "atomic w fetch_xor", "atomic dw cmpxchg", "ld_ind h", "ld_abs w"):
        assert must in names


def test_whole_program_of_every_form_passes_check_program():
    prog = [insn for form in FORMS for inst in instances(form, count=4) for insn in inst]
    check_program(prog)
    assert decode(encode(prog)) == prog


def test_r11_is_only_generated_as_a_memory_base():
    seen = set()
    for form in FORMS:
        for prog in instances(form, count=24):
            insn = prog[0]
            if op.PARAMS in (insn.dst, insn.src):
                assert form.base is not None, form.name
                reg = insn.dst if form.base == "dst" else insn.src
                assert reg == op.PARAMS
                seen.add(form.name)
    assert {"ldxdw", "stxdw", "stdw"} <= seen


def test_arbitrary_bytes_round_trip():
    rng = random.Random(9669)
    for _ in range(2000):
        raw = rng.randbytes(8 * rng.randint(1, 4))
        assert encode(decode(raw)) == raw


def test_fields_are_signed_where_the_format_says():
    insn = decode(struct.pack("<BBhi", 0x7A, 0xBA, -8, -1))[0]
    assert (insn.dst, insn.src, insn.off, insn.imm) == (10, 11, -8, -1)
    prog = ld_imm64(3, -1, src=op.PSEUDO_MAP_VALUE)
    assert imm64(*prog) == (1 << 64) - 1 and prog[0].src == op.PSEUDO_MAP_VALUE


# --- the validity table ---------------------------------------------------------------
def test_opcode_table_agrees_with_the_forms_everywhere():
    disagreements = []
    for insn in probes():
        valid = selector_key(insn) in VALID_KEYS
        problem = opcode_problem(insn)
        if valid != (problem is None):
            disagreements.append(f"{insn} forms={'valid' if valid else 'invalid'} "
                                 f"opcode_problem={problem!r}")
    assert not disagreements, "\n".join(disagreements[:20])


@pytest.mark.parametrize("code", sorted(UNDEFINED_ALU_CODES), ids=hex)
def test_undefined_alu_operations_are_rejected(code: int):
    assert opcode_problem(Insn(code, 1, 2, 0, 0)) is not None


def test_forbidden_opcodes_are_rejected_with_the_slot():
    rejected = [insn for insn in probes() if selector_key(insn) not in VALID_KEYS]
    assert len(rejected) > 900  # most opcode bytes and selector values are holes
    for insn in rejected:
        prog = [Insn(op.ALU64 | op.MOV | op.K, 0, 0, 0, 0), insn, Insn(op.EXIT_OP)]
        with pytest.raises(IsaError) as err:
            check_program(prog)
        assert err.value.index == 1 and err.value.byte_offset == 8
        for style in ("llvm", "kernel"):
            with pytest.raises(IsaError) as err:
                format_insn(prog, 1, style)
            assert err.value.index == 1


@pytest.mark.parametrize("field", ["dst", "src"])
def test_registers_above_r11_are_rejected(field: str):
    for form in FORMS:
        if field not in form.operands:
            continue
        for reg in (12, 15):
            kw = {"dst": 1, "src": 2, field: reg}
            prog = form.insn(**kw)
            with pytest.raises(IsaError):
                check_program(prog)


def test_ld_imm64_needs_a_clean_second_half():
    with pytest.raises(IsaError) as err:
        check_program([Insn(op.LD_IMM64, 1, 0, 0, 5)])
    assert err.value.index == 0
    for bad in (Insn(1, 0, 0, 0, 0), Insn(0, 1, 0, 0, 0), Insn(0, 0, 1, 0, 0), Insn(0, 0, 0, 1, 0)):
        with pytest.raises(IsaError) as err:
            check_program([Insn(op.LD_IMM64, 1, 0, 0, 5), bad])
        assert err.value.index == 1


def test_decode_rejects_partial_slots():
    with pytest.raises(IsaError):
        decode(b"\x95" + b"\0" * 10)
