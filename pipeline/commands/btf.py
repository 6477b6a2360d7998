"""``python -m pipeline btf FILE [--format raw|c]``: dump BTF like ``bpftool btf dump file``.

FILE is a BPF ELF object, a raw BTF blob (e.g. /sys/kernel/btf/vmlinux), or C
source, which is compiled first with the toolchain (stack arguments lowered
when the compiler needs it) into a temporary object.
With ``--json`` the output is bpftool's JSON shape (``{"types": [...]}``) for
raw, or ``{"format": "c", "text": ...}`` for C.
"""

from __future__ import annotations

import json
import sys

from btf.errors import BtfError

from ..cli_args import add_build_options, open_file
from ..errors import UserError


def add_parser(subparsers):
    p = subparsers.add_parser("btf", help="dump the BTF of an object or raw BTF blob",
                              description="Dump BTF like `bpftool btf dump file FILE`.")
    p.add_argument("file", metavar="FILE", help="BPF ELF object, raw BTF blob or C source")
    p.add_argument("--format", choices=("raw", "c"), default="raw",
                   help="raw: bpftool's type listing (default); c: a compilable C header")
    add_build_options(p)
    return p


def run(args) -> int:
    from btf import load
    from btf.dump_json import dump_json
    from btf.dump_raw import dump_raw

    from ..api import BTF_MAGIC, ELF_MAGIC, check_input_file, is_c_source

    if not is_c_source(args.file):
        check_input_file(args.file, (ELF_MAGIC, BTF_MAGIC))   # before reading it whole
    try:
        obj = load(open_file(args).raw_elf.path if is_c_source(args.file) else args.file)
        if args.format == "c":
            from btf.dump_c import dump_c
            text = dump_c(obj.btf)
            payload = {"format": "c", "text": text}
        else:
            text = None if args.json else dump_raw(obj.btf)
            payload = dump_json(obj.btf) if args.json else None
    except BtfError as err:
        msg = err.message if err.message.startswith(str(args.file)) else f"{args.file}: {err.message}"
        if err.location and err.location != str(args.file):
            msg = f"{msg} (at {err.location})"
        raise UserError("btf", msg, err.location) from None
    out = sys.stdout
    try:
        if args.json:
            out.write(json.dumps(payload))
            out.write("\n")
        elif hasattr(out, "buffer"):
            out.flush()
            out.buffer.write(text.encode("utf-8", "surrogateescape"))
        else:
            out.write(text)
        out.flush()
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: not an error of ours; keep
        # Python from complaining again when it flushes stdout at exit
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    return 0
