"""Verifier state: registers, stack slots, frames and whole-path states.

This is the kernel's ``bpf_reg_state`` / ``bpf_stack_state`` / ``bpf_func_state``
/ ``bpf_verifier_state`` as Python objects.

Sharing rule: a :class:`Reg` or :class:`Slot` is *never mutated once it is
stored* in a frame.  States are forked at every branch and checkpoint, and
forking only copies the per-frame lists (``regs``, ``stack``,
``stack_arg_regs``) while the register objects themselves are shared.  Code
that changes a register builds a new one (:meth:`Reg.copy` then assign, or
:meth:`Reg.with_`) and stores it back into the list.

Per-frame state keeps a seam for the stack-argument ABI: ``stack_arg_regs``
holds full register states of the outgoing ``*(r11 - 8k)`` slots (index k-1,
None or NOT_INIT = not written) and ``no_stack_arg_load`` records that an r11
store or a call has happened in this frame.  Pruning compares them like
registers (see :mod:`verifier.prune`).
"""

from __future__ import annotations

from verifier import regtypes as T
from verifier.scalar import Scalar

MAX_BPF_REG = 11          # r0..r10
BPF_REG_SIZE = 8
MAX_BPF_STACK = 512
MAX_CALL_FRAMES = 8
# Scalar ids: the top bits mark "this register = linked register + off" (linked
# scalars, sync_linked_regs); 64-bit and 32-bit deltas link differently (the
# 32-bit form zero-extends), so they are two flags.
BPF_ADD_CONST64 = 1 << 31
BPF_ADD_CONST32 = 1 << 30
BPF_ADD_CONST = BPF_ADD_CONST64 | BPF_ADD_CONST32
FP = 10

# stack slot byte types (kernel enum bpf_stack_slot_type)
STACK_INVALID = 0
STACK_SPILL = 1
STACK_MISC = 2
STACK_ZERO = 3
STACK_DYNPTR = 4
STACK_ITER = 5
STACK_IRQ_FLAG = 6
SLOT_CHARS = "?rm0dif"
# an iterator's state, kept in the ``range`` of its STACK_ITER slot's register
ITER_ACTIVE = 1
ITER_DRAINED = 2

_UNKNOWN = Scalar.unknown()
_ZERO = Scalar.const(0)


class Reg:
    """One register (or spilled register) state.  Treat as immutable once
    stored; use copy()/with_() to derive a changed one."""

    __slots__ = ("type", "off", "s", "id", "ref_obj_id", "range", "map", "mem_size",
                 "frameno", "subprogno", "btf_name", "precise", "btf", "btf_id",
                 "dynptr_id")

    def __init__(self, type: int = T.NOT_INIT, s: Scalar = _UNKNOWN, off: int = 0, id: int = 0,
                 ref_obj_id: int = 0, range: int = 0, map=None, mem_size: int = 0,
                 frameno: int = 0, subprogno: int = 0, btf_name: str = "",
                 precise: bool = False, btf=None, btf_id: int = 0, dynptr_id: int = 0):
        self.type = type
        self.s = s
        self.off = off
        self.id = id
        self.ref_obj_id = ref_obj_id
        self.range = range
        self.map = map
        self.mem_size = mem_size
        self.frameno = frameno
        self.subprogno = subprogno
        self.btf_name = btf_name
        self.precise = precise
        # PTR_TO_BTF_ID: the BTF the object's type belongs to (kernel: reg->btf; None = the
        # mock kernel's BTF, ``inp.kernel_btf``) and its type id there (0: look ``btf_name``
        # up by name); see verifier.kobj
        self.btf = btf
        self.btf_id = btf_id
        self.dynptr_id = dynptr_id      # a dynptr slice: its dynptr's id (verifier.dynptr)

    def copy(self) -> "Reg":
        r = Reg.__new__(Reg)
        r.type = self.type
        r.s = self.s
        r.off = self.off
        r.id = self.id
        r.ref_obj_id = self.ref_obj_id
        r.range = self.range
        r.map = self.map
        r.mem_size = self.mem_size
        r.frameno = self.frameno
        r.subprogno = self.subprogno
        r.btf_name = self.btf_name
        r.precise = self.precise
        r.btf = self.btf
        r.btf_id = self.btf_id
        r.dynptr_id = self.dynptr_id
        return r

    def with_(self, **kw) -> "Reg":
        r = self.copy()
        for k, v in kw.items():
            setattr(r, k, v)
        return r

    # --- queries ---------------------------------------------------------

    @property
    def is_pointer(self) -> bool:
        return self.type != T.SCALAR and self.type != T.NOT_INIT

    def is_const(self) -> bool:
        return self.s.var_off.mask == 0

    def __repr__(self) -> str:
        return f"<Reg {T.type_str(self.type)} off={self.off} {self.s} id={self.id}>"


NOT_INIT_REG = Reg()
UNKNOWN_SCALAR = Reg(T.SCALAR, _UNKNOWN)
_new_obj = object.__new__
_SCALAR_T = T.SCALAR


def scalar_reg(s: Scalar, precise: bool = False) -> Reg:
    """``Reg(T.SCALAR, s, precise=precise)``: the same register, built without the
    keyword parsing of __init__ (ALU results build one per instruction)."""
    r = _new_obj(Reg)
    r.type = _SCALAR_T
    r.s = s
    r.off = 0
    r.id = 0
    r.ref_obj_id = 0
    r.range = 0
    r.map = None
    r.mem_size = 0
    r.frameno = 0
    r.subprogno = 0
    r.btf_name = ""
    r.precise = precise
    r.btf = None
    r.btf_id = 0
    r.dynptr_id = 0
    return r


def ptr_reg(type: int, **kw) -> Reg:
    """A pointer with a zero variable offset (kernel: __mark_reg_known_zero)."""
    return Reg(type, _ZERO, **kw)


def fp_reg(frameno: int) -> Reg:
    return Reg(T.PTR_TO_STACK, _ZERO, frameno=frameno)


# fp_reg(N) for every frame number a call chain can reach (Frame.__init__)
_FP_REGS = tuple(fp_reg(i) for i in range(MAX_CALL_FRAMES))


class Slot:
    """One 8-byte stack slot: 8 byte types (index j = byte at fp-8*spi-1-j) and
    the spilled register (meaningful for STACK_SPILL, and as the 'fake'
    register of dynptr/iter slots)."""

    __slots__ = ("types", "spilled")

    def __init__(self, types: tuple, spilled: Reg = NOT_INIT_REG):
        self.types = types
        self.spilled = spilled

    def type_chars(self) -> str:
        return "".join(SLOT_CHARS[t] for t in self.types)

    def __repr__(self) -> str:
        return f"<Slot {self.type_chars()} {self.spilled!r}>"


INVALID_TYPES = (STACK_INVALID,) * BPF_REG_SIZE
EMPTY_SLOT = Slot(INVALID_TYPES)


class Ref:
    """An acquired reference (kernel: bpf_reference_state): kind "ptr" for
    objects that must be released, "lock" for a held bpf_spin_lock (``ptr``
    is the map it lives in)."""
    __slots__ = ("id", "insn_idx", "kind", "ptr")

    def __init__(self, id: int, insn_idx: int, kind: str = "ptr", ptr=None):
        self.id = id
        self.insn_idx = insn_idx
        self.kind = kind
        self.ptr = ptr

    def __eq__(self, o) -> bool:
        return isinstance(o, Ref) and (self.id, self.insn_idx, self.kind) == (o.id, o.insn_idx, o.kind)

    def __hash__(self) -> int:
        return hash((self.id, self.kind))


class Frame:
    """One call frame (kernel: bpf_func_state)."""

    __slots__ = ("regs", "stack", "frameno", "callsite", "subprogno", "in_callback_fn",
                 "in_async_callback_fn", "callback_ret_range", "callback_depth",
                 "async_entry_cnt", "stack_arg_regs", "no_stack_arg_load", "cb_pending")

    def __init__(self, frameno: int, callsite: int, subprogno: int):
        regs = self.regs = [NOT_INIT_REG] * MAX_BPF_REG
        # R10 of frame N is always the same register state: one shared (immutable) object
        regs[FP] = _FP_REGS[frameno] if frameno < MAX_CALL_FRAMES else fp_reg(frameno)
        self.stack: list[Slot] = []
        self.frameno = frameno
        self.callsite = callsite
        self.subprogno = subprogno
        self.in_callback_fn = False
        self.in_async_callback_fn = False
        self.callback_ret_range = (0, 0)
        self.callback_depth = 0
        self.async_entry_cnt = 0
        # stack-argument ABI seam: outgoing slot k (1-based) at index k-1
        self.stack_arg_regs: list[Reg] = []
        self.no_stack_arg_load = False
        self.cb_pending = None

    def copy(self) -> "Frame":
        f = Frame.__new__(Frame)
        f.regs = self.regs.copy()
        f.stack = self.stack.copy()
        f.frameno = self.frameno
        f.callsite = self.callsite
        f.subprogno = self.subprogno
        f.in_callback_fn = self.in_callback_fn
        f.in_async_callback_fn = self.in_async_callback_fn
        f.callback_ret_range = self.callback_ret_range
        f.callback_depth = self.callback_depth
        f.async_entry_cnt = self.async_entry_cnt
        f.stack_arg_regs = self.stack_arg_regs.copy()
        f.no_stack_arg_load = self.no_stack_arg_load
        f.cb_pending = self.cb_pending
        return f

    @property
    def allocated_stack(self) -> int:
        return len(self.stack) * BPF_REG_SIZE

    def grow_stack(self, size: int) -> None:
        """kernel: grow_stack_state - allocate slots down to fp-size."""
        n = (size + BPF_REG_SIZE - 1) // BPF_REG_SIZE
        if n > len(self.stack):
            self.stack.extend([EMPTY_SLOT] * (n - len(self.stack)))

    def slot(self, spi: int) -> Slot:
        return self.stack[spi] if spi < len(self.stack) else EMPTY_SLOT


class HistEntry:
    """A jump-history record (kernel: bpf_jmp_history_entry): insn ``idx`` was
    reached from ``prev_idx``; ``flags`` carry stack-access info for precision
    backtracking (frame number and slot of a spill/fill)."""
    __slots__ = ("idx", "prev_idx", "flags", "linked_regs")

    def __init__(self, idx: int, prev_idx: int, flags: int = 0, linked_regs=None):
        self.idx = idx
        self.prev_idx = prev_idx
        self.flags = flags
        self.linked_regs = linked_regs


# jump-history flags (kernel: INSN_F_*)
INSN_F_FRAMENO_MASK = 0x7
INSN_F_SPI_MASK = 0x3F
INSN_F_SPI_SHIFT = 3
INSN_F_STACK_ACCESS = 1 << 9


class State:
    """A whole verifier state: the frames of one path (kernel: bpf_verifier_state)."""

    __slots__ = ("frames", "curframe", "refs", "parent", "branches", "insn_idx",
                 "first_insn_idx", "last_insn_idx", "jmp_history", "dfs_depth",
                 "callback_unroll_depth", "may_goto_depth", "loop_entry", "cleaned",
                 "active_rcu_lock", "active_preempt_locks", "active_locks", "in_sleepable",
                 "equal_state", "scc_key")

    def __init__(self):
        self.frames: list[Frame] = []
        self.curframe = 0
        self.refs: list[Ref] = []
        self.parent: State | None = None
        self.branches = 1
        self.insn_idx = 0
        self.first_insn_idx = 0
        self.last_insn_idx = -1
        self.jmp_history: list[HistEntry] = []
        self.dfs_depth = 0
        self.callback_unroll_depth = 0
        self.may_goto_depth = 0
        self.loop_entry = None
        self.cleaned = False
        self.active_rcu_lock = 0
        self.active_preempt_locks = 0
        self.active_locks = 0
        self.in_sleepable = False
        self.equal_state = None
        self.scc_key = None

    def copy(self) -> "State":
        """kernel: copy_verifier_state (parent/branches are the caller's business)."""
        s = State.__new__(State)
        frames = self.frames
        # (one frame, the common case, without the comprehension's call)
        s.frames = [frames[0].copy()] if len(frames) == 1 else [f.copy() for f in frames]
        s.curframe = self.curframe
        s.refs = self.refs.copy()
        s.parent = self.parent
        s.branches = self.branches
        s.insn_idx = self.insn_idx
        s.first_insn_idx = self.first_insn_idx
        s.last_insn_idx = self.last_insn_idx
        s.jmp_history = self.jmp_history.copy()
        s.dfs_depth = self.dfs_depth
        s.callback_unroll_depth = self.callback_unroll_depth
        s.may_goto_depth = self.may_goto_depth
        s.loop_entry = self.loop_entry
        s.cleaned = self.cleaned
        s.active_rcu_lock = self.active_rcu_lock
        s.active_preempt_locks = self.active_preempt_locks
        s.active_locks = self.active_locks
        s.in_sleepable = self.in_sleepable
        s.equal_state = self.equal_state
        s.scc_key = self.scc_key
        return s

    @property
    def cur(self) -> Frame:
        return self.frames[self.curframe]

    @property
    def regs(self) -> list[Reg]:
        return self.frames[self.curframe].regs


def const_scalar(v: int) -> Scalar:
    return Scalar.const(v)
