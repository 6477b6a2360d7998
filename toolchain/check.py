"""``python -m toolchain check``: the toolchain regression checks (DESIGN §4, issue 3).

For every corpus file (``toolchain/checks/*.c`` unless files are named) and every
requested optimisation level, compile with our driver (:func:`toolchain.driver.compile_c`)
and run the static object checks of :mod:`toolchain.objcheck` on the result: it
compiles; every r11 access has one of the three legal shapes; every call site
stores exactly the slots its callee's BTF prototype needs, per path; incoming r11
loads precede any call or r11 store; no function loads beyond its own prototype.
A named ``.o`` file is checked as it is (its -O column reads ``-``).

One row per (file, -O) case, then the plain line ``N passed, N failed``; exit 0 if
all passed, 1 if any failed, 2 for a bad invocation (unknown -O level, missing
file, unusable compiler). ``--json`` prints one JSON object instead.

Layering: this orchestration command is the one place in ``toolchain`` that reaches
a later stage: :mod:`toolchain.objcheck` imports ``btf`` lazily (inside functions)
for prototypes.  Apart from the driver's self-check (which runs the same checker on
every object it writes), the rest of ``toolchain`` never imports ``btf``, and nothing here
imports ``pipeline``; running the objects is the tests' job
(``tests/toolchain/test_checks_run.py``).

Cases run in worker processes (``-j``); llvmlite, which the lowering uses, is
not safe to share between threads.
"""

from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .discovery import Compiler, from_env, ziglang_compiler
from .driver import OPT_LEVELS, CompileOptions, compile_c
from .errors import CompileError, ToolchainError
from .probe import ProbeResult, choose, probe_cached

CORPUS = Path(__file__).resolve().parent / "checks"
DEFAULT_OPTS = ("0", "1", "2", "s")


def add_parser(sub):
    p = sub.add_parser("check", help="compile the regression corpus and check the objects",
                       description="Compile C files (default: the toolchain/checks corpus) at each "
                                   "-O level and check the BPF objects against the stack-argument "
                                   "ABI; .o files are checked as they are.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="C sources or BPF objects (default: every toolchain/checks/*.c)")
    p.add_argument("--clang", metavar="PATH",
                   help="compiler to use: a path, a name on PATH, a command with arguments, or "
                        "'ziglang' (default: the one `python -m toolchain info` chooses)")
    p.add_argument("-O", dest="opts", metavar="LIST", default=",".join(DEFAULT_OPTS),
                   help="comma-separated optimisation levels (default: 0,1,2,s)")
    p.add_argument("--mcpu", default="v3", help="BPF CPU version (default: v3)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="parallel compiles (default: number of CPUs)")
    p.add_argument("--keep", metavar="DIR",
                   help="keep the objects as DIR/<name>.O<level>.o (created if missing)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(_run=run)
    return p


# ------------------------------------------------------------------ arguments

def parse_opts(text: str) -> list[str]:
    """``"0,1,2,s"`` / ``"-O2,Os"`` -> ``["0", "1", "2", "s"]``; ToolchainError if bad."""
    levels: list[str] = []
    for item in text.split(","):
        item = item.strip()
        level = item[2:] if item.startswith("-O") else item[1:] if item.startswith("O") else item
        if level not in OPT_LEVELS:
            raise ToolchainError(f"invalid optimisation level {item!r} in -O {text!r} "
                                 f"(use a comma-separated list of {', '.join(OPT_LEVELS)})")
        if level not in levels:
            levels.append(level)
    return levels


def compiler_from_arg(value: str) -> Compiler:
    """``--clang``: 'ziglang', the zig binary itself, or anything ``$CLANG`` accepts."""
    zig = ziglang_compiler()
    if value == "ziglang":
        if zig is None:
            raise ToolchainError("--clang ziglang: the ziglang package is not installed")
        return zig
    c = from_env(value)
    if c is None:
        raise ToolchainError(f"--clang {value}: no such compiler")
    # `zig` alone is not a clang: it needs its `clang` subcommand and resource dir
    if zig is not None and len(c.argv) == 1 and c.binary == zig.binary:
        return zig
    return Compiler(os.path.basename(c.argv[0]), c.argv, c.binary, "--clang")


def _inputs(files: list[str]) -> list[Path]:
    if not files:
        found = sorted(CORPUS.glob("*.c"))
        if not found:
            raise ToolchainError(f"no corpus files in {CORPUS}")
        return found
    paths = []
    for f in files:
        p = Path(f)
        if not p.is_file():
            raise ToolchainError(f"cannot read {f}: no such file")
        if p.suffix not in (".c", ".o"):
            raise ToolchainError(f"{f}: expected a .c source or a .o object")
        paths.append(p)
    return paths


# ------------------------------------------------------------------ one case

def _summary(report) -> dict:
    funcs = report.functions
    return {"functions": len(funcs),
            "calls": sum(len(f.calls) for f in funcs),
            "stack_arg_calls": sum(1 for f in funcs for c in f.calls if c.slots),
            "r11_stores": sum(f.r11_stores for f in funcs),
            "r11_loads": sum(f.r11_loads for f in funcs)}


def check_object(path: Path, file: str, opt: str) -> dict:
    from .objcheck import check_file

    report = check_file(path)
    return {"file": file, "opt": opt, "ok": report.ok, "object": str(path),
            "findings": [str(f) for f in report.findings], "stats": _summary(report),
            "report": report.to_json()}


def run_case(src: Path, opt: str, probe: ProbeResult, mcpu: str, outdir: str) -> dict:
    """Compile one file at one level and check it; never raises for the case's own failures."""
    out = Path(outdir) / f"{src.stem}.O{opt}.o"
    try:
        # self_check off: the same objcheck runs below and reports findings as rows
        compile_c(src, out, CompileOptions(opt_level=opt, mcpu=mcpu, self_check=False), compiler=probe)
    except (CompileError, ToolchainError) as exc:
        return _failed(src.name, opt, "compile", exc)
    except Exception as exc:  # noqa: BLE001 - a crash in the lowering is this case's failure
        return _failed(src.name, opt, "internal", exc, with_type=True)
    try:
        return check_object(out, src.name, opt)
    except Exception as exc:  # noqa: BLE001 - objcheck should never raise; if it does, say where
        return _failed(src.name, opt, "internal", exc, with_type=True)


def _failed(file: str, opt: str, rule: str, exc: Exception, with_type: bool = False) -> dict:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if with_type or not first:
        first = f"{type(exc).__name__}: {first}".rstrip(": ")
    return {"file": file, "opt": opt, "ok": False, "object": None,
            "findings": [f"[{rule}] {first}"], "stats": {}, "report": None}


# ------------------------------------------------------------------ the command

def run_checks(inputs: list[Path], opts: list[str], probe: ProbeResult, mcpu: str,
               jobs: int, outdir: str) -> list[dict]:
    cases: list[dict] = []
    compile_jobs = [(src, opt) for src in inputs if src.suffix == ".c" for opt in opts]
    if jobs > 1 and len(compile_jobs) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_case, src, opt, probe, mcpu, outdir)
                       for src, opt in compile_jobs]
            done = {(src, opt): fut.result() for (src, opt), fut in zip(compile_jobs, futures)}
    else:
        done = {(src, opt): run_case(src, opt, probe, mcpu, outdir) for src, opt in compile_jobs}
    for src in inputs:
        if src.suffix == ".o":
            try:
                cases.append(check_object(src, src.name, "-"))
            except Exception as exc:  # noqa: BLE001
                cases.append(_failed(src.name, "-", "internal", exc, with_type=True))
        else:
            cases.extend(done[(src, opt)] for opt in opts)
    return cases


def _row(case: dict, width: int) -> list[str]:
    opt = "-" if case["opt"] == "-" else f"-O{case['opt']}"
    head = f"{'PASS' if case['ok'] else 'FAIL'}  {case['file']:<{width}}  {opt:<4}"
    if case["ok"]:
        s = case["stats"]
        return [f"{head}  {s['functions']} funcs, {s['calls']} calls "
                f"({s['stack_arg_calls']} with stack args), {s['r11_stores']} r11 stores, "
                f"{s['r11_loads']} r11 loads"]
    lines = [f"{head}  {len(case['findings'])} finding(s)"]
    lines += [f"      {f}" for f in case["findings"]]
    return lines


def run(args) -> int:
    opts = parse_opts(args.opts)
    inputs = _inputs(args.files)
    if args.jobs < 1:
        raise ToolchainError(f"-j {args.jobs}: need at least one job")
    needs_compiler = any(p.suffix == ".c" for p in inputs)
    probe = None
    if needs_compiler:
        if args.clang:
            probe = probe_cached(compiler_from_arg(args.clang))
            if not probe.usable:
                raise ToolchainError(f"{probe.compiler.name} cannot compile BPF: {probe.problem}")
        else:
            probe = choose()
        if probe.mcpus and args.mcpu not in probe.mcpus:
            raise ToolchainError(f"-mcpu={args.mcpu} is not supported by {probe.compiler.name} "
                                 f"(supported: {', '.join(probe.mcpus)})")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        cases = run_checks(inputs, opts, probe, args.mcpu, args.jobs, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="stackargs-check-") as tmp:
            cases = run_checks(inputs, opts, probe, args.mcpu, args.jobs, tmp)
    passed = sum(1 for c in cases if c["ok"])
    failed = len(cases) - passed
    if args.json:
        doc = {"compiler": probe.compiler.to_json() if probe else None,
               "compiler_version": probe.version if probe else None,
               "path": probe.path if probe else None,
               "opts": opts, "cases": cases, "passed": passed, "failed": failed}
        if not args.keep:
            for c in doc["cases"]:
                c["object"] = None           # the temporary directory is gone
        print(json.dumps(doc, indent=1))
    else:
        if probe:
            print(f"compiler: {probe.compiler.name} (clang {probe.version}, {probe.path} path)")
        width = max(len(c["file"]) for c in cases) if cases else 0
        for c in cases:
            print("\n".join(_row(c, width)))
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
