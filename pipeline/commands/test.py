"""``python -m pipeline test FILE... [--json] [-v]``: kernel selftest annotations, judged.

Each FILE (annotated BPF C, or an object built from it) is run through
:class:`pipeline.selftest.Runner` with the kernel test_loader's semantics (``__success``,
``__failure``, ``__msg`` in order with ``{{regex}}`` parts, ``__retval`` on 64 zero bytes,
``__log_level``, ``__flag``, ``__btf_func_path``).  Prints one ``PASS|FAIL|SKIP file:prog
reason`` line per program and ends with the plain line ``N passed, N failed, N skipped``;
``-v`` adds the expected and actual messages and the verifier log tail of each failure.
Exit 1 if any program failed.
"""

from __future__ import annotations

import json
import sys

from ..cli_args import (add_build_options, add_kmod_option, add_load_options, build_options,
                        kernel_arg, load_options)
from ..errors import REJECTED


def add_parser(subparsers):
    p = subparsers.add_parser("test", help="judge kernel-selftest annotations (__msg, __retval ...)",
                              description="Verify and run annotated BPF programs as the kernel "
                                          "selftests' test_loader does.")
    p.add_argument("files", nargs="+", metavar="FILE", help="annotated BPF C source or object")
    p.add_argument("-v", dest="verbose", action="store_true",
                   help="show expected/actual and the verifier log tail of failures")
    add_build_options(p)
    add_load_options(p)
    add_kmod_option(p)
    return p


def run(args) -> int:
    from ..selftest import Runner, summary

    runner = Runner(build_options=build_options(args), kernel=kernel_arg(args),
                    load_options=load_options(args))
    outcomes = []
    for f in args.files:
        for o in runner.run_file(f):
            outcomes.append(o)
            if not args.json:
                print(o.line(), flush=True)
                if args.verbose and o.status == "FAIL":
                    for head, text in (("expected", o.expected), ("actual", o.actual),
                                       ("log tail", "\n".join(o.log.splitlines()[-15:]))):
                        if text:
                            print(f"  {head}:")
                            print("\n".join("    " + line for line in text.splitlines()))
    if args.json:
        print(json.dumps({"results": [{"file": o.file, "prog": o.prog, "status": o.status,
                                       "reason": o.reason} for o in outcomes],
                          "summary": summary(outcomes)}))
    else:
        print(summary(outcomes))
    sys.stdout.flush()
    return REJECTED if any(o.status == "FAIL" for o in outcomes) else 0
