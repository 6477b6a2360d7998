"""The verifier environment: everything one verification run shares.

:class:`Env` plays the role of the kernel's ``bpf_verifier_env``: the input,
per-instruction facts (``aux``), subprogram table, the current state, the
stack of pending branches, the explored-states table and the counters that
end up in the ``processed N insns ...`` line.  Checks are plain functions in
the other modules taking ``env`` first; small helpers used everywhere (id
generation, register writes, error raising) live here as methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verifier import regtypes as T
from verifier.errors import EACCES, VerifierError
from verifier.state import BPF_ADD_CONST, MAX_BPF_REG, NOT_INIT_REG, UNKNOWN_SCALAR, Reg, State

BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000
BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192
BPF_MAX_SUBPROGS = 256
BPF_MAX_VAR_OFF = 1 << 29
BPF_MAX_VAR_SIZ = 1 << 29


@dataclass
class Subprog:
    """kernel: bpf_subprog_info, plus what we learn from BTF."""
    start: int
    end: int = 0                   # one past the last insn
    stack_depth: int = 0
    name: str = ""
    linkage: str = "static"        # "static" / "global" (from BTF func_info)
    info: object = None            # btf.funcs.SubprogInfo when BTF is present
    has_tail_call: bool = False
    tail_call_reachable: bool = False
    has_ld_abs: bool = False
    is_cb: bool = False
    is_async_cb: bool = False
    changes_pkt_data: bool = False
    might_sleep: bool = False
    verified: bool = False         # global subprog checked on its own
    called: bool = False
    arg_cnt: int = 0
    stack_arg_cnt: int = 0         # incoming stack-arg slots (from BTF)
    out_stack_arg_cnt: int = 0     # max outgoing slots written (stack-arg issue)
    func_id: int = 0               # BTF FUNC id
    btf_problem: str | None = None  # why btf_prepare_func_args failed (global subprogs)

    @property
    def is_global(self) -> bool:
        return self.linkage == "global"


class InsnAux:
    """Per-instruction facts (kernel: bpf_insn_aux_data), filled in by the
    CFG pass and during verification."""
    __slots__ = ("prune_point", "jmp_point", "force_checkpoint", "calls_callback",
                 "seen", "map_index", "map_off", "map_ptr_state", "map_key_state",
                 "live_regs_before", "scc", "subprog", "ptr_type", "call_imm",
                 "ld_imm_kind", "kfunc", "nospec", "is_iter_next", "loop_inline")

    def __init__(self):
        self.prune_point = False
        self.jmp_point = False
        self.force_checkpoint = False
        self.calls_callback = False
        self.seen = False
        self.map_index = -1
        self.map_off = 0
        self.map_ptr_state = None     # tail call: the prog_array map (or "poison")
        self.map_key_state = None
        self.live_regs_before = 0
        self.scc = 0
        self.subprog = 0
        self.ptr_type = 0
        self.call_imm = 0
        self.ld_imm_kind = None
        self.kfunc = None
        self.nospec = False
        # bpf_loop call: None until first seen, then [fit_for_inline, callback subprog]
        self.loop_inline = None
        self.is_iter_next = False


class Env:
    def __init__(self, inp, log):
        self.inp = inp
        self.insns = inp.insns
        self.n = len(inp.insns)
        self.log = log
        self.aux = [InsnAux() for _ in range(self.n)]
        self.subprogs: list[Subprog] = []
        self.cur: State | None = None
        self.stack: list = []                 # pending branches: (state, insn_idx, prev_idx, log_pos)
        self.explored: dict[int, list] = {}   # insn idx -> list of StateEntry (prune.py)
        self.insn_idx = 0
        self.prev_insn_idx = -1
        self.id_gen = 0
        self.insn_processed = 0
        self.prev_insn_processed = 0
        self.jmps_processed = 0
        self.prev_jmps_processed = 0
        self.total_states = 0
        self.peak_states = 0
        self.explored_states_size = 0
        self.max_states_per_insn = 0
        self.free_list: list = []
        self.prog_type = inp.prog_type
        self.bpf_capable = True
        self.allow_ptr_leaks = True
        self.allow_uninit_stack = True
        self.bypass_spec_v1 = True
        self.bypass_spec_v4 = True
        self.strict_alignment = False
        self.seen_direct_write = False
        self.changes_pkt_data = False
        self.subprog_cnt = 0
        self.cur_subprog = 0
        self.scratched_regs = 0
        self.scratched_stack = 0
        self.prev_linfo = None
        self.linfo = sorted(inp.line_info, key=lambda li: li.insn)
        self.exception_callback_subprog = 0
        self.postorder: list[int] = []
        self.scc_info: dict = {}
        self.callback_subprogs: set[int] = set()
        self.used_maps: list = []
        self.liveness = None                  # liveness.StackLiveness
        self.backedges: dict = {}
        self.num_backedges = 0                # SCC backedge states held (peak_states)
        # BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point
        self.test_state_freq = bool(inp.options.get("test_state_freq"))
        self.hooks = {}
        self.ctx = None                       # ctx.CtxModel for the prog type
        self.tail_call_reachable = False
        self.pass_cnt = 0
        self.in_global_subprog = False

    # --- ids and errors ----------------------------------------------------
    def new_id(self) -> int:
        self.id_gen += 1
        return self.id_gen

    def scalar_id_before_mov(self, r: Reg) -> Reg:
        """kernel: assign_scalar_id_before_mov - before a scalar is copied (mov,
        spill, fill) make sure it has a plain id the copy can share: a delta link
        (r = base + off) is dropped, a non-constant scalar without id gets one."""
        if r.type != T.SCALAR:
            return r
        if r.id & BPF_ADD_CONST:
            r = r.with_(id=0, off=0)
        if not r.id and r.s.var_off.mask != 0:
            r = r.with_(id=self.new_id())
        return r

    @staticmethod
    def error(msg: str, errno: int = EACCES, *pre: str) -> VerifierError:
        return VerifierError(msg, errno, pre)

    # --- register access -----------------------------------------------------
    @property
    def regs(self) -> list[Reg]:
        st = self.cur
        return st.frames[st.curframe].regs

    @property
    def frame(self):
        st = self.cur
        return st.frames[st.curframe]

    def reg(self, regno: int) -> Reg:
        st = self.cur
        return st.frames[st.curframe].regs[regno]

    def set_reg(self, regno: int, r: Reg) -> None:
        st = self.cur
        st.frames[st.curframe].regs[regno] = r

    def mark_unknown(self, regno: int) -> None:
        st = self.cur
        st.frames[st.curframe].regs[regno] = UNKNOWN_SCALAR

    def mark_not_init(self, regno: int) -> None:
        st = self.cur
        st.frames[st.curframe].regs[regno] = NOT_INIT_REG

    def scratch_reg(self, regno: int) -> None:
        self.scratched_regs |= 1 << regno

    def scratch_stack(self, spi: int) -> None:
        self.scratched_stack |= 1 << spi

    def func_of(self, reg: Reg):
        """The frame a PTR_TO_STACK register points into (kernel: func())."""
        return self.cur.frames[reg.frameno]

    def subprog_of(self, insn_idx: int) -> int:
        """Index of the subprogram containing ``insn_idx``."""
        lo, hi = 0, len(self.subprogs) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.subprogs[mid].start <= insn_idx:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # --- misc ----------------------------------------------------------------
    def is_pointer_value(self, regno: int) -> bool:
        """kernel: is_pointer_value - a pointer we may not leak.  Privileged
        loads (this verifier's mode) may leak pointers."""
        return False if self.allow_ptr_leaks else self.reg(regno).is_pointer


def check_reg_arg_src(env: Env, regno: int) -> Reg:
    """kernel: check_reg_arg(..., SRC_OP)."""
    if regno >= MAX_BPF_REG:
        raise VerifierError(f"R{regno} is invalid", 22)
    env.scratched_regs |= 1 << regno
    r = env.reg(regno)
    if r.type == T.NOT_INIT:
        raise VerifierError(f"R{regno} !read_ok")
    return r


def check_reg_arg_dst(env: Env, regno: int, mark: bool = True) -> None:
    """kernel: check_reg_arg(..., DST_OP / DST_OP_NO_MARK)."""
    if regno >= MAX_BPF_REG:
        raise VerifierError(f"R{regno} is invalid", 22)
    env.scratched_regs |= 1 << regno
    if regno == 10:
        raise VerifierError("frame pointer is read only")
    if mark:
        env.mark_unknown(regno)
