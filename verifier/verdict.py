"""The verifier's answer: accepted or rejected, why, and what later stages need.

:class:`Verdict` is plain data (JSON-friendly via :meth:`Verdict.to_json`):
the verdict, the first error (message, instruction, subprogram), the log
text (empty when it was streamed to a file instead) and its true size, the
statistics the kernel prints (``processed_insns`` is the kernel's
``verified_insns``), and per-subprogram facts the JIT uses: boundaries,
stack depth, stack-argument slot counts, tail-call reachability.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class VerifierErrorInfo:
    message: str                 # the kernel's verdict line, e.g. "R0 !read_ok"
    insn: int | None = None      # instruction being verified when it failed
    subprog: int | None = None   # subprogram index of that instruction
    errno: int = 0


@dataclass
class SubprogFacts:
    index: int
    name: str
    start: int
    end: int                     # one past the last instruction
    stack_depth: int             # bytes of r10 stack used (rounded as the JIT needs)
    is_global: bool = False
    is_callback: bool = False
    is_async_callback: bool = False
    has_tail_call: bool = False
    tail_call_reachable: bool = False
    has_ld_abs: bool = False
    arg_cnt: int = 0
    stack_arg_cnt: int = 0       # incoming stack-argument slots (r11 + 8k)
    out_stack_arg_cnt: int = 0   # outgoing stack-argument slots written (r11 - 8k)
    changes_pkt_data: bool = False


@dataclass
class Verdict:
    accepted: bool
    error: VerifierErrorInfo | None = None
    log: str = ""
    processed_insns: int = 0
    max_states_per_insn: int = 0
    total_states: int = 0
    peak_states: int = 0
    mark_read: int = 0
    subprogs: list[SubprogFacts] = field(default_factory=list)
    seen_insns: list[bool] = field(default_factory=list)   # insns reached by verification
    tail_call_maps: dict[int, str] = field(default_factory=dict)  # call insn -> map name
    kfunc_calls: dict[int, dict] = field(default_factory=dict)    # call insn -> kfunc model
    verify_time_s: float = 0.0          # wall time of verify(), seconds
    # the kernel's log_true_size: bytes the whole log needed, terminating NUL included (0
    # at log level 0); above log_size the load fails with ENOSPC, ``log`` holding the tail
    log_true_size: int = 0
    internal_error: str | None = None   # traceback of a verifier bug (the verdict is "rejected")
    # the kernel's BPF_BTF_LOAD message when it refuses the program's BTF (a FUNC with an
    # unnamed parameter: "[12] FUNC f type_id=11 Invalid arg#1"); the program was then
    # verified without BTF, func_info and line_info, as libbpf loads it
    btf_refused: str | None = None

    @property
    def time_ns(self) -> int:
        """The same time in integer nanoseconds: the unit of the kernel's
        ``verification time`` line (printed there in usec)."""
        return round(self.verify_time_s * 1e9)

    @property
    def usec_per_insn(self) -> float:
        """Verification time per processed instruction, in microseconds."""
        return self.verify_time_s * 1e6 / self.processed_insns if self.processed_insns else 0.0

    @property
    def error_line(self) -> str:
        return self.error.message if self.error else ""

    @property
    def stack_depths(self) -> list[int]:
        return [s.stack_depth for s in self.subprogs]

    def stats_line(self) -> str:
        return (f"processed {self.processed_insns} insns (limit 1000000) max_states_per_insn "
                f"{self.max_states_per_insn} total_states {self.total_states} peak_states "
                f"{self.peak_states} mark_read {self.mark_read}")

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("seen_insns")
        return d
