"""The BPF stack-argument ABI (DESIGN §3): the one home of its numbers and shapes.

Arguments 1-5 travel in r1-r5; argument 5+k (k = 1..7) lives in stack slot k, addressed
through BPF register 11 (the kernel's ``BPF_REG_PARAMS``):

- caller: ``*(u64 *)(r11 - 8k) = rX`` (STX|MEM|DW) or ``*(u64 *)(r11 - 8k) = imm`` (ST|MEM|DW);
- callee: ``rX = *(u64 *)(r11 + 8k)`` (LDX|MEM|DW).

Anything else that names r11 is invalid (the verifier says ``R11 is invalid``).
Kernel counterparts: ``BPF_REG_PARAMS``, ``MAX_BPF_FUNC_ARGS``, ``MAX_BPF_FUNC_REG_ARGS``
(include/linux/bpf.h, include/linux/filter.h).
"""

from __future__ import annotations

from . import opcodes as op

PARAMS = op.PARAMS           # BPF_REG_PARAMS = 11
MAX_REG_ARGS = 5             # MAX_BPF_FUNC_REG_ARGS
MAX_ARGS = 12                # MAX_BPF_FUNC_ARGS
MAX_SLOTS = MAX_ARGS - MAX_REG_ARGS   # 7 stack-argument slots
SLOT_SIZE = 8

_STORE_X = op.STX | op.MEM | op.DW   # 0x7b
_STORE_K = op.ST | op.MEM | op.DW    # 0x7a
_LOAD = op.LDX | op.MEM | op.DW      # 0x79


def touches_r11(insn) -> bool:
    """Does the instruction name r11 in either register field?"""
    return insn.dst == PARAMS or insn.src == PARAMS


def is_store(insn) -> bool:
    """``*(u64 *)(r11 + off) = rX|imm`` of any offset (the slot is checked by :func:`store_slot`)."""
    return insn.code in (_STORE_X, _STORE_K) and insn.dst == PARAMS and (
        insn.code == _STORE_K or insn.src <= 10)


def is_load(insn) -> bool:
    """``rX = *(u64 *)(r11 + off)`` of any offset (the slot is checked by :func:`load_slot`)."""
    return insn.code == _LOAD and insn.src == PARAMS and insn.dst <= 10


def offset_slot(off: int, incoming: bool = False) -> int | None:
    """k for the offset ``-8k`` of an outgoing store (``+8k`` of an incoming load when
    ``incoming``), k >= 1 and not bounded by 7; None for any other offset."""
    k, rem = divmod(off if incoming else -off, SLOT_SIZE)
    return k if not rem and k >= 1 else None


def store_slot(insn) -> int | None:
    """k for a valid outgoing store at ``r11 - 8k`` (k >= 1, not bounded by 7), else None."""
    return offset_slot(insn.off) if is_store(insn) else None


def load_slot(insn) -> int | None:
    """k for a valid incoming load at ``r11 + 8k`` (k >= 1, not bounded by 7), else None."""
    return offset_slot(insn.off, incoming=True) if is_load(insn) else None


def slots_for_args(nargs: int) -> int:
    """Stack slots needed by a call with ``nargs`` 8-byte argument pieces."""
    return max(0, nargs - MAX_REG_ARGS)


def slot_name(k: int) -> str:
    """The kernel's name of outgoing slot k in messages: ``*(R11-8)``, ``*(R11-16)``, ..."""
    return f"*(R11-{SLOT_SIZE * k})"
