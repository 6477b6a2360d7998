"""``python -m pipeline run FILE [--prog NAME] [--set GLOBAL=VALUE]... [--data HEX|@FILE]
[--engine unicorn|interp|native] [--repeat N] [--timeout SECONDS]
[--prog-array MAP=IDX:PROG]... [--ctx FIELD=VALUE]... [--no-verify] [--json]``.

Load, verify (a rejection is exit 1 with the verifier's message), JIT and run one program
with :func:`pipeline.run`, the way ``BPF_PROG_TEST_RUN`` runs it in the kernel: the context
and packet per program type (:mod:`pipeline.testrun`), maps and globals as regions of the
run (``--set`` writes a global before load, like ``skel->bss->x = v``), helpers by id and
the mock kernel's kfuncs (:mod:`pipeline.kernel`), with the kfunc call trace reported.

Engines: ``unicorn`` runs the JIT's x86-64 image emulated; ``interp`` the reference
interpreter on the same memory layout; ``native`` the JIT's image as machine code in a child
process (x86-64 Linux; verified programs only).  ``--repeat N`` (1..2^32-1, the kernel's
u32) runs N times (maps and globals persist between runs) and reports the last result;
``--timeout SECONDS`` is a wall-clock limit for them all (a runtime error when exceeded;
default 10 s on native and on unicorn for verified programs, none on interp and
``--no-verify`` unicorn, which a 50M-instruction budget per run bounds).  ``--data``
takes at most 64 MiB; maps and inputs of one run together at most 1 GiB (a one-line error
naming the map), allocated only after verification.  ``--prog-array MAP=IDX:PROG`` puts a
program of the object in a prog array's slot (after the object's ``.values``
initialisers), for ``bpf_tail_call``; timers armed by the program fire after it returns.
``--ctx FIELD=VALUE`` sets a ``__sk_buff`` / ``xdp_md`` field as ``BPF_PROG_TEST_RUN``'s
ctx_in does (only the fields the kernel lets user space set; others are refused by name).
``--no-verify`` skips the verifier (an
escape hatch for experiments; the JIT then takes its facts from BTF).

JSON (:func:`pipeline.show.to_json`): ``{"prog", "retval" (u32, as BPF_PROG_TEST_RUN
reports it), "r0" (full 64 bits), "engine", "repeat", "duration_ns", "globals": {name:
value decoded by BTF}, "maps": {name: {"type", "entries": [as bpftool -j map dump]}},
"ringbuf": [{"map", "data"}], "perf_events": [{"map", "cpu", "data"}], "packet" (data_out,
hex, or null), "verifier": {"processed_insns", ...} | {"skipped": true}, "kfunc_calls":
[{"name", "args", "ret"}], "trace": [trace_printk lines]}``.  Runtime faults are
``{"error": {"kind": "runtime", ...}}`` with exit 1.

The default engine is ``native`` on x86-64 Linux hosts for verified programs, ``unicorn``
elsewhere and with ``--no-verify`` (``--engine`` picks any of the three).
"""

from __future__ import annotations

import json
import sys

from .. import show
from ..cli_args import (add_build_options, add_kmod_option, add_load_options, data_arg,
                        kernel_arg, open_file)
from ..errors import BAD_INPUT, UserError
from ..prog_arrays import parse_cli as parse_prog_arrays


def add_parser(subparsers):
    p = subparsers.add_parser("run", help="verify, JIT and run a program (BPF_PROG_TEST_RUN)",
                              description="Load a program, verify it, JIT it to x86-64 and run "
                                          "it on a test packet/context, like BPF_PROG_TEST_RUN.")
    p.add_argument("file", metavar="FILE", help="BPF ELF object, or C source to compile first")
    p.add_argument("--prog", metavar="NAME", help="the program to run (default: the first)")
    p.add_argument("--set", metavar="GLOBAL=VALUE", action="append", default=[],
                   help="set a global variable before the run (integer, or hex:BYTES)")
    p.add_argument("--data", metavar="HEX|@FILE",
                   help="packet (skb/xdp programs) or context bytes; default 64 zero bytes")
    p.add_argument("--engine", choices=("unicorn", "interp", "native"), default=None,
                   help="native: the JIT's x86-64 run in a child process (default on x86-64 "
                        "Linux); unicorn: the JIT's x86-64 emulated (default elsewhere and "
                        "with --no-verify); interp: reference interpreter")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run N times (state persists), report the last")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="wall-clock limit for all N runs (default: 10 s on native and on "
                        "unicorn for verified programs; none on interp and --no-verify "
                        "unicorn, which a 50M-instruction budget per run bounds)")
    p.add_argument("--prog-array", metavar="MAP=IDX:PROG", action="append", default=[],
                   help="put program PROG in slot IDX of prog array MAP (tail calls)")
    p.add_argument("--ctx", metavar="FIELD=VALUE", action="append", default=[],
                   help="set a __sk_buff/xdp_md field as BPF_PROG_TEST_RUN's ctx_in does "
                        "(e.g. mark=7, cb[0]=1; xdp: data=META_LEN)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the verifier (an escape hatch for experiments)")
    add_build_options(p)
    add_load_options(p)
    add_kmod_option(p)
    return p


def _sets_arg(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise UserError("usage", f"--set expects GLOBAL=VALUE, got {item!r}", None, BAD_INPUT)
        out[name.strip()] = value
    return out


def _ctx_arg(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        try:
            if not eq or not name.strip():
                raise ValueError
            out[name.strip()] = int(value.strip(), 0)
        except ValueError:
            raise UserError("usage", f"--ctx expects FIELD=INTEGER, got {item!r}", None,
                            BAD_INPUT) from None
    return out


def run(args) -> int:
    from ..api import run as run_program

    if args.repeat < 1:
        raise UserError("usage", "--repeat must be at least 1", None, BAD_INPUT)
    if args.timeout is not None and not args.timeout > 0:
        raise UserError("usage", "--timeout must be a positive number of seconds", None,
                        BAD_INPUT)
    data, sets, ctx = data_arg(args.data), _sets_arg(args.set), _ctx_arg(args.ctx)
    arrays = parse_prog_arrays(args.prog_array)
    obj = open_file(args)
    prog = obj.program(args.prog)
    out = run_program(obj, prog, data=data, globals=sets, engine=args.engine,
                      repeat=args.repeat, verify=not args.no_verify, kernel=kernel_arg(args),
                      prog_array=arrays, timeout=args.timeout, ctx=ctx)
    v = out.verdict
    vinfo = {"skipped": True} if v is None else {
        "processed_insns": v.processed_insns, "max_states_per_insn": v.max_states_per_insn,
        "total_states": v.total_states, "peak_states": v.peak_states,
        "stack_depth": v.stack_depths}
    if args.json:
        print(json.dumps(show.to_json(out, vinfo)))
        return 0
    sys.stdout.write(show.to_text(out, "verifier: skipped (--no-verify)" if v is None
                                  else f"verifier: accepted, {v.processed_insns} insns processed"))
    return 0
