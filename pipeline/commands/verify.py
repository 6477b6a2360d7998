"""``python -m pipeline verify FILE [--prog NAME] [--log-level 0|1|2] [--stats] [--log-file F]
[--log-size N] [--json]``.

Verifies each program of the object (or the one named) with :func:`pipeline.verify`, as the
kernel's ``BPF_PROG_LOAD`` would after libbpf prepared it (:mod:`pipeline.prog_load`), and
prints the verifier log (streamed to stdout or ``--log-file`` while the verifier runs, as the
kernel writes into the user's log buffer), or with ``--json`` ``{"file", "programs": [{"prog", "accepted",
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
                        "stack depth): log level bit 4")
    p.add_argument("--log-file", metavar="FILE",
                   help="write the log to FILE instead of standard output (streamed: a "
                        "level-2 log of any size is never held in memory)")
    p.add_argument("--log-size", type=int, metavar="BYTES",
                   help="the kernel's log_size: keep only the last BYTES-1 bytes of each log; "
                        "a program whose log needed more fails with ENOSPC, as BPF_PROG_LOAD "
                        "does")
    add_build_options(p)
    add_load_options(p)
    add_kmod_option(p)
    return p


def run(args) -> int:
    from ..api import check_log_options, verify

    level = args.log_level | (4 if args.stats else 0)
    check_log_options(level, args.log_size)      # before any output
    obj = open_file(args)
    progs = programs(obj, args.prog)
    if not progs:
        raise UserError("usage", f"{args.file}: no programs", str(args.file), BAD_INPUT)
    kernel = kernel_arg(args)
    dest = _open_log(args.log_file) if args.log_file else None
    try:
        return _run(args, verify, obj, progs, kernel, level, dest)
    finally:
        if dest is not None:
            dest.close()


def _open_log(path: str):
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as e:
        raise UserError("io", f"{path}: {e.strerror}", path, BAD_INPUT) from None


def _run(args, verify, obj, progs, kernel, level, dest) -> int:
    opts = dict(log_level=level, kernel=kernel, log_size=args.log_size)
    if args.json:
        # the log goes to --log-file as it is produced, or into the JSON
        results = []
        for p in progs:
            if dest is not None and level:
                dest.write(_header(p))
            v = _verify_into(verify, obj, p, dest if level else None, level, opts)
            if dest is not None and level:
                v.log = ""              # it went to the file
            results.append((p, v))
        print(json.dumps({"file": str(args.file),
                          "programs": [dict(_json(p, v), core_relocations=core_json(obj, p))
                                       for p, v in results]}))
        return REJECTED if any(not v.accepted for _, v in results) else 0
    out = sys.stdout
    log = dest if dest is not None else out
    rejected = False
    for prog in progs:
        if len(progs) > 1 or args.log_level:
            log.write(_header(prog))
        if args.log_level:
            log.write(core_lines(obj, prog))
        v = _verify_into(verify, obj, prog, log if level else None, level, opts)
        if v.btf_refused:
            # what libbpf prints when BPF_BTF_LOAD fails and BTF is optional
            out.write(f"note: the kernel refuses the program's BTF ({v.btf_refused});"
                      f" loaded without BTF and func_info\n")
        verdict = "accepted" if v.accepted else f"rejected: {v.error_line}"
        out.write(f"{prog.name}: {verdict}\n")
        rejected |= not v.accepted
    return REJECTED if rejected else 0


def _verify_into(verify, obj, prog, dest, level, opts):
    """Verify, the log going to ``dest``: streamed while the verifier runs at level 2 (a
    log of any size is never held), written after it below level 2 (the kernel may reset
    such a log to 0 until the end, so it is held anyway, and libbpf's rewrite of a failed
    CO-RE relocation's lines applies to it)."""
    if dest is None:
        return verify(obj, prog, **opts)
    if level & 2:
        return verify(obj, prog, log=dest, **opts)
    v = verify(obj, prog, **opts)
    dest.write(v.log)
    return v


def _header(prog) -> str:
    return f"== {prog.name} ({prog.section}, {prog.type or 'unknown'})\n"


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
        "log_true_size": v.log_true_size,
        "btf_refused": v.btf_refused,
    }
