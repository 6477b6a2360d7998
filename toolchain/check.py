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

Then the run stage (DESIGN §4; ``--no-run`` skips it): every compiled case is verified
and run on every engine (``interp``, ``unicorn``, ``native``; ``--engines``) and its
``check_main`` result compared with the same C compiled for the host by a native C
compiler (``--native-cc``; default ``$CC``, gcc, cc, clang, then the ziglang wheel's
``zig cc``) and run as a host program: a case fails, naming the engine with expected vs
actual, when an engine disagrees with the native result, when the verifier rejects the
object, or when an engine errors.  A named ``.o`` has no source: its engines must agree.

Layering: this orchestration command is the one place in ``toolchain`` that reaches
a later stage: :mod:`toolchain.objcheck` imports ``btf`` lazily (inside functions)
for prototypes.  Apart from the driver's self-check (which runs the same checker on
every object it writes), the rest of ``toolchain`` never imports ``btf``, and nothing here
imports ``pipeline``.  The run stage is found at run time through the
``stackargs.check_runners`` entry point group (the pipeline package registers
:mod:`pipeline.corpus_run`; see its docstring for the runner protocol: plain data only);
without one installed the check says so and runs the static checks alone.

Cases run in worker processes (``-j``); llvmlite, which the lowering uses, is
not safe to share between threads.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .discovery import Compiler, from_env, ziglang_compiler
from .driver import OPT_LEVELS, CompileOptions, compile_c
from .errors import CompileError, ToolchainError
from .probe import ProbeResult, choose, probe_cached

CORPUS = Path(__file__).resolve().parent / "checks"
DEFAULT_OPTS = ("0", "1", "2", "s")
RUNNER_GROUP = "stackargs.check_runners"
ENTRY = "check_main"            # the corpus convention (checks/README.md)
NATIVE_TIMEOUT = 10             # seconds for one native reference run
NATIVE_CCS = ("gcc", "cc", "clang")
# the host program around a corpus file: prints check_main's result (no headers needed)
NATIVE_MAIN = """extern int printf(const char *, ...);
long check_main(void);
int main(void) { printf("%ld\\n", check_main()); return 0; }
"""


def add_parser(sub):
    p = sub.add_parser("check", help="compile, check, verify and run the regression corpus",
                       description="Compile C files (default: the toolchain/checks corpus) at each "
                                   "-O level and check the BPF objects against the stack-argument "
                                   "ABI; .o files are checked as they are. Then (the run stage, "
                                   "from the installed pipeline package) verify each object and "
                                   "run check_main on every engine, comparing with the same C "
                                   "compiled for the host and run.")
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
    p.add_argument("--no-run", dest="run", action="store_false",
                   help="static object checks only: do not verify and run the cases")
    p.add_argument("--engines", metavar="LIST",
                   help="comma-separated engines for the run stage (default: every engine the "
                        "installed run stage offers here: interp,unicorn,native)")
    p.add_argument("--native-cc", metavar="CMD",
                   help="host C compiler for the native reference results: a command, or "
                        "'ziglang' for the ziglang wheel's `zig cc` (default: $CC, gcc, cc, "
                        "clang, then ziglang)")
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


# ------------------------------------------------------------------ the run stage

def find_runner() -> tuple[object | None, str | None, str]:
    """(runner, its entry point's value, why there is none) from ``stackargs.check_runners``."""
    from importlib.metadata import entry_points

    eps = sorted(entry_points(group=RUNNER_GROUP), key=lambda e: (e.name != "pipeline", e.name))
    if not eps:
        return None, None, (f"no '{RUNNER_GROUP}' entry point is installed (the stackargs "
                            f"pipeline package registers one: pip install -e .)")
    ep = eps[0]
    try:
        runner = ep.load()
    except Exception as exc:  # noqa: BLE001 - a broken install: say which entry point
        return None, None, f"entry point {ep.name} = {ep.value}: {type(exc).__name__}: {exc}"
    missing = [m for m in ("engines", "prepare", "run_object") if not callable(getattr(runner, m, None))]
    if missing:
        raise ToolchainError(f"run stage {ep.name} = {ep.value}: not a check runner "
                             f"(no {', '.join(missing)})")
    return runner, ep.value, ""


_RUNNERS: dict[str, object] = {}


def _runner(value: str):
    """The runner an entry point value names, loaded once per (worker) process."""
    if value not in _RUNNERS:
        from importlib.metadata import EntryPoint
        _RUNNERS[value] = EntryPoint(name="runner", value=value, group=RUNNER_GROUP).load()
    return _RUNNERS[value]


def host_cc(value: str | None) -> list[str] | None:
    """The native reference compiler: ``--native-cc``, ``$CC``, gcc/cc/clang, ``zig cc``."""
    def zig_cc():
        zig = ziglang_compiler()
        return [zig.argv[0], "cc"] if zig is not None else None

    if value == "ziglang":
        cc = zig_cc()
        if cc is None:
            raise ToolchainError("--native-cc ziglang: the ziglang package is not installed")
        return cc
    if value:
        cmd = shlex.split(value)
        if not cmd or shutil.which(cmd[0]) is None:
            raise ToolchainError(f"--native-cc {value}: no such compiler")
        return cmd
    if os.environ.get("CC"):
        cmd = shlex.split(os.environ["CC"])
        if cmd and shutil.which(cmd[0]):
            return cmd
    for name in NATIVE_CCS:
        if shutil.which(name):
            return [name]
    return zig_cc()


def native_reference(src: Path, cc: list[str], outdir: str) -> dict:
    """``check_main`` of ``src`` compiled for the host and run: ``{"value"}`` or ``{"error"}``."""
    out = Path(outdir) / f"{src.stem}.native"
    main = Path(outdir) / f"{src.stem}.native-main.c"
    main.write_text(NATIVE_MAIN)
    try:
        p = subprocess.run([*cc, "-O2", "-w", "-o", str(out), str(src), str(main)],
                           capture_output=True, text=True, timeout=300)
        if p.returncode:
            return {"error": f"{' '.join(cc)} failed: {_diagnostic(p.stderr or p.stdout)}"}
        p = subprocess.run([str(out)], capture_output=True, text=True, timeout=NATIVE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        return {"error": f"timed out after {exc.timeout} s"}
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    if p.returncode:
        return {"error": f"the host program exited with status {p.returncode}"}
    try:
        return {"value": int(p.stdout.strip())}
    except ValueError:
        return {"error": f"the host program printed {p.stdout.strip()[:80]!r}, not a number"}


def _diagnostic(text: str) -> str:
    """The telling line of a compiler's or linker's output: its first error, else line one."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    hits = [ln for ln in lines if "error" in ln.lower() or "undefined reference" in ln]
    return (hits or lines or [""])[0]


def _first_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""


def judge(case: dict, expected: dict | None) -> None:
    """Add the run stage's findings to ``case`` (its ``run``: the runner's answer) against
    the native reference ``expected`` (None: no source or no host compiler)."""
    res = case.get("run")
    if res is None:
        return
    findings = case["findings"]
    if expected is not None and "error" in expected:
        findings.append(f"[native] the native reference failed: {expected['error']}")
        expected = None
    want = expected["value"] if expected is not None else None
    if res.get("error"):
        findings.append(f"[run] {res['error']}")
    if res.get("rejected"):
        findings.append(f"[verify] rejected by the verifier: {res['rejected']}")
    values = {}
    for engine, r in res.get("results", {}).items():
        if "error" in r:
            findings.append(f"[run] {engine}: {r['error']}")
        elif "value" in r:
            values[engine] = r["value"]
            if want is not None and r["value"] != want:
                findings.append(f"[run] {engine}: check_main returned {r['value']}, expected "
                                f"{want} (the same C run natively)")
    if want is None and len(set(values.values())) > 1:
        findings.append("[run] the engines disagree: "
                        + ", ".join(f"{e} {v}" for e, v in values.items()))
    case["native"] = want
    case["ok"] = not findings


# ------------------------------------------------------------------ one case

def _summary(report) -> dict:
    funcs = report.functions
    return {"functions": len(funcs),
            "calls": sum(len(f.calls) for f in funcs),
            "stack_arg_calls": sum(1 for f in funcs for c in f.calls if c.slots),
            "r11_stores": sum(f.r11_stores for f in funcs),
            "r11_loads": sum(f.r11_loads for f in funcs)}


def check_object(path: Path, file: str, opt: str, run_with=None) -> dict:
    """Static checks of one object, then (``run_with`` = (runner entry value, engines))
    the runner's verify-and-run answer under ``run`` (judged later, against native)."""
    from .objcheck import check_file

    report = check_file(path)
    case = {"file": file, "opt": opt, "ok": report.ok, "object": str(path),
            "findings": [str(f) for f in report.findings], "stats": _summary(report),
            "report": report.to_json(), "run": None, "native": None}
    if run_with is not None:
        value, engines = run_with
        try:
            case["run"] = _runner(value).run_object(str(path), ENTRY, list(engines))
        except Exception as exc:  # noqa: BLE001 - the runner must answer in data; say so
            case["run"] = {"verified": False, "rejected": None, "results": {},
                           "error": f"the run stage failed: {type(exc).__name__}: "
                                    f"{_first_line(str(exc))}"}
    return case


def run_case(src: Path, opt: str, probe: ProbeResult, mcpu: str, outdir: str,
             run_with=None) -> dict:
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
        return check_object(out, src.name, opt, run_with)
    except Exception as exc:  # noqa: BLE001 - objcheck should never raise; if it does, say where
        return _failed(src.name, opt, "internal", exc, with_type=True)


def _failed(file: str, opt: str, rule: str, exc: Exception, with_type: bool = False) -> dict:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if with_type or not first:
        first = f"{type(exc).__name__}: {first}".rstrip(": ")
    return {"file": file, "opt": opt, "ok": False, "object": None,
            "findings": [f"[{rule}] {first}"], "stats": {}, "report": None, "run": None,
            "native": None}


# ------------------------------------------------------------------ the command

def run_checks(inputs: list[Path], opts: list[str], probe: ProbeResult, mcpu: str,
               jobs: int, outdir: str, run_with=None, cc: list[str] | None = None) -> list[dict]:
    """Every case's row; with ``run_with`` also verified, run and judged against the native
    reference (``cc``: the host compiler, None: engines compared with each other only)."""
    cases: list[dict] = []
    compile_jobs = [(src, opt) for src in inputs if src.suffix == ".c" for opt in opts]
    native_jobs = [src for src in inputs if src.suffix == ".c"] if run_with and cc else []
    if jobs > 1 and len(compile_jobs) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            nfut = {src: pool.submit(native_reference, src, cc, outdir) for src in native_jobs}
            futures = [pool.submit(run_case, src, opt, probe, mcpu, outdir, run_with)
                       for src, opt in compile_jobs]
            done = {(src, opt): fut.result() for (src, opt), fut in zip(compile_jobs, futures)}
            native = {src: f.result() for src, f in nfut.items()}
    else:
        native = {src: native_reference(src, cc, outdir) for src in native_jobs}
        done = {(src, opt): run_case(src, opt, probe, mcpu, outdir, run_with)
                for src, opt in compile_jobs}
    for src in inputs:
        if src.suffix == ".o":
            try:
                case = check_object(src, src.name, "-", run_with)
            except Exception as exc:  # noqa: BLE001
                case = _failed(src.name, "-", "internal", exc, with_type=True)
            judge(case, None)
            cases.append(case)
        else:
            for opt in opts:
                judge(done[(src, opt)], native.get(src))
                cases.append(done[(src, opt)])
    return cases


def _run_text(case: dict) -> str:
    res = case.get("run")
    if not res:
        return ""
    ran = [e for e, r in res.get("results", {}).items() if "value" in r]
    if not ran:
        return ""
    value = res["results"][ran[0]]["value"]
    against = " = native" if case.get("native") is not None else ""
    how = "verified" if res.get("verified") else "unverified (BTF refused)"
    return f"; {how}, ran {value}{against} on {', '.join(ran)}"


def _row(case: dict, width: int) -> list[str]:
    opt = "-" if case["opt"] == "-" else f"-O{case['opt']}"
    head = f"{'PASS' if case['ok'] else 'FAIL'}  {case['file']:<{width}}  {opt:<4}"
    if case["ok"]:
        s = case["stats"]
        return [f"{head}  {s['functions']} funcs, {s['calls']} calls "
                f"({s['stack_arg_calls']} with stack args), {s['r11_stores']} r11 stores, "
                f"{s['r11_loads']} r11 loads{_run_text(case)}"]
    lines = [f"{head}  {len(case['findings'])} finding(s)"]
    lines += [f"      {f}" for f in case["findings"]]
    return lines


def _engines(text: str | None, offered: list[str]) -> list[str]:
    if text is None:
        return list(offered)
    wanted = [e.strip() for e in text.split(",") if e.strip()]
    bad = [e for e in wanted if e not in offered]
    if bad or not wanted:
        raise ToolchainError(f"--engines {text}: {', '.join(bad) or 'empty'} not offered here "
                             f"(the run stage offers {', '.join(offered)})")
    return list(dict.fromkeys(wanted))


def _run_stage(args, inputs: list[Path]) -> tuple[tuple | None, list[str] | None, list[str]]:
    """(run_with, native compiler, header lines) for the run stage, or why it is off."""
    if not args.run:
        return None, None, ["run stage: off (--no-run): static checks only"]
    runner, value, why = find_runner()
    if runner is None:
        return None, None, [f"run stage: unavailable: {why}; static checks only"]
    engines = _engines(args.engines, list(runner.engines()))
    try:
        runner.prepare()
    except Exception as exc:  # noqa: BLE001 - the installed run stage cannot start: one line
        raise ToolchainError(f"run stage {value}: {_first_line(str(exc)) or type(exc).__name__}")
    lines = [f"run stage: {value} (verify, then run check_main on {', '.join(engines)})"]
    cc = None
    if any(p.suffix == ".c" for p in inputs):
        if sys.maxsize <= 2 ** 32 or sys.byteorder != "little":
            lines.append("native reference: unavailable: the host is not 64-bit little-endian "
                         "like BPF; the engines are compared with each other")
        else:
            cc = host_cc(args.native_cc)
            lines.append(f"native reference: {' '.join(cc)} -O2, run as a host program" if cc else
                         "native reference: unavailable: no host C compiler (gcc, cc, clang or "
                         "ziglang; --native-cc); the engines are compared with each other")
    return (value, tuple(engines)), cc, lines


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
    run_with, cc, stage_lines = _run_stage(args, inputs)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        cases = run_checks(inputs, opts, probe, args.mcpu, args.jobs, args.keep, run_with, cc)
    else:
        with tempfile.TemporaryDirectory(prefix="stackargs-check-") as tmp:
            cases = run_checks(inputs, opts, probe, args.mcpu, args.jobs, tmp, run_with, cc)
    passed = sum(1 for c in cases if c["ok"])
    failed = len(cases) - passed
    unverified = [c for c in cases if c.get("run") and c["run"].get("unverified")]
    notes = []
    if unverified:
        first = unverified[0]
        notes.append(f"note: {len(unverified)} case(s) ran unverified, on the engines that allow "
                     f"it: the kernel would refuse their BTF (e.g. {first['file']} "
                     f"-O{first['opt']}: {first['run']['unverified']})")
    if args.json:
        doc = {"compiler": probe.compiler.to_json() if probe else None,
               "compiler_version": probe.version if probe else None,
               "path": probe.path if probe else None,
               "run_stage": {"runner": run_with[0] if run_with else None,
                             "engines": list(run_with[1]) if run_with else [],
                             "native_cc": cc, "lines": stage_lines},
               "opts": opts, "cases": cases, "passed": passed, "failed": failed,
               "unverified": len(unverified)}
        if not args.keep:
            for c in doc["cases"]:
                c["object"] = None           # the temporary directory is gone
        print(json.dumps(doc, indent=1))
    else:
        if probe:
            print(f"compiler: {probe.compiler.name} (clang {probe.version}, {probe.path} path)")
        print("\n".join(stage_lines))
        width = max(len(c["file"]) for c in cases) if cases else 0
        for c in cases:
            print("\n".join(_row(c, width)))
        if notes:
            print("\n".join(notes))
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
