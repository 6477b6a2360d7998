"""``python -m pipeline build FILE.c``: compile C for BPF, stack arguments included.

Calls :func:`pipeline.build` and prints the compiler and the path taken (native / lowered),
then every program and the subprograms linked into it with their argument counts and
stack-argument slots as the object's BTF describes them (the numbers a BTF-driven verifier
will use), then the output path.  ``-v`` prints the clang commands run.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..cli_args import add_build_options
from ..errors import BAD_INPUT, UserError


def add_parser(subparsers):
    p = subparsers.add_parser("build", help="compile C to a BPF object (stack arguments lowered when needed)",
                              description="Compile C for BPF with clang; functions and kfuncs may take up to "
                                          "12 arguments.")
    p.add_argument("file", metavar="FILE.c")
    p.add_argument("-o", dest="output", metavar="OUT", help="output path (default: FILE.bpf.o, FILE.s, FILE.ll)")
    p.add_argument("--emit", choices=("obj", "asm", "ir"), default="obj")
    p.add_argument("-v", dest="verbose", action="store_true", help="print the clang commands run")
    add_build_options(p)
    return p


_SUFFIX = {"obj": ".bpf.o", "asm": ".s", "ir": ".ll"}


def run(args) -> int:
    from ..api import build, compile
    from ..cli_args import build_options

    src = Path(args.file)
    if not src.is_file():
        raise UserError("io", f"{src}: no such file", str(src), BAD_INPUT)
    if src.suffix != ".c":
        raise UserError("usage", f"{src}: build takes a C source file", str(src), BAD_INPUT)
    out = Path(args.output) if args.output else src.with_name(src.stem + _SUFFIX[args.emit])
    if out.exists() and out.resolve() == src.resolve():
        raise UserError("usage", f"-o {out}: the output would overwrite the source", str(out),
                        BAD_INPUT)
    if out.is_dir():
        raise UserError("usage", f"-o {out}: is a directory", str(out), BAD_INPUT)
    if args.emit == "obj":
        obj = build(src, output=out, **build_options(args))
        result, progs = obj.build_result, [_describe(p) for p in obj.programs]
    else:
        result, progs = compile(src, out, emit=args.emit, **build_options(args)), []
    report = {
        "compiler": {"name": result.compiler.name, "version": result.compiler_version,
                     "command": list(result.compiler.argv)},
        "path": result.path,
        "output": str(out),
        "commands": result.commands,
        "programs": progs,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"compiler: {result.compiler.name} {result.compiler_version or ''} "
          f"({result.path} stack arguments)")
    if args.verbose:
        for line in result.command_lines():
            print("  " + line)
    if result.warnings.strip():
        print(result.warnings.rstrip())
    for prog in report["programs"]:
        print(f"program {prog['name']} (section {prog['section']}): {_args_text(prog)}")
        for sub in prog["subprograms"]:
            print(f"  subprogram {sub['name']}: {_args_text(sub)}")
    print(f"wrote {out}")
    return 0


def _describe(prog) -> dict:
    def one(f) -> dict:
        return {"name": f.name, "args": f.args, "stack_arg_slots": f.stack_arg_slots}
    return {**one(prog.functions[0]), "section": prog.section,
            "subprograms": [one(f) for f in prog.subprograms]}


def _args_text(f: dict) -> str:
    if f["args"] is None:
        return "no BTF prototype"
    return f"{f['args']} args, {f['stack_arg_slots']} stack-arg slots"
