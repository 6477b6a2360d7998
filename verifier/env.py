"""The verifier environment: everything one verification run shares.

:class:`Env` plays the role of the kernel's ``bpf_verifier_env``: the input,
per-instruction facts (``aux``), subprogram table, the current state, the
stack of pending branches, the explored-states table, the kfunc and
stack-argument bookkeeping and the counters that end up in the ``processed N
insns ...`` line.  Every field is declared in :meth:`Env.__init__`.  Checks are plain functions in
the other modules taking ``env`` first; small helpers used everywhere (id
generation, register writes, error raising) live here as methods.
"""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter

from isa.uapi import BPF_F_TEST_STATE_FREQ
from verifier import regtypes as T
from verifier.ctx import MODELS as _CTX_MODELS
from verifier.errors import EACCES, VerifierError
from verifier.liveness import successor_table
from verifier.precision import backtrack_kinds, backtrack_runs
from verifier.state import BPF_ADD_CONST, MAX_BPF_REG, UNKNOWN_SCALAR, Reg, State

BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192
BPF_MAX_SUBPROGS = 256
BPF_MAX_VAR_OFF = 1 << 29
BPF_MAX_VAR_SIZ = 1 << 29
_LINFO_KEY = attrgetter("insn")
_NONE = ()      # the empty value of a list field that is replaced, never appended to


class Subprog:
    """kernel: bpf_subprog_info, plus what we learn from BTF.  Built per subprogram
    of every verification: the fields are class-level defaults, set per subprogram
    when they differ."""
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
    is_exception_cb: bool = False  # named by the main function's exception_callback: tag
    changes_pkt_data: bool = False
    might_sleep: bool = False
    verified: bool = False         # global subprog checked on its own
    called: bool = False
    arg_cnt: int = 0
    stack_arg_cnt: int = 0         # incoming stack-arg slots (from BTF)
    out_stack_arg_cnt: int = 0     # max outgoing slots written (stack-arg issue)
    func_id: int = 0               # BTF FUNC id
    btf_problem: str | None = None  # why btf_prepare_func_args failed (global subprogs)

    def __init__(self, start: int, end: int = 0):
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Subprog(start={self.start}, end={self.end}, name={self.name!r})"

    @property
    def is_global(self) -> bool:
        return self.linkage == "global"


class InsnAux:
    """Per-instruction facts (kernel: bpf_insn_aux_data), filled in by the
    CFG pass and during verification: the facts few instructions have.  ``env.aux`` makes
    one on the first look at an instruction (a defaultdict: most never get one); the
    fields are class-level defaults an instruction overrides when it has them.  The facts
    the walk reads at every instruction are lists on Env instead (``prune_point``,
    ``jmp_point``, ``seen``, ``live_regs_before``): built whole, with no object per
    instruction to make and free."""
    __slots__ = ("__dict__",)

    force_checkpoint = False
    calls_callback = False
    map_index = -1
    map_off = 0
    map_ptr_state = None              # tail call: the prog_array map (or "poison")
    map_key_state = None
    scc = 0
    subprog = 0
    ptr_type = 0
    call_imm = 0
    ld_imm_kind = None
    kfunc = None
    nospec = False
    # bpf_loop call: None until first seen, then [fit_for_inline, callback subprog]
    loop_inline = None
    is_iter_next = False


class _NoFacts(InsnAux):
    """The facts of an insn that has none (``env.aux.get(i, NO_FACTS)``: a read that
    makes no InsnAux); writing to it is a bug."""
    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"NO_FACTS is read-only ({name})")


NO_FACTS = _NoFacts()


class Env:
    """One verification run's shared state.  Every field is declared here;
    ``__slots__`` keeps the other modules from growing new ones."""
    __slots__ = (
        "inp", "insns", "n", "log", "aux", "prune_point", "jmp_point", "seen",
        "live_regs_before", "linfo", "prog_type", "ctx", "insn_limit",
        "test_state_freq", "subprogs", "jmp_insns", "call_insns", "res_insns",
        "ldimm_insns", "_succ", "_postorder", "_postorder_from", "loop_free", "scc_info",
        "_bt_kind", "_bt_runs", "liveness", "cur", "stack", "explored", "free_list", "insn_idx",
        "prev_insn_idx", "cur_hist_ent", "id_gen", "pass_cnt", "seen_direct_write",
        "tail_call_reachable", "insn_processed", "prev_insn_processed", "jmps_processed",
        "prev_jmps_processed", "total_states", "peak_states", "explored_states_size",
        "max_states_per_insn", "num_backedges", "scratched_regs", "scratched_stack",
        "prev_linfo", "prev_log_pos", "prev_insn_print_len", "do_print_state", "call_name",
        "insn_text", "kfunc_descs", "kfunc_by_id", "kfunc_calls", "stack_arg_written",
        "stack_arg_need", "stack_arg_global_in", "internal_error", "graph_cache")

    # privileged load (CAP_BPF + CAP_PERFMON): what the kernel allows then, the same for
    # every run (class constants, not slots: four fields fewer to set per run)
    bpf_capable = True
    allow_ptr_leaks = True
    allow_uninit_stack = True
    strict_alignment = False

    def __init__(self, inp, log):
        # --- the request and what is derived from it once
        self.inp = inp
        self.insns = inp.insns
        self.n = len(inp.insns)
        self.log = log
        n = self.n
        self.aux = defaultdict(InsnAux)         # insn index -> InsnAux, made on first use
        # per insn: a state is looked up / saved there (is_state_visited), a jump-history
        # point, reached by the walk, registers live before it (compute_live_registers)
        self.prune_point = [False] * n
        self.jmp_point = [False] * n
        self.seen = [False] * n
        self.live_regs_before = [0] * n
        # line_info by insn: printed before instructions at log level 1 and 2 only
        self.linfo = sorted(inp.line_info, key=_LINFO_KEY) if log.level & 3 else _NONE
        self.prog_type = inp.prog_type
        self.ctx = _CTX_MODELS.get(inp.prog_type)   # ctx.CtxModel of the prog type (or None)
        self.insn_limit = int(inp.insn_limit)  # processed-instruction budget
        # a checkpoint at every prune point (VerifierInput.test_state_freq, read off the flag)
        self.test_state_freq = inp.prog_flags & BPF_F_TEST_STATE_FREQ != 0
        # --- structure (cfg.py, liveness.py, precision.py)
        # set by cfg.add_subprogs (its lists; the empty tuples only until then, or for a
        # program refused before it): the subprogram table and the instruction indices it
        # files (in order) for the passes after it
        self.subprogs: list[Subprog] = _NONE
        self.jmp_insns: list[int] = _NONE     # JMP/JMP32 class: jumps, calls, exits
        self.call_insns: list[int] = _NONE    # code BPF_JMP|BPF_CALL: helper, bpf-to-bpf, kfunc
        self.res_insns: list[int] = _NONE     # what resolve_pseudo_ldimm64 inspects (LD class...)
        self.ldimm_insns: list[int] = _NONE   # the LD_IMM64s (check_cfg, stack_depth...)
        self._succ: list[tuple] | None = None  # env.succ, once asked for
        self._postorder: list[int] | None = None   # env.postorder, once asked for
        self._postorder_from: tuple | None = None  # (builder, jump edges): cfg_walk
        self.loop_free = False                # every edge of env.succ goes forward (check_cfg)
        self.scc_info: dict = {}
        self._bt_kind: list[int] | None = None     # bt_kind, once asked for
        self._bt_runs: tuple | None = None         # bt_runs, once asked for
        self.liveness = None                  # liveness.StackLiveness
        # --- the walk (core.py, worklist.py, prune.py)
        self.cur: State | None = None
        self.stack: list = []                 # pending branches (worklist.BranchElem)
        self.explored: dict[int, list] = {}   # insn idx -> list of StateEntry (prune.py)
        self.free_list: list = []
        self.insn_idx = 0
        self.prev_insn_idx = -1
        self.cur_hist_ent = None              # jump-history entry of the current insn
        self.id_gen = 0
        self.pass_cnt = 0
        self.seen_direct_write = False
        self.tail_call_reachable = False
        # --- counters behind 'processed N insns ...'
        self.insn_processed = 0
        self.prev_insn_processed = 0
        self.jmps_processed = 0
        self.prev_jmps_processed = 0
        self.total_states = 0
        self.peak_states = 0
        self.explored_states_size = 0
        self.max_states_per_insn = 0
        self.num_backedges = 0                # SCC backedge states held (peak_states)
        # --- the level-2 log
        self.scratched_regs = 0
        self.scratched_stack = 0
        self.prev_linfo = None
        self.prev_log_pos: int | None = None
        self.prev_insn_print_len = 0
        self.do_print_state = False
        # (set by core.py at log level > 0 only: nothing else prints instructions)
        self.call_name = None                 # insn -> kernel name of its call
        self.insn_text = None                 # insn index -> its log text
        # --- kfunc calls (kfunc_call.py)
        self.kfunc_descs: dict = {}           # call insn index -> KfuncDesc
        self.kfunc_by_id: dict = {}           # kernel BTF FUNC id -> KfuncDesc
        self.kfunc_calls: dict[int, dict] = {}    # verified call site -> model (Verdict)
        # --- stack arguments (stack_args.py)
        self.stack_arg_written: dict[int, int] = {}   # subprog -> most slots it writes
        self.stack_arg_need: dict[int, int] = {}      # subprog -> most slots its calls need
        self.stack_arg_global_in: dict[int, list] = {}  # global subprog -> incoming slots
        self.internal_error: str | None = None  # traceback of a verifier bug
        self.graph_cache: dict | None = None  # local_obj.py: records of program-BTF structs, maps

    @property
    def succ(self) -> list[tuple]:
        """liveness.successor_table, per insn: set by check_cfg's depth-first walk, else
        built on first use (a program whose jumps all go forward may never need it)."""
        s = self._succ
        if s is None:
            s = self._succ = successor_table(self, self.ldimm_insns)
        return s

    @succ.setter
    def succ(self, table: list[tuple]) -> None:
        self._succ = table

    @property
    def postorder(self) -> list[int]:
        """cfg_order.compute_postorder: set by check_cfg's depth-first walk, else (a
        program of one function whose jumps all go forward) built on first use from the
        jump edges check_cfg found: most such programs never need it."""
        po = self._postorder
        if po is None:
            if self._postorder_from is None:
                return []                   # check_cfg has not run
            build, edges = self._postorder_from     # cfg_order.postorder_forward
            po = self._postorder = build(self, edges, self.ldimm_insns)
        return po

    @postorder.setter
    def postorder(self, order: list[int]) -> None:
        self._postorder = order

    # --- precision backtracking's per-insn tables: built on first use (most programs
    # never backtrack)
    @property
    def bt_kind(self) -> list[int]:
        """precision.backtrack_kinds, per insn."""
        k = self._bt_kind
        if k is None:
            k = self._bt_kind = backtrack_kinds(self)
        return k

    @property
    def bt_runs(self) -> tuple[list[int], list[int]]:
        """precision.backtrack_runs, per insn."""
        r = self._bt_runs
        if r is None:
            r = self._bt_runs = backtrack_runs(self.insns, self.bt_kind)
        return r

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
    st = env.cur
    r = st.frames[st.curframe].regs[regno]
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
