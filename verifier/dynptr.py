"""Dynptrs on the stack (kernel: process_dynptr_func, mark_stack_slots_dynptr,
is_dynptr_reg_valid_(un)init, is_dynptr_type_expected; the slot half - dynptr_get_spi,
destroy_if_dynptr_stack_slot, unmark_stack_slots_dynptr - is :mod:`verifier.dynptr_slots`).

A ``struct bpf_dynptr`` (16 bytes) occupies two stack slots whose bytes are all
``STACK_DYNPTR``; each slot's "spilled" register describes the dynptr: type
``CONST_PTR_TO_DYNPTR``, ``btf_name`` = its kind (``local``, ``ringbuf``, ``skb``, ``xdp``;
kernel: ``dynptr.type``), ``id`` = the dynptr's id, ``off`` = 1 on the first (lower-address)
slot (kernel: ``dynptr.first_slot``), and for ring-buffer dynptrs ``ref_obj_id``: the
reference the program must give back with ``bpf_ringbuf_submit_dynptr`` /
``bpf_ringbuf_discard_dynptr``.  A ``CONST_PTR_TO_DYNPTR`` register (a global function's or
a callback's dynptr argument) is a dynptr the program may read but not mutate or release;
an empty ``btf_name`` there means ``local``, as the kernel marks a global function's
argument.

Slices (``bpf_dynptr_data``, ``bpf_dynptr_slice``) are ``PTR_TO_MEM`` registers that remember
their dynptr's id in ``dynptr_id``; slices of skb/xdp dynptrs carry the kind in ``btf_name``
(kernel: the ``DYNPTR_TYPE_SKB``/``_XDP`` type flag, which the log does not print) so that
helpers that move packet data invalidate them (:func:`is_pkt_slice`).  Overwriting a dynptr's
stack bytes destroys it (a referenced one may not be overwritten) and invalidates its plain
``PTR_TO_MEM`` slices; releasing a ring-buffer dynptr releases its reference, which takes
its slices and its clones with it.
"""

from __future__ import annotations

from verifier import regtypes as T
from verifier.call_args import lend, reg_at
from verifier.dynptr_slots import (ALL_DYNPTR, BPF_DYNPTR_SIZE, DYNPTR_NR_SLOTS, REFCOUNTED,
                                   destroy_if_dynptr_slot, kind_of, spi_of)
from verifier.env import Env
from verifier.errors import EFAULT, EINVAL, VerifierError
from verifier.mem import check_mem_access
from verifier.refs import acquire_reference
from verifier.scalar import Scalar
from verifier.state import BPF_REG_SIZE, Reg, Slot


# --- creating ---------------------------------------------------------------------------------

def _mark_slots(env: Env, reg: Reg, kind: str, clone_ref_obj_id: int) -> None:
    """kernel: mark_stack_slots_dynptr."""
    f = env.func_of(reg)
    spi = spi_of(env, reg)
    destroy_if_dynptr_slot(env, f, spi)
    destroy_if_dynptr_slot(env, f, spi - 1)
    did = env.new_id()
    rid = 0
    if kind in REFCOUNTED:
        rid = clone_ref_obj_id or acquire_reference(env, env.insn_idx)
    for i in range(DYNPTR_NR_SLOTS):
        fake = Reg(T.CONST_PTR_TO_DYNPTR, Scalar.const(0), off=1 if i == 0 else 0, id=did,
                   ref_obj_id=rid, btf_name=kind)
        f.stack[spi - i] = Slot(ALL_DYNPTR, fake)
        env.scratch_stack(spi - i)


def _valid_init(env: Env, reg: Reg) -> bool:
    """kernel: is_dynptr_reg_valid_init."""
    if reg.type == T.CONST_PTR_TO_DYNPTR:
        return True
    spi = spi_of(env, reg)
    if spi < 0:
        return False
    f = env.func_of(reg)
    return (bool(f.stack[spi].spilled.off) and f.stack[spi].types == ALL_DYNPTR
            and f.stack[spi - 1].types == ALL_DYNPTR)


def _live_read(env: Env, reg: Reg) -> None:
    """kernel: mark_dynptr_read (the slots also show in the level-2 log, as 6.18's do)."""
    if reg.type == T.CONST_PTR_TO_DYNPTR:
        return
    f = env.func_of(reg)
    spi = spi_of(env, reg)
    for s in (spi, spi - 1):
        env.scratch_stack(s)
        if env.liveness is not None:
            env.liveness.mark_read(env, f.frameno, s)


def process_dynptr(env: Env, loc: tuple, regno: int, insn, *, uninit: bool = False,
                   rdonly: bool = False, kind: str | None = None,
                   clone_ref_obj_id: int = 0) -> None:
    """kernel: process_dynptr_func.  ``regno`` is the kernel's (R1 = 1; a kfunc's
    argument i is i + 1), ``kind`` the dynptr type the argument names (None: any; for an
    uninitialized dynptr the type it gets)."""
    reg = reg_at(env, loc)
    if reg.type not in (T.PTR_TO_STACK, T.CONST_PTR_TO_DYNPTR):
        raise VerifierError(f"arg#{regno - 1} expected pointer to stack or const struct bpf_dynptr",
                            EINVAL)
    if uninit and rdonly:
        raise VerifierError("verifier bug: misconfigured dynptr helper type flags",
                            EFAULT)
    if uninit:
        if reg.type == T.CONST_PTR_TO_DYNPTR or spi_of(env, reg) == -2:
            raise VerifierError("Dynptr has to be an uninitialized dynptr", EINVAL)
        with lend(env, loc) as r:
            for i in range(0, BPF_DYNPTR_SIZE, BPF_REG_SIZE):
                check_mem_access(env, r, i, BPF_REG_SIZE, True, -1, False, False, insn)
        _mark_slots(env, reg_at(env, loc), kind or "local", clone_ref_obj_id)
        return
    if reg.type == T.CONST_PTR_TO_DYNPTR and not rdonly:
        raise VerifierError("cannot pass pointer to const bpf_dynptr, the helper mutates it",
                            EINVAL)
    if not _valid_init(env, reg):
        raise VerifierError(f"Expected an initialized dynptr as arg #{regno - 1}", EINVAL)
    if kind is not None and kind_of(env, reg) != kind:
        raise VerifierError(f"Expected a dynptr of type {kind} as arg #{regno - 1}", EINVAL)
    _live_read(env, reg)


def check_release_arg(env: Env, reg: Reg, regno: int) -> None:
    """kernel: check_func_arg's OBJ_RELEASE case for a dynptr argument."""
    if reg.type != T.PTR_TO_STACK:
        raise VerifierError("cannot release unowned const bpf_dynptr", EINVAL)
    spi = spi_of(env, reg)
    if spi < 0 or not env.func_of(reg).stack[spi].spilled.ref_obj_id:
        raise VerifierError(f"arg {regno} is an unacquired reference", EINVAL)



__all__ = ["process_dynptr", "check_release_arg"]
