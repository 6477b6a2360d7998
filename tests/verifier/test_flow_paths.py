"""The walk's short cuts at prune points, calls and exits give what the general code gives.

* ``prune.DEAD_REGS`` is the table of the dead registers r0-r9 of every live mask (read
  at every prune point): held to the formula for all 2,048 masks;
* ``stack_args.after_call`` (after every helper call),
  ``precision.mark_all_scalars_imprecise`` (at every new checkpoint) and
  ``refs.for_each_reg`` (NULL checks, packet ranges, releases) walk all of a state's
  frames, relying on a state holding its frames up to the current one and no
  more (``len(frames) == curframe + 1``): checked at each of those calls on the random
  programs (calls into subprograms and callbacks included);
* ``dispatch.check_call``'s helper branch checks the reserved fields of ``call imm``
  (src 0) by the kernel's rule for every call.

Randomized parts use a fixed seed.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import isa
from isa.uapi import BPF_F_TEST_STATE_FREQ
from verifier import VerifierInput, jumps, precision, prune, refs, stack_args, verify

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_progs import facts, mixed_programs  # noqa: E402


def _facts(prog, pt):
    return facts(prog, pt, log_level=2)


def _programs(n_shaped=1200, n_raw=1500):
    return mixed_programs(random.Random(20261207 + 5), n_shaped, n_raw)


def test_dead_register_table_matches_the_formula():
    for live in range(1 << 11):
        assert prune.DEAD_REGS[live] == tuple(i for i in range(10) if not live >> i & 1)


def test_states_hold_frames_up_to_the_current_one(monkeypatch):
    seen = {"after_call": 0, "imprecise": 0, "for_each": 0, "deep": 0}
    real_after_call = stack_args.after_call
    real_imprecise = precision.mark_all_scalars_imprecise
    real_for_each = refs.for_each_reg

    def for_each_reg(st, *a, **k):
        assert len(st.frames) == st.curframe + 1
        seen["for_each"] += 1
        return real_for_each(st, *a, **k)

    def after_call(st):
        assert len(st.frames) == st.curframe + 1
        seen["after_call"] += 1
        seen["deep"] += st.curframe > 0
        return real_after_call(st)

    def imprecise(st):
        assert len(st.frames) == st.curframe + 1
        seen["imprecise"] += 1
        seen["deep"] += st.curframe > 0
        return real_imprecise(st)

    monkeypatch.setattr(stack_args, "after_call", after_call)
    monkeypatch.setattr(prune, "mark_all_scalars_imprecise", imprecise)
    monkeypatch.setattr(jumps, "for_each_reg", for_each_reg)
    for p, pt in _programs(1200, 300):
        _facts(p, pt)
    # a subprogram: its helper call and checkpoints (one at every prune point) in frame 1
    v = verify(VerifierInput(_sub_prog(), prog_type="socket_filter",
                             prog_flags=BPF_F_TEST_STATE_FREQ), 2)
    assert v.accepted, v.error
    assert seen["after_call"] > 100 and seen["imprecise"] > 100 and seen["for_each"] > 100, seen
    assert seen["deep"], seen        # (subprogram and callback frames among them)


def _ins(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, dst | (src << 4), off, imm)


def _sub_prog():
    ins = _ins
    # r0 = 0; call pc+2 (the subprogram at 4); r0 = 0; exit
    # 4: call bpf_get_prandom_u32; if r0 > 5 goto +1; r0 = 0; exit
    code = (ins(0xB7) + ins(0x85, 0, 1, 0, 2) + ins(0xB7) + ins(0x95)
            + ins(0x85, 0, 0, 0, 7) + ins(0x25, 0, 0, 1, 5) + ins(0xB7) + ins(0x95))
    return isa.decode(code)


def _call_prog(off, dst):
    ins = _ins
    # r0 = 0; call bpf_get_prandom_u32 (fields off, dst); r0 = 0; exit
    code = ins(0xB7) + ins(0x85, dst, 0, off, 7) + ins(0xB7) + ins(0x95)
    return isa.decode(code)


def test_helper_call_reserved_fields_follow_the_kernel_rule():
    for off in (0, 1, -1, 7, -32768, 32767):
        for dst in range(16):
            if dst == 11:
                continue            # (an r11 operand: stack_args.check_insn's case)
            v = verify(VerifierInput(_call_prog(off, dst), prog_type="socket_filter"), 1)
            # kernel (do_check_insn, BPF_CALL): (src != BPF_PSEUDO_KFUNC_CALL && off != 0)
            # || (src != BPF_REG_0 && ...) || dst_reg != BPF_REG_0 - for src 0:
            reserved = off != 0 or dst != 0
            if reserved:
                assert not v.accepted and v.error.message == "BPF_CALL uses reserved fields", \
                    (off, dst, v.error)
            else:
                assert v.accepted, (off, dst, v.error)
