"""The argument-tracking data flow's level-2 ``arg JOIN`` lines (verifier/liveness.py,
kernel liveness.c): what a join prints, on hand-assembled programs.  The formats are the
kernel's (the selftest verifier_stack_arg.c matches two of them); each expectation below
is derived by hand from the join rules, not from our output."""

from __future__ import annotations

import isa.asm
from verifier import VerifierInput, verify


def joins(source: str, **kw) -> list[str]:
    insns = isa.asm.assemble(source)
    v = verify(VerifierInput(insns, prog_type="socket_filter", **kw), log_level=2)
    return [ln for ln in v.log.splitlines() if ln.startswith("arg JOIN")]


def test_single_offset_joined_with_no_pointer_gains_fp0_plus_0():
    # 0: r6 = r1; 1: r1 = r10; 2: r1 += -8; 3: if r6 == 0 goto 5; 4: r1 = 0; 5: r0 = 0; exit
    # compute_postorder explores the jump target first, so the reverse post-order is
    # 0..6: 3 -> 5 first reaches 5 (nothing printed: unvisited before), then 4 -> 5 joins
    src = ("mov %r6, %r1\nmov %r1, %r10\nadd %r1, -8\njeq %r6, 0, +1\nmov %r1, 0\n"
           "mov %r0, 0\nexit")
    assert joins(src) == ["arg JOIN insn 4 -> 5 r1: fp0-8 + _ => fp0-8|fp0+0"]


def test_two_offsets_of_one_frame_merge_sorted():
    # the two paths into 5 give r2 fp0-8 (from 3) and fp0-16 (from 4)
    src = ("mov %r6, %r1\nmov %r2, %r10\nadd %r2, -8\njeq %r6, 0, +1\nadd %r2, -8\n"
           "mov %r0, 0\nexit")
    assert joins(src) == ["arg JOIN insn 4 -> 5 r2: fp0-8 + fp0-16 => fp0-16|fp0-8"]


def test_older_kernels_print_none():
    src = ("mov %r6, %r1\nmov %r1, %r10\nadd %r1, -8\njeq %r6, 0, +1\nmov %r1, 0\n"
           "mov %r0, 0\nexit")
    assert joins(src, static_liveness=False) == []
