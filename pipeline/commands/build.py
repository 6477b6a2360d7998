"""``python -m pipeline build FILE.c``: compile C for BPF, stack arguments included.

Prints the compiler and the path taken (native / lowered), then every program
and the subprograms linked into it with their argument counts and
stack-argument slots as the object's BTF describes them (the numbers a
BTF-driven verifier will use), then the output path.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import BAD_INPUT, UserError


def add_parser(subparsers):
    p = subparsers.add_parser("build", help="compile C to a BPF object (stack arguments lowered when needed)",
                              description="Compile C for BPF with clang; functions and kfuncs may take up to "
                                          "12 arguments.")
    p.add_argument("file", metavar="FILE.c")
    p.add_argument("-o", dest="output", metavar="OUT", help="output path (default: FILE.bpf.o, FILE.s, FILE.ll)")
    p.add_argument("-O", dest="opt", default="2", metavar="N", help="optimisation level: 0 1 2 3 s z (default 2)")
    p.add_argument("-I", dest="includes", action="append", default=[], metavar="DIR")
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=V]")
    p.add_argument("--mcpu", default="v3", help="BPF CPU version v1..v4 (default v3)")
    p.add_argument("--emit", choices=("obj", "asm", "ir"), default="obj")
    return p


_SUFFIX = {"obj": ".bpf.o", "asm": ".s", "ir": ".ll"}


def run(args) -> int:
    from toolchain.driver import CompileOptions, compile_c

    src = Path(args.file)
    if not src.is_file():
        raise UserError("io", f"{src}: no such file", str(src), BAD_INPUT)
    if src.suffix != ".c":
        raise UserError("usage", f"{src}: build takes a C source file", str(src), BAD_INPUT)
    out = Path(args.output) if args.output else src.with_name(src.stem + _SUFFIX[args.emit])
    opts = CompileOptions(opt_level=args.opt, include_dirs=args.includes, defines=args.defines,
                          mcpu=args.mcpu, emit=args.emit)
    result = compile_c(src, out, opts)
    report = {
        "compiler": {"name": result.compiler.name, "version": result.compiler_version,
                     "command": list(result.compiler.argv)},
        "path": result.path,
        "output": str(out),
        "programs": _programs(out) if args.emit == "obj" else [],
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"compiler: {result.compiler.name} {result.compiler_version or ''} ({result.path} stack arguments)")
    if result.warnings.strip():
        print(result.warnings.rstrip())
    for prog in report["programs"]:
        print(f"program {prog['name']} (section {prog['section']}): {_args_text(prog)}")
        for sub in prog["subprograms"]:
            print(f"  subprogram {sub['name']}: {_args_text(sub)}")
    print(f"wrote {out}")
    return 0


def _args_text(f: dict) -> str:
    if f["args"] is None:
        return "no BTF prototype"
    return f"{f['args']} args, {f['stack_arg_slots']} stack-arg slots"


def _programs(obj_path: Path) -> list[dict]:
    """Programs with their linked subprograms and the argument counts their BTF gives."""
    import btf
    from btf.funcs import subprog_at

    from ..loader import load

    obj = load(obj_path)
    types = btf.load(obj_path) if obj.btf else None

    def describe(name: str, section: str, sec_offset: int) -> dict:
        try:
            info = subprog_at(types.btf, types.ext, section, sec_offset // 8) if types else None
        except btf.BtfError:
            info = None
        return {"name": name, "args": info.arg_cnt if info else None,
                "stack_arg_slots": info.stack_arg_cnt if info else None}

    out = []
    for prog in obj.programs:
        entry = describe(prog.name, prog.section, prog.sec_offset)
        entry["section"] = prog.section
        entry["subprograms"] = [describe(s.name, s.section, s.sec_offset) for s in prog.subprograms]
        out.append(entry)
    return out
