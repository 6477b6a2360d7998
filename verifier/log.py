"""The verifier log: kernel-style text at level 1 and 2.

Level 1 holds the trace of the path being explored (``0: R1=ctx() R10=fp0``,
``3: (07) r2 += -4                      ; R2=fp-4``, ``N: safe``), reset away
when the path verifies, so what stays is the failing path, the error (with the
lines that lead up to it, e.g. ``arg#0 expects pointer to ctx``), notes such as
``Func#1 ('f') is safe for any args that match its prototype``, and the
statistics trailer::

    processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0

Level 2 keeps the trace of every path and adds ``from 6 to 9: ...`` states,
``caller:``/``callee:`` blocks and ``mark_precise:`` lines.
Register and stack printing follows kernel/bpf/log.c (print_reg_state,
print_verifier_state); instructions are printed by :mod:`isa.disasm`.

:class:`Log` is struct bpf_verifier_log: the text goes to a stream as soon as no
reset can reach it (a level-2 log of any size is never held whole), or into the
kernel's rotating ``log_size`` buffer (ENOSPC, ``log_true_size``).
"""

from __future__ import annotations

from isa.ints import s64, u64
from verifier import regtypes as T
from verifier.scalar_fmt import format_scalar_ranges
from verifier.state import (BPF_ADD_CONST, BPF_REG_SIZE, MAX_BPF_REG, STACK_DYNPTR, STACK_INVALID, STACK_ITER,
                            STACK_SPILL, Frame, Reg, State)
from verifier.tnum import tnum_strn

BPF_LOG_MIN_ALIGNMENT = 8
BPF_LOG_ALIGNMENT = 40


def _snum(v: int) -> str:
    """kernel: verbose_snum."""
    v = u64(v)
    sv = s64(v)
    return str(sv) if -0x8000 <= sv <= 0x7FFF else "0x%x" % v


def _unum(v: int) -> str:
    return str(v) if v <= 0xFFFF else "0x%x" % v


def format_reg(frameno: int, reg: Reg) -> str:
    """kernel: print_reg_state (the text after ``R1=``)."""
    t = reg.type
    s = reg.s
    out = []
    if t == T.SCALAR and reg.precise:
        out.append("P")
    if t == T.SCALAR and s.var_off.mask == 0:
        out.append(_snum(s.var_off.value))
        return "".join(out)
    out.append(T.type_str(t))
    if t == T.PTR_TO_ARENA:
        return "".join(out)
    if t == T.PTR_TO_STACK:
        if frameno != reg.frameno:
            out.append(f"[{reg.frameno}]")
        if s.var_off.mask == 0:
            out.append(_snum(s.var_off.value + reg.off))
            return "".join(out)
    if T.base(t) == T.PTR_TO_BTF_ID:
        out.append(reg.btf_name)
    items = []
    if reg.id:
        items.append("id=%d" % (reg.id & ~BPF_ADD_CONST))
    if reg.id & BPF_ADD_CONST:
        items[-1] += "%+d" % reg.off
    if reg.ref_obj_id:
        items.append("ref_obj_id=%d" % reg.ref_obj_id)
    if T.is_map_ptr(t) and reg.map is not None:
        if reg.map.name:
            items.append("map=%s" % reg.map.name[:15])
        items.append("ks=%d,vs=%d" % (reg.map.key_size, reg.map.value_size))
    if t != T.SCALAR and reg.off:
        items.append("off=" + _snum(reg.off))
    if T.is_pkt_pointer(t):
        items.append("r=" + _unum(reg.range & 0xFFFFFFFFFFFFFFFF if reg.range < 0 else reg.range))   # int range: sign-extended
    if T.base(t) == T.PTR_TO_MEM:
        items.append("sz=" + _unum(reg.mem_size))
    if s.var_off.mask == 0:
        if s.var_off.value:
            items.append("imm=" + _snum(s.var_off.value))
    else:
        items += format_scalar_ranges(s)
        if s.var_off.mask != (1 << 64) - 1 or s.var_off.value:
            items.append("var_off=" + tnum_strn(s.var_off))
    out.append("(" + ",".join(items) + ")")
    return "".join(out)


_ITER_STATES = {1: "active", 2: "drained"}


def _dynptr_text(r: Reg) -> str:
    items = []
    if r.id:
        items.append("id=%d" % r.id)
    if r.ref_obj_id:
        items.append("ref_id=%d" % r.ref_obj_id)
    return "dynptr_%s(%s)" % (r.btf_name or "local", ",".join(items))


def format_frame(state: State, frameno: int, print_all: bool = True, regs_mask: int = -1,
                 stack_mask: int = -1) -> str:
    """kernel: print_verifier_state (without the trailing newline)."""
    f: Frame = state.frames[frameno]
    parts = []
    if f.frameno:
        parts.append(" frame%d:" % f.frameno)
    for i in range(MAX_BPF_REG):
        r = f.regs[i]
        if r.type == T.NOT_INIT:
            continue
        if not print_all and not (regs_mask >> i) & 1:
            continue
        parts.append(" R%d=%s" % (i, format_reg(f.frameno, r)))
    stack = f.stack
    spi = -1
    while spi + 1 < len(stack):
        spi += 1
        slot = stack[spi]
        if not print_all and not (stack_mask >> spi) & 1:
            continue
        types = slot.types
        if all(t == STACK_INVALID for t in types):
            continue
        last = types[BPF_REG_SIZE - 1]
        if last == STACK_SPILL:
            j = 0
            while j < BPF_REG_SIZE and types[j] != STACK_SPILL:
                j += 1
            off = (-spi - 1) * BPF_REG_SIZE
            parts.append(" fp%d=%s%s" % (off, slot.type_chars()[:j],
                                         format_reg(f.frameno, slot.spilled)))
        elif last == STACK_DYNPTR:
            # a dynptr spans two slots; it prints once, from its deeper (main) slot
            spi = min(spi + 1, len(stack) - 1)
            parts.append(" fp%d=%s" % ((-spi - 1) * BPF_REG_SIZE,
                                       _dynptr_text(stack[spi].spilled)))
        elif last == STACK_ITER:
            it = slot.spilled
            if not it.ref_obj_id:      # only an iterator's first slot holds its reference
                continue
            name = it.btf_name or ""
            name = name[len("bpf_iter_"):] if name.startswith("bpf_iter_") else name
            state_name = _ITER_STATES.get(it.range, "<invalid>")
            parts.append(" fp%d=iter_%s(ref_id=%d,state=%s,depth=%d)"
                         % ((-spi - 1) * BPF_REG_SIZE, name, it.ref_obj_id, state_name,
                            it.mem_size))
        else:
            parts.append(" fp%d=%s" % ((-spi - 1) * BPF_REG_SIZE, slot.type_chars()))
    if state.refs:
        parts.append(" refs=" + ",".join(str(r.id) for r in state.refs))
    if f.in_callback_fn:
        parts.append(" cb")
    if f.in_async_callback_fn:
        parts.append(" async_cb")
    return "".join(parts)


def vlog_alignment(pos: int) -> int:
    m = max(pos + BPF_LOG_MIN_ALIGNMENT // 2, BPF_LOG_ALIGNMENT)
    return ((m + BPF_LOG_MIN_ALIGNMENT - 1) // BPF_LOG_MIN_ALIGNMENT) * BPF_LOG_MIN_ALIGNMENT - pos - 1


BPF_LOG_LEVEL1 = 1
BPF_LOG_LEVEL2 = 2
BPF_LOG_STATS = 4
BPF_LOG_MASK = BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS
LOG_SIZE_MAX = 0xFFFFFFFF >> 2          # kernel: bpf_verifier_log_attr_valid

_CHUNK = 1 << 20                        # bytes held before a flush is tried
_NEVER = float("inf")                   # flush_at of a log kept whole


def _blen(text: str) -> int:
    """Bytes of ``text`` as the kernel counts them (UTF-8)."""
    return len(text) if text.isascii() else len(text.encode())


def check_log_attrs(level: int, log_size: int | None) -> str | None:
    """What the kernel's bpf_vlog_init refuses with EINVAL (None when valid): a log level
    outside BPF_LOG_MASK, a buffer size without a level, a size of 0 or above UINT_MAX >> 2."""
    if level & ~BPF_LOG_MASK or level < 0:
        return f"log_level {level}: not a combination of 1, 2 and 4 (BPF_LOG_STATS)"
    if log_size is not None:
        if not level:
            return "log_size needs a log_level"
        if not 0 < log_size <= LOG_SIZE_MAX:
            return f"log_size {log_size}: must be 1..{LOG_SIZE_MAX}"
    return None


class Log:
    """The verifier log (kernel: struct bpf_verifier_log), with the kernel's
    reset-to-position semantics: positions are byte offsets (``end_pos``), and
    below level 2 the log is reset to a pushed branch's position when the branch is
    popped, and to 0 when a function verified (bpf_vlog_reset), dropping the trace of
    what verified fine.

    Where the text goes:

    * no ``sink``, no ``log_size``: kept whole, :meth:`finish` returns it;
    * ``sink`` (a text stream): written there as soon as no reset can reach it, i.e.
      below the lowest position still held (:meth:`hold`: below level 2 the driver
      holds position 0, since the kernel resets the log to 0 after every function
      that verified) and below the last line (which ``amend_last_line`` may still
      change).  At level 2, where nothing is reset, memory stays bounded by one chunk;
    * ``log_size``: the kernel's rotating user buffer (the default since 6.4): only the
      last ``log_size - 1`` bytes survive, :attr:`truncated` (the load fails with
      ENOSPC) when the log ever needed more, :attr:`true_size` is the kernel's
      ``log_true_size``.  The surviving tail goes to the sink (or is returned) at the end.
    """

    __slots__ = ("level", "level2", "stats", "parts", "base", "end", "start", "len_max", "sink",
                 "log_size", "holds", "flush_at")

    def __init__(self, level: int = 1, sink=None, log_size: int | None = None):
        self.level = level
        # plain attributes, not properties: read at every instruction of the walk
        self.level2 = (level & BPF_LOG_LEVEL2) != 0
        self.stats = (level & BPF_LOG_STATS) != 0
        self.parts: list[str] = []      # text not yet flushed, from byte position base
        self.base = 0
        self.end = 0                    # kernel: end_pos
        self.start = 0                  # kernel: start_pos (rotating buffer)
        self.len_max = 0                # kernel: len_max (terminating NUL included)
        self.sink = sink
        self.log_size = log_size
        self.holds: list[int] = []
        self.flush_at = _CHUNK if (sink is not None or log_size) else _NEVER

    def __bool__(self) -> bool:
        return self.level > 0

    def write(self, text: str) -> None:
        if self.level:
            self.parts.append(text)
            self.end += len(text) if text.isascii() else len(text.encode())
            if self.end > self.flush_at:
                self._spill()

    def line(self, text: str) -> None:
        self.write(text + "\n")

    @property
    def pos(self) -> int:
        return self.end

    def _settle(self) -> None:
        """The kernel updates len_max and start_pos at every write; both only grow
        between resets, so doing it here (before a reset, at a spill and at the end)
        gives the same values."""
        if self.end + 1 > self.len_max:
            self.len_max = self.end + 1
        if self.log_size and self.end + 1 - self.log_size > self.start:
            self.start = self.end + 1 - self.log_size

    def reset(self, pos: int) -> None:
        """kernel: bpf_vlog_reset."""
        if pos >= self.end:
            return
        self._settle()
        parts = self.parts
        end = self.end
        last = ""
        while parts and end > pos:
            last = parts.pop()
            end -= _blen(last)
        if end < pos:               # the cut falls inside a part: keep its head
            head = last.encode()[:pos - end].decode(errors="replace")
            parts.append(head)
            end += _blen(head)
        if not parts and end > pos:
            if pos < self.start or self.log_size:
                end = pos           # dropped text lay outside the kept window anyway
            else:
                raise AssertionError(f"verifier log reset to {pos} below flushed {self.base}")
        if not parts:
            self.base = end
        self.end = end
        if self.end < self.start:
            self.start = self.end

    def amend_last_line(self, text: str) -> None:
        """Replace the newline that ends the log by ``text`` (kernel: print_insn_state
        resets the log to ``prev_log_pos - 1`` and prints the state after the insn)."""
        self.reset(self.end - 1)
        self.write(text)

    def last_ends_with_newline(self) -> bool:
        if not self.parts:
            return self.end > 0      # flushed or rotated out: only ever whole lines
        return self.parts[-1].endswith("\n")

    # --- holding and flushing ---------------------------------------------------------

    def hold(self) -> int:
        """The current position, held until :meth:`release`: nothing from it on is
        flushed, so a reset to it stays possible."""
        self.holds.append(self.end)
        return self.end

    def release(self, pos: int) -> None:
        self.holds.remove(pos)

    def _spill(self) -> None:
        parts = self.parts
        if self.log_size:
            self._settle()
            limit = self.start          # bytes below start_pos can never show again
        else:
            limit = self.end - _blen(parts[-1]) if parts else self.end
            if self.holds:
                limit = min(limit, min(self.holds))
        n = 0
        pos = self.base
        while n < len(parts) - 1:
            b = _blen(parts[n])
            if pos + b > limit:
                break
            pos += b
            n += 1
        if n:
            if not self.log_size:
                self.sink.write("".join(parts[:n]))
            del parts[:n]
            self.base = pos
        self.flush_at = self.end + _CHUNK

    @property
    def true_size(self) -> int:
        """kernel: log_true_size (bytes the whole log needed, NUL included)."""
        self._settle()
        return self.len_max if self.level else 0

    @property
    def truncated(self) -> bool:
        """The rotating buffer lost text: the kernel fails the load with ENOSPC."""
        return bool(self.log_size) and self.true_size > self.log_size

    def finish(self) -> str:
        """The log's end: writes what is left to the sink (returns "") or returns the
        whole text (with ``log_size``: the tail the user buffer holds)."""
        self._settle()
        text = "".join(self.parts)
        if self.log_size and self.start > self.base:
            text = text.encode()[self.start - self.base:].decode(errors="replace")
        self.parts = []
        self.base = self.end
        if self.sink is not None:
            if text:
                self.sink.write(text)
            return ""
        return text


# the log of every level-0 run: nothing writes to it (write is a no-op, a reset to 0
# finds nothing to drop) and nothing holds a position at level 0, so it stays as built
LOG0 = Log(0)
