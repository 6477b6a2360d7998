"""Dynptr stack slots: what a dynptr is on the stack, and how it is destroyed, released and
checked against writes (kernel: dynptr_get_spi, destroy_if_dynptr_stack_slot,
invalidate_dynptr, unmark_stack_slots_dynptr, the raw-mode dynptr check of
check_stack_range_initialized).  The layout is described in :mod:`verifier.dynptr`; this
half imports nothing above :mod:`verifier.refs`, so the stack-write code can call it.
"""

from __future__ import annotations

from isa.ints import s64
from verifier import regtypes as T
from verifier.env import Env
from verifier.errors import EACCES, EFAULT, EINVAL, VerifierError
from verifier.refs import PKT_DYNPTR_KINDS, for_each_reg, is_pkt_slice, release_reference
from verifier.scalar import Scalar
from verifier.state import BPF_REG_SIZE, EMPTY_SLOT, STACK_DYNPTR, UNKNOWN_SCALAR, Reg

DYNPTR_NR_SLOTS = 2
BPF_DYNPTR_SIZE = 16
KINDS = ("local", "ringbuf", "skb", "xdp", "skb_meta")
REFCOUNTED = frozenset({"ringbuf"})          # kernel: dynptr_type_refcounted
PKT_KINDS = PKT_DYNPTR_KINDS
ALL_DYNPTR = (STACK_DYNPTR,) * BPF_REG_SIZE


def stack_obj_spi(env: Env, reg: Reg, kind: str, nr_slots: int) -> int:
    """kernel: stack_slot_obj_get_spi; -1 for 'not allocated yet' (ERANGE)."""
    if reg.s.var_off.mask != 0:
        raise VerifierError(f"{kind} has to be at a constant offset", EINVAL)
    off = reg.off + s64(reg.s.var_off.value)
    if off % BPF_REG_SIZE:
        raise VerifierError(f"cannot pass in {kind} at an offset={off}", EINVAL)
    spi = (-off - 1) // BPF_REG_SIZE
    if off >= 0 or spi + 1 < nr_slots:
        raise VerifierError(f"cannot pass in {kind} at an offset={off}", EINVAL)
    f = env.func_of(reg)
    if not (spi - nr_slots + 1 >= 0 and spi < len(f.stack)):
        return -1
    return spi


def spi_of(env: Env, reg: Reg) -> int:
    """kernel: dynptr_get_spi, with its complaints swallowed (-2: a bad offset)."""
    try:
        return stack_obj_spi(env, reg, "dynptr", DYNPTR_NR_SLOTS)
    except VerifierError:
        return -2


def _kind(r: Reg) -> str:
    return r.btf_name or "local"


def _first(env: Env, reg: Reg) -> Reg:
    """The register describing the dynptr ``reg`` points to (an initialized one)."""
    if reg.type == T.CONST_PTR_TO_DYNPTR:
        return reg
    return env.func_of(reg).stack[spi_of(env, reg)].spilled


def kind_of(env: Env, reg: Reg) -> str:
    """kernel: dynptr_get_type."""
    return _kind(_first(env, reg))


def info(env: Env, reg: Reg) -> tuple[int, str, int]:
    """(id, kind, ref_obj_id) of an initialized dynptr (kernel: dynptr_id, dynptr_get_type,
    dynptr_ref_obj_id)."""
    r = _first(env, reg)
    return r.id, _kind(r), r.ref_obj_id


# --- destroying and invalidating --------------------------------------------------------------

def _invalidate_slices(env: Env, dynptr_id: int) -> None:
    """Plain PTR_TO_MEM(_OR_NULL) registers derived from the dynptr die (kernel: the
    mark_reg_invalid loop of destroy_if_dynptr_stack_slot, which looks at no other type)."""
    def inv(r: Reg):
        if r.type in (T.PTR_TO_MEM, T.PTR_TO_MEM | T.PTR_MAYBE_NULL) and r.dynptr_id == dynptr_id:
            return UNKNOWN_SCALAR
        return None
    for_each_reg(env.cur, inv)


def _clear(env: Env, f, spi: int) -> None:
    for s in (spi, spi - 1):
        f.stack[s] = EMPTY_SLOT
        env.scratch_stack(s)


def destroy_if_dynptr_slot(env: Env, f, spi: int) -> None:
    """kernel: destroy_if_dynptr_stack_slot - a write into either slot of a dynptr
    destroys the whole dynptr (and its slices); a referenced one may not be overwritten."""
    if spi >= len(f.stack) or f.stack[spi].types[0] != STACK_DYNPTR:
        return
    if not f.stack[spi].spilled.off:           # not the first slot: step to it
        spi += 1
    first = f.stack[spi].spilled
    if _kind(first) in REFCOUNTED:
        raise VerifierError("cannot overwrite referenced dynptr", EINVAL)
    _clear(env, f, spi)
    _invalidate_slices(env, first.id)


def _invalidate_dynptr(env: Env, f, spi: int) -> None:
    """kernel: invalidate_dynptr."""
    _clear(env, f, spi)


def unmark_slots(env: Env, reg: Reg) -> None:
    """kernel: unmark_stack_slots_dynptr - a release helper gave the dynptr back: its
    reference, slices and clones die with it."""
    f = env.func_of(reg)
    spi = spi_of(env, reg)
    if spi < 0:
        raise VerifierError("verifier internal error: bad dynptr to release", EFAULT)
    first = f.stack[spi].spilled
    if _kind(first) not in REFCOUNTED:
        _invalidate_dynptr(env, f, spi)
        return
    rid = first.ref_obj_id
    release_reference(env, rid)
    for s in range(1, len(f.stack)):
        slot = f.stack[s]
        if slot.types[0] == STACK_DYNPTR and slot.spilled.ref_obj_id == rid \
                and slot.spilled.off:
            _invalidate_dynptr(env, f, s)


def potential_write(f, lo: int, hi: int) -> None:
    """kernel: check_stack_range_initialized in raw mode - a helper that fills
    ``[lo, hi)`` (stack offsets) may not write over a dynptr."""
    for i in range(lo, hi):
        slot_i = -i - 1
        if slot_i >= f.allocated_stack:
            continue
        if f.stack[slot_i // BPF_REG_SIZE].types[slot_i % BPF_REG_SIZE] == STACK_DYNPTR:
            raise VerifierError(f"potential write to dynptr at off={i} disallowed", EACCES)


def slice_reg(dynptr_id: int, kind: str, size: int, rdonly: bool, maybe_null: bool,
              null_id: int, ref_obj_id: int = 0) -> Reg:
    """R0 of bpf_dynptr_data / bpf_dynptr_slice(_rdwr)."""
    t = T.PTR_TO_MEM | (T.MEM_RDONLY if rdonly else 0) | (T.PTR_MAYBE_NULL if maybe_null else 0)
    return Reg(t, Scalar.const(0), mem_size=size, dynptr_id=dynptr_id, ref_obj_id=ref_obj_id,
               id=null_id if maybe_null else 0, btf_name=kind if kind in PKT_KINDS else "")



__all__ = ["stack_obj_spi", "spi_of", "kind_of", "info", "is_pkt_slice", "destroy_if_dynptr_slot",
           "unmark_slots", "potential_write", "slice_reg", "DYNPTR_NR_SLOTS", "BPF_DYNPTR_SIZE",
           "REFCOUNTED", "PKT_KINDS", "ALL_DYNPTR"]
