"""``python -m pipeline verify FILE [--prog NAME] [--log-level 0|1|2] [--json]``.

Verifies each program of the object (or the one named) with :func:`pipeline.verify`, as the
kernel's ``BPF_PROG_LOAD`` would after libbpf prepared it (:mod:`pipeline.prog_load`), and
prints the verifier log, or with ``--json`` ``{"file", "programs": [{"prog", "accepted",
"error", "processed_insns", ...}]}``.  Exit status 1 when any program is rejected.
"""

from __future__ import annotations

import json
import sys

from ..cli_args import (add_build_options, add_kmod_option, add_load_options, kernel_arg,
                        open_file, programs)
from ..errors import BAD_INPUT, REJECTED, UserError


def add_parser(subparsers):
    p = subparsers.add_parser("verify", help="run the BPF verifier on each program",
                              description="Verify the programs of a BPF object (or C source, "
                                          "compiled first) as the Linux verifier would.")
    p.add_argument("file", metavar="FILE", help="BPF ELF object, or C source to compile first")
    p.add_argument("--prog", metavar="NAME", help="only this program (function or section name)")
    p.add_argument("--log-level", type=int, choices=(0, 1, 2), default=1,
                   help="0: verdict only, 1: errors and statistics (default), 2: full trace")
    p.add_argument("--stats", action="store_true",
                   help="also print the kernel's BPF_LOG_STATS lines (verification time, "
                        "stack depth)")
    add_build_options(p)
    add_load_options(p)
    add_kmod_option(p)
    return p


def run(args) -> int:
    from ..api import verify

    obj = open_file(args)
    progs = programs(obj, args.prog)
    if not progs:
        raise UserError("usage", f"{args.file}: no programs", str(args.file), BAD_INPUT)
    kernel = kernel_arg(args)
    results = [(p, verify(obj, p, log_level=args.log_level, kernel=kernel)) for p in progs]
    rejected = any(not v.accepted for _, v in results)
    if args.json:
        print(json.dumps({"file": str(args.file),
                          "programs": [dict(_json(p, v), core_relocations=core_json(obj, p))
                                       for p, v in results]}))
    else:
        for prog, v in results:
            if len(results) > 1 or args.log_level:
                sys.stdout.write(f"== {prog.name} ({prog.section}, {prog.type or 'unknown'})\n")
            log = v.log if args.log_level else ""
            if args.stats:
                log = _with_stats(log, v)
            if args.log_level:
                sys.stdout.write(core_lines(obj, prog))
            sys.stdout.write(log)
            if v.btf_refused:
                # what libbpf prints when BPF_BTF_LOAD fails and BTF is optional
                sys.stdout.write(f"note: the kernel refuses the program's BTF ({v.btf_refused});"
                                 f" loaded without BTF and func_info\n")
            verdict = "accepted" if v.accepted else f"rejected: {v.error_line}"
            sys.stdout.write(f"{prog.name}: {verdict}\n")
    return REJECTED if rejected else 0


def core_lines(obj, prog) -> str:
    """The CO-RE relocations applied to ``prog``, one line each, as libbpf's debug log
    reports them (``relo #N: <kind> local spec => target spec: old -> new``)."""
    out = []
    for at, r in obj.core_relocations.get(prog.name, ()):
        head = f"CO-RE relo #{r.relo_idx} insn {at}: <{r.kind_str}> {r.local}"
        if r.poison:
            out.append(f"{head}: no matching target, insn poisoned\n")
        else:
            to = f" => {r.target}" if r.target else ""
            out.append(f"{head}{to}: {r.orig} -> {r.new}\n")
    return "".join(out)


def core_json(obj, prog) -> list:
    return [{"insn": at, "section": r.section, "relo": r.relo_idx, "kind": r.kind_str,
             "local": r.local, "target": r.target, "orig": r.orig, "new": r.new,
             "poison": r.poison} for at, r in obj.core_relocations.get(prog.name, ())]


def _with_stats(log: str, v) -> str:
    """BPF_LOG_STATS: the kernel prints these two lines just before ``processed ...``."""
    stats = (f"verification time {int(v.verify_time_s * 1e6)} usec\n"
             f"stack depth {'+'.join(str(d) for d in v.stack_depths)}\n")
    head, sep, tail = log.rpartition("processed ")
    return head + stats + sep + tail if sep else log + stats + v.stats_line() + "\n"


def _json(prog, v) -> dict:
    return {
        "prog": prog.name, "section": prog.section, "type": prog.type, "accepted": v.accepted,
        "error": None if v.error is None else {"message": v.error.message, "insn": v.error.insn,
                                               "subprog": v.error.subprog},
        "processed_insns": v.processed_insns, "max_states_per_insn": v.max_states_per_insn,
        "time_ns": int(v.verify_time_s * 1e9),
        "total_states": v.total_states, "peak_states": v.peak_states,
        "stack_depth": v.stack_depths,
        "subprogs": [s.__dict__ for s in v.subprogs],
        "kfunc_calls": {str(k): m for k, m in sorted(v.kfunc_calls.items())}, "log": v.log,
        "btf_refused": v.btf_refused,
    }
