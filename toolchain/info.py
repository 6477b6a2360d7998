"""``python -m toolchain info [--json] [--refresh]``: which clang builds use, and why.

Prints the chosen compiler and one row per candidate (version, BPF target,
native stack arguments, r11 in the BPF assembler, ``-mcpu`` values, status).
Exit 0 when a usable compiler exists, 2 when none does (the error names each
candidate's problem).
"""

from __future__ import annotations

import json
import os

from .errors import ToolchainError
from .probe import ProbeResult, cache_file, pick, probe_all


def add_parser(sub):
    p = sub.add_parser("info", help="show the candidate compilers and the one builds use")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--refresh", action="store_true", help="probe again, ignoring cached results")
    p.set_defaults(_run=run)
    return p


def run(args) -> int:
    results = probe_all(refresh=args.refresh)
    try:
        chosen, error = pick(results), None
    except ToolchainError as exc:
        chosen, error = None, exc
    if args.json:
        doc = {"chosen": chosen.to_json() if chosen else None,
               "candidates": [r.to_json() for r in results],
               "cache": str(cache_file())}
        if error is not None:
            doc["error"] = {"kind": "toolchain", "message": error.message, "location": None}
        print(json.dumps(doc, indent=1))
    else:
        print(render(results, chosen, error))
    return 0 if chosen else 2


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _status(r: ProbeResult) -> str:
    return f"ok ({r.path})" if r.usable else r.problem or "unusable"


def render(results: list[ProbeResult], chosen: ProbeResult | None,
           error: ToolchainError | None) -> str:
    lines = []
    if chosen:
        c = chosen.compiler
        lines.append(f"chosen: {c.name} = {' '.join(c.argv)} (clang {chosen.version}, "
                     f"{chosen.path} path)")
    else:
        lines.append(f"chosen: none: {error}")
    if os.environ.get("CLANG"):
        lines.append(f"$CLANG: {os.environ['CLANG']}")
    lines.append(f"cache:  {cache_file()}")
    lines.append("")
    head = ("", "name", "version", "bpf", "native", "r11-asm", "cpus", "status")
    rows = [head]
    for r in results:
        rows.append(("*" if r is chosen else "", r.compiler.name, r.version or "?",
                     _yes(r.bpf_target), _yes(r.stack_arg_feature), _yes(r.r11_asm),
                     ",".join(r.mcpus) or "?", _status(r)))
    if len(rows) == 1:
        lines.append("(no candidates: no $CLANG, no clang or clang-NN on PATH, no ziglang)")
    else:
        widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
        for row in rows:
            cells = [cell.ljust(w) for cell, w in zip(row, widths)] + [row[-1]]
            lines.append("  ".join(cells).rstrip())
        lines.append("")
        for r in results:
            lines.append(f"{r.compiler.name}: {' '.join(r.compiler.command())}"
                         + (" (cached)" if r.cached else ""))
    return "\n".join(lines)
