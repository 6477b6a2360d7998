"""``python -m pipeline build FILE.c``: compile C for BPF, stack arguments included.

Calls :func:`pipeline.compile` and prints the compiler and the path taken (native / lowered),
then every program and the subprograms linked into it with their argument counts and
stack-argument slots as the object's BTF describes them (the numbers a BTF-driven verifier
will use), read by the compile's self-check (the object is not parsed again), then the
output path.  ``-v`` prints the clang commands run (or that the build cache had the object).
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
    from .. import compile
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
    result = compile(src, out, emit=args.emit, **build_options(args))
    progs = []
    if args.emit == "obj":
        if result.functions is not None:     # what the self-check read: no second parse
            progs = _programs(result.functions)
        else:                                # not self-checked (r11 in inline asm): open it
            from .. import load
            progs = [_describe(p) for p in load(out).programs]
    report = {
        "compiler": {"name": result.compiler.name, "version": result.compiler_version,
                     "command": list(result.compiler.argv)},
        "path": result.path,
        "output": str(out),
        "commands": result.commands,
        "cached": result.cached,
        "programs": progs,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"compiler: {result.compiler.name} {result.compiler_version or ''} "
          f"({result.path} stack arguments)")
    if args.verbose:
        if result.cached:
            print("  from the build cache (--no-cache compiles again); the commands that made it:")
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


def _programs(functions: list[dict]) -> list[dict]:
    """Programs and the subprograms linked into each, from the compile's self-check: every
    function outside ``.text`` is a program; its subprograms are the ``.text`` functions it
    calls or takes the address of, depth first in instruction order, each once (libbpf's
    bpf_object__reloc_code, as pipeline.linker links them)."""
    text = {f["name"]: f for f in functions if f["section"] == ".text"}

    def one(f) -> dict:
        return {"name": f["name"], "args": f["args"], "stack_arg_slots": f["stack_arg_slots"]}
    out = []
    for prog in functions:
        if prog["section"] == ".text":
            continue
        placed: list[dict] = []
        seen: set[str] = set()
        stack = [iter(prog["refs"])]
        while stack:                          # iterative: call chains may be deep
            name = next(stack[-1], None)
            if name is None:
                stack.pop()
            elif name in text and name not in seen:
                seen.add(name)
                placed.append(one(text[name]))
                stack.append(iter(text[name]["refs"]))
        out.append({**one(prog), "section": prog["section"], "subprograms": placed})
    return out


def _describe(prog) -> dict:
    def one(f) -> dict:
        return {"name": f.name, "args": f.args, "stack_arg_slots": f.stack_arg_slots}
    return {**one(prog.functions[0]), "section": prog.section,
            "subprograms": [one(f) for f in prog.subprograms]}


def _args_text(f: dict) -> str:
    if f["args"] is None:
        return "no BTF prototype"
    return f"{f['args']} args, {f['stack_arg_slots']} stack-arg slots"
