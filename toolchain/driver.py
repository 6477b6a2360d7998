"""Compile one C file to a BPF object (or BPF assembly, or LLVM IR).

Two paths (DESIGN §4), chosen from the compiler's probe:

- **native** — clang predefines ``__BPF_FEATURE_STACK_ARGUMENT``: one ``clang -c``.
- **lowered** — older clang: ``clang -S -emit-llvm`` → :func:`toolchain.lower.lower_module`
  (arguments 6+ move through r11) → the same clang compiles the rewritten ``.ll``.
  When the lowering leaves the IR as it is, the output is compiled from the C source
  instead (one ``clang -c``/``-S``, the same command the native path runs): code generation
  from IR *text* gives the same code but not the same bytes (LLVM numbers some BTF forward
  declarations and merges some DWARF variable-location pieces in an order that follows
  where the front end allocated its debug-info nodes), and an object of a file with
  nothing to lower must be what clang alone makes.  So, for an object, when the source
  shows no parenthesised list of six or more items (no call or definition that could
  need lowering), that one ``clang -c`` runs *first* (:func:`toolchain.onestep.try_one_step`;
  ``CompileOptions(one_step=False)`` turns the shortcut off, not the result); the IR step
  follows only when clang refuses (a call over five arguments the scan missed) or the
  object's debug info names a ``DW_CC_nocall`` function (whose BTF prototype the
  lowering may rewrite; if it does not, that first object stands).  Either way the
  object is byte for byte the same (tests/toolchain/test_one_step.py).

Every compile gets ``--target=bpf -g -O<n> -mcpu=<cpu> -D__TARGET_ARCH_x86
-D__BPF_FEATURE_STACK_ARGUMENT=1`` (on the lowered path *we* provide the
feature; on the native path the definition repeats clang's own, which C allows),
then the user's ``-D``/``-I``/extra flags, then header search directories that
make ``<linux/bpf.h>`` and ``<bpf/bpf_helpers.h>`` resolve (see
:func:`header_flags`).

clang's diagnostics reach the caller verbatim in :class:`CompileError` (with the
first error's ``file:line:col`` as ``location``); a bad request (unknown
``-mcpu``, malformed ``-D``, clang rejecting a flag) is a :class:`ToolchainError`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .discovery import Compiler
from .errors import CompileError, InconsistentObjectError, ToolchainError
from .probe import FEATURE_MACRO, ProbeResult, choose, probe_cached

SHIPPED_INCLUDE = Path(__file__).resolve().parent / "include"
# <bpf/bpf_helpers.h> and <bpf/bpf_core_read.h> wrappers searched before the
# system headers: the real header (#include_next), then what newer libbpf adds
COMPAT_INCLUDE = SHIPPED_INCLUDE / "compat"
# where the ziglang wheel keeps its Linux UAPI headers (<linux/bpf.h>, <asm/types.h>)
ZIG_LINUX_HEADERS = Path("lib") / "libc" / "include" / "any-linux-any"
EMIT_KINDS = ("obj", "asm", "ir")
PATH_CHOICES = ("auto", "native", "lowered")
OPT_LEVELS = ("0", "1", "2", "3", "s", "z", "g")
COMPILE_TIMEOUT = 600       # seconds; a hung clang must not hang the pipeline
ARCH_MACRO = "__TARGET_ARCH_x86"   # bpf_tracing.h's PT_REGS_* follow the x86-64 JIT

_DEFINE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(=.*)?$", re.S)
# "file:line:col: error:" (also "fatal error:"); the first one is the location
_DIAG_RE = re.compile(r"^(?P<loc>.+?:\d+:\d+): (?:fatal )?error: ", re.M)
# "clang-22: error: unknown argument" — the driver refusing our command line
_DRIVER_ERR_RE = re.compile(r"^[\w.+-]+: error: ", re.M)


@dataclass
class CompileOptions:
    opt_level: str = "2"                 # -O value: 0 1 2 3 s z g
    include_dirs: list[str] = field(default_factory=list)
    defines: list[str] = field(default_factory=list)     # "NAME" or "NAME=VALUE"
    mcpu: str = "v3"
    # Any other clang flag, verbatim, in order (-Wall, -Werror, -std=gnu11, -f..., -m...,
    # -g..., -idirafter DIR, -isystem DIR, -include FILE, ...): given to the C compile
    # (on the lowered path: the -emit-llvm step; the IR codegen step keeps only the
    # flags that mean something there, see codegen_flags). Flags the driver owns are
    # refused (see OWNED_FLAGS).
    cflags: tuple[str, ...] = ()
    extra_flags: list[str] = field(default_factory=list)  # older spelling; appended after cflags
    emit: str = "obj"                    # obj | asm | ir
    path: str = "auto"                   # auto | native | lowered (force one for testing)
    # lowered path, objects only: one `clang -c` first when nothing can need lowering
    # (toolchain.onestep); the object is the same either way, only the runs differ
    one_step: bool = True
    # reuse an object compiled before from the same inputs (toolchain.buildcache: source,
    # every header it read, compiler, flags, this toolchain's code); objects only
    cache: bool = False
    # check every object written with toolchain.objcheck (r11 shapes, per-call slot
    # coverage against the callee's BTF, incoming loads within the function's BTF);
    # a failure is an InconsistentObjectError and the object is removed
    self_check: bool = True

    def user_flags(self) -> list[str]:
        return [*self.cflags, *self.extra_flags]


@dataclass
class CompileResult:
    output: Path
    compiler: Compiler
    compiler_version: str | None
    path: str                            # "native" | "lowered"
    emitted: str                         # "obj" | "asm" | "ir"
    commands: list[list[str]] = field(default_factory=list)  # every clang run, in order
    warnings: str = ""                   # clang's stderr from successful steps
    self_checked: bool = False           # the object passed the self-check (see self_check)
    check_seconds: float = 0.0           # time spent in the object self-check
    cached: bool = False                 # the object came from the build cache (no clang run)
    # what the self-check read of the object (None: not checked): per function, in the
    # object's order, {"name", "section", "args", "stack_arg_slots", "refs"} (objcheck's
    # FunctionReport: BTF argument/stack-slot counts, the .text functions it references)
    functions: list[dict] | None = None

    def command_lines(self) -> list[str]:
        """The clang commands run, one shell-quoted line each (what ``-v`` prints)."""
        return [shlex.join(cmd) for cmd in self.commands]


# ---------------------------------------------------------------- header search

def system_include_dirs() -> list[Path]:
    """``/usr/include`` and its multiarch twin (``asm/types.h`` lives there on Debian).

    A ``--target=bpf`` clang has no sysroot of its own, and Debian's clang does not
    search the multiarch directory for a non-host target, so ``<linux/bpf.h>``
    (which includes ``<asm/types.h>``) would not resolve without them.
    """
    # sysconfig's MULTIARCH, which CPython also keeps as sys.implementation._multiarch
    # (importing sysconfig costs a few ms on every compile, a build-cache hit included)
    multiarch = getattr(sys.implementation, "_multiarch", None)
    if multiarch is None:
        import sysconfig
        multiarch = sysconfig.get_config_var("MULTIARCH")
    multiarch = multiarch or f"{os.uname().machine}-linux-gnu"
    dirs = [Path("/usr/include"), Path("/usr/include") / multiarch]
    return [d for d in dirs if d.is_dir()]


def zig_linux_headers(compiler: Compiler | None) -> Path | None:
    """The ziglang wheel's Linux UAPI header directory, if ``compiler`` is that clang."""
    if compiler is None or compiler.source != "ziglang":
        return None
    d = Path(compiler.binary).parent / ZIG_LINUX_HEADERS
    return d if (d / "linux" / "bpf.h").is_file() else None


def header_flags(system_dirs: list[Path] | None = None, compiler: Compiler | None = None) -> list[str]:
    """``-idirafter`` flags: system headers, then our fallbacks.

    ``-idirafter`` is searched after everything else, so the user's ``-I`` and the
    compiler's own directories win; our shipped ``bpf/*.h`` is added only when no
    system directory has libbpf's headers, so a Debian libbpf-dev is always the one
    ``#include <bpf/bpf_helpers.h>`` finds when it is installed. With the ziglang
    clang and no system ``<linux/bpf.h>``, the wheel's bundled Linux UAPI headers
    come last.
    """
    dirs = system_include_dirs() if system_dirs is None else list(system_dirs)
    flags: list[str] = []
    for d in dirs:
        flags += ["-idirafter", str(d)]
    if not any((Path(d) / "bpf" / "bpf_helpers.h").is_file() for d in dirs):
        flags += ["-idirafter", str(SHIPPED_INCLUDE)]
    zig = zig_linux_headers(compiler)
    if zig is not None and not any((Path(d) / "linux" / "bpf.h").is_file() for d in dirs):
        flags += ["-idirafter", str(zig)]
    return flags


def compat_flags() -> list[str]:
    """``-isystem`` for the libbpf compatibility wrappers (``toolchain/include/compat``).

    ``-isystem`` directories come after the user's ``-I`` (a libbpf of their own
    wins outright) but before ``/usr/include``, so ``<bpf/bpf_helpers.h>`` reaches
    the wrapper first; it includes the real header with ``#include_next`` and then
    defines what newer libbpf releases added (``__arg_ctx``, ``bpf_for``, ...)
    where still missing. ``<bpf/bpf_core_read.h>`` likewise forwards to the
    system's, or to our fallback when there is none.
    """
    return ["-isystem", str(COMPAT_INCLUDE)]


# ---------------------------------------------------------------- validation

# Flags the driver itself decides: the output, the mode and the target are ours,
# and the -O level / -mcpu must be the ones the lowering is told about.
OWNED_FLAGS = {
    "-o": "the output file is compile_c's `out` argument",
    "-c": "the output kind is CompileOptions.emit",
    "-S": "the output kind is CompileOptions.emit",
    "-E": "the output kind is CompileOptions.emit",
    "-emit-llvm": "the output kind is CompileOptions.emit (emit='ir')",
    "-target": "the target is always bpf",
    "--target": "the target is always bpf",
    "-O": "the optimisation level is CompileOptions.opt_level",
    "-mcpu": "the BPF CPU is CompileOptions.mcpu",
    "-g0": "BTF needs debug info; the driver always passes -g",
}
# flags whose value is the next argument (never itself checked as a flag)
_TAKES_VALUE = {"-I", "-D", "-U", "-idirafter", "-isystem", "-include", "-imacros", "-iquote",
                "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isysroot", "--sysroot",
                "-mllvm", "-Xclang", "-Xpreprocessor", "-MF", "-MT", "-MQ", "-x", "-arch"}


def owned_flag(flag: str) -> str | None:
    """The driver-owned flag ``flag`` spells (e.g. ``--target=bpf`` -> ``--target``), or None."""
    if flag in OWNED_FLAGS and flag not in ("-O", "-mcpu"):
        return flag
    if flag.startswith("--target=") or flag.startswith("-target="):
        return flag.split("=", 1)[0]
    if flag.startswith("-O") and not flag.startswith("-ObjC"):
        return "-O"
    if flag == "-mcpu" or flag.startswith("-mcpu="):
        return "-mcpu"
    if flag.startswith("-o") and len(flag) > 2 and not flag.startswith("-obj"):
        return "-o"                      # -ofile.o
    return None


def check_cflags(flags) -> None:
    """Refuse a driver-owned flag with a ToolchainError naming it; everything else passes."""
    if isinstance(flags, str):
        raise ToolchainError(f"cflags must be a sequence of flags, not the string {flags!r}")
    it = iter(flags)
    for flag in it:
        if not isinstance(flag, str):
            raise ToolchainError(f"cflags: {flag!r} is not a string")
        if flag in _TAKES_VALUE:
            if next(it, None) is None:
                raise ToolchainError(f"clang flag {flag} needs a value")
            continue
        owned = owned_flag(flag)
        if owned is not None:
            raise ToolchainError(f"clang flag {flag} is set by the compile driver and cannot be "
                                 f"passed through ({OWNED_FLAGS[owned]})")


def _check_options(opts: CompileOptions, probe: ProbeResult) -> str:
    """Reject a bad request with one line; return the normalised -O level."""
    opt = str(opts.opt_level)
    opt = opt[2:] if opt.startswith("-O") else opt[1:] if opt.startswith("O") else opt
    if opt not in OPT_LEVELS:
        raise ToolchainError(f"invalid optimisation level {opts.opt_level!r} (use one of {', '.join(OPT_LEVELS)})")
    if opts.emit not in EMIT_KINDS:
        raise ToolchainError(f"invalid emit kind {opts.emit!r} (use obj, asm or ir)")
    if opts.path not in PATH_CHOICES:
        raise ToolchainError(f"invalid compile path {opts.path!r} (use auto, native or lowered)")
    if probe.mcpus and opts.mcpu not in probe.mcpus:
        raise ToolchainError(f"-mcpu={opts.mcpu} is not supported by {probe.compiler.name} "
                             f"(supported: {', '.join(probe.mcpus)})")
    for d in opts.defines:
        if not _DEFINE_RE.match(d):
            raise ToolchainError(f"invalid -D {d!r}: expected NAME or NAME=VALUE")
    for d in opts.include_dirs:
        if not os.path.isdir(d):
            raise ToolchainError(f"include directory not found: {d}")
    check_cflags(opts.cflags)
    check_cflags(opts.extra_flags)
    return opt


def _resolve_compiler(compiler: Compiler | ProbeResult | None) -> ProbeResult:
    if compiler is None:
        return choose()
    probe = compiler if isinstance(compiler, ProbeResult) else probe_cached(compiler)
    if not probe.usable:
        raise ToolchainError(f"{probe.compiler.name} cannot compile BPF: {probe.problem}")
    return probe


# ---------------------------------------------------------------- running clang

# personality(2) flag: the next exec maps everything at fixed addresses
ADDR_NO_RANDOMIZE = 0x0040000


@contextlib.contextmanager
def _fixed_addresses():
    """Processes started inside run without address-space randomisation (``setarch -R``).

    clang's code generation from IR *text* orders some BTF types (forward declarations)
    by where their debug-info nodes happen to lie in memory, so with ASLR the same
    lowered IR gives a different object on every run (tests/toolchain/
    test_reproducible.py); with fixed addresses the layout, and so the object, repeats.
    The flag is inherited at fork and cleared again here; where personality(2) is
    refused (a seccomp profile) nothing changes."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        old = libc.personality(0xFFFFFFFF)          # query
    except (OSError, AttributeError):
        old = -1
    if old < 0 or old & ADDR_NO_RANDOMIZE or libc.personality(old | ADDR_NO_RANDOMIZE) < 0:
        yield
        return
    try:
        yield
    finally:
        libc.personality(old)


def _run(cmd: list[str], result: CompileResult, what: str, fixed: bool = False) -> None:
    result.commands.append(cmd)
    try:
        with _fixed_addresses() if fixed else contextlib.nullcontext():
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                  timeout=COMPILE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CompileError(f"{result.compiler.name} timed out after {COMPILE_TIMEOUT}s {what}")
    except OSError as exc:
        raise ToolchainError(f"cannot run {cmd[0]}: {exc.strerror or exc}")
    stderr = proc.stderr.strip()
    if proc.returncode == 0:
        if stderr:
            result.warnings += stderr + "\n"
        return
    if proc.returncode < 0:
        try:
            sig = signal.Signals(-proc.returncode).name
        except ValueError:
            sig = f"signal {-proc.returncode}"
        raise CompileError(f"{result.compiler.name} crashed ({sig}) {what}"
                           + (f":\n{stderr}" if stderr else ""))
    m = _DIAG_RE.search(stderr)
    if m:
        raise CompileError(stderr, location=m.group("loc"))
    if _DRIVER_ERR_RE.search(stderr):
        # no source location: clang refused the command line itself (a bad flag)
        raise ToolchainError("; ".join(line.strip() for line in stderr.splitlines() if line.strip()))
    raise CompileError(stderr or f"{result.compiler.name} failed (exit {proc.returncode}) {what}")


def front_flags(opts: CompileOptions, opt: str, compiler: Compiler | None = None) -> list[str]:
    """Everything a C compile gets, in order: ours, the user's, header search."""
    flags = ["--target=bpf", f"-mcpu={opts.mcpu}", "-g", f"-O{opt}"]
    user_names = {d.split("=", 1)[0] for d in opts.defines}
    if not any(n.startswith("__TARGET_ARCH_") for n in user_names):
        flags.append(f"-D{ARCH_MACRO}")
    if FEATURE_MACRO not in user_names:
        flags.append(f"-D{FEATURE_MACRO}=1")
    flags += [f"-D{d}" for d in opts.defines]
    flags += [f"-I{d}" for d in opts.include_dirs]
    flags += opts.user_flags()
    flags += compat_flags()
    flags += header_flags(compiler=compiler)
    return flags


def codegen_flags(extra) -> list[str]:
    """The user's flags that still mean something when compiling IR: ``-m*``
    target options, ``-mllvm <arg>`` pairs and ``-g*`` debug-format options.
    Language and preprocessor flags (``-std=``, ``-include``, ``-idirafter``,
    ``-f*``, warnings) are for the C step only; clang refuses or ignores them on IR."""
    kept: list[str] = []
    it = iter(extra)
    for flag in it:
        if flag == "-mllvm":
            kept += [flag, next(it, "")]
        elif flag in _TAKES_VALUE:
            next(it, None)               # -idirafter DIR, -include FILE, ...: C-only, value too
        elif flag.startswith("-m") or (flag.startswith("-g") and flag != "-g0"):
            kept.append(flag)
    return kept


# ---------------------------------------------------------------- the driver

def compile_c(src: str | os.PathLike, out: str | os.PathLike,
              options: CompileOptions | None = None,
              compiler: Compiler | ProbeResult | None = None) -> CompileResult:
    """Compile ``src`` to ``out`` (object, BPF assembly or LLVM IR per ``options.emit``)."""
    opts = options or CompileOptions()
    src, out = Path(src), Path(out)
    if not src.is_file():
        raise ToolchainError(f"cannot read {src}: no such file")
    if not out.parent.is_dir():
        raise ToolchainError(f"cannot write {out}: directory {out.parent} does not exist")
    probe = _resolve_compiler(compiler)
    opt = _check_options(opts, probe)
    path = opts.path if opts.path != "auto" else probe.path
    if path == "lowered" and not probe.r11_asm:
        raise ToolchainError(f"{probe.compiler.name} cannot take the lowered path: "
                             "its BPF assembler rejects r11")
    result = CompileResult(out, probe.compiler, probe.version, path, opts.emit)
    flags = front_flags(opts, opt, probe.compiler)
    c = probe.compiler
    cache_key = None
    if opts.cache and opts.emit == "obj" and not any(f.startswith("-M") for f in flags):
        from . import buildcache
        try:
            source = src.read_bytes()
        except OSError as exc:
            raise ToolchainError(f"cannot read {src}: {exc.strerror or exc}") from None
        cache_key = buildcache.key(src, source, c.command(*flags), c.binary, probe.version,
                                   {"path": path, "one_step": opts.one_step,
                                    "self_check": opts.self_check})
        hit = buildcache.lookup(cache_key, out) if cache_key else None
        if hit is not None:
            result.commands = hit["commands"]
            result.warnings = hit["warnings"]
            result.self_checked = hit["self_checked"]
            result.functions = hit.get("functions")
            result.cached = True
            return result
    with tempfile.TemporaryDirectory(prefix="stackargs-deps-") if cache_key else \
            contextlib.nullcontext() as deps_dir:
        if cache_key:
            depfile = Path(deps_dir) / "deps.d"
            flags = [*flags, "-MD", "-MF", str(depfile)]
            started = time.time_ns()
        if path == "native":
            mode = {"obj": ["-c"], "asm": ["-S"], "ir": ["-S", "-emit-llvm"]}[opts.emit]
            _run(c.command(*flags, *mode, str(src), "-o", str(out)), result, f"compiling {src}")
            user_r11 = None
        else:
            user_r11 = _compile_lowered(c, flags, src, out, opts, opt, result)
        if opts.emit == "obj" and opts.self_check:
            if user_r11 is None:
                user_r11 = _source_uses_r11(src)
            if user_r11:
                result.warnings += ("note: self-check skipped: the source names r11 in inline "
                                    "asm (the verifier judges such code)\n")
            else:
                self_check_object(out, result)
        if cache_key:
            buildcache.store(cache_key, out, depfile, _search_dirs(flags, src), started,
                             {"commands": result.commands, "warnings": result.warnings,
                              "self_checked": result.self_checked,
                              "functions": result.functions})
    return result


def _search_dirs(flags: list[str], src: Path) -> list[str]:
    """The include search directories a command line names, the source's own first."""
    dirs = [os.path.dirname(os.path.abspath(src))]
    it = iter(flags)
    for f in it:
        for opt in ("-I", "-isystem", "-idirafter", "-iquote"):
            if f == opt:
                d = next(it, None)
            elif f.startswith(opt) and opt == "-I":
                d = f[2:]
            else:
                continue
            if d:
                dirs.append(os.path.abspath(d))
            break
    return dirs


# ---------------------------------------------------------------- the self-check

# the objcheck rules about the stack-argument ABI; the others ("object", "btf",
# "cfg", "isa") describe problems the loader and verifier report on their own
# (an object without code, a call to an extern that is not a kfunc, ...)
GATE_RULES = ("r11-shape", "call-slots", "load-order", "load-range")

_C_COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_R11_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*\br11\b(?:[^"\\\n]|\\.)*"')
_IR_ASM_R11_RE = re.compile(r'\basm\b[^\n]*"[^"\n]*\br11\b')


def _source_uses_r11(src: Path) -> bool:
    """Does the C file write r11 in a string (inline asm), comments aside? (native path)"""
    try:
        text = src.read_text(errors="replace")
    except OSError:
        return False
    return bool(_R11_STRING_RE.search(_C_COMMENT_RE.sub(" ", text)))


def self_check_object(out: Path, result: CompileResult | None = None) -> None:
    """Check the object at ``out`` against the stack-argument ABI with :mod:`toolchain.objcheck`.

    An object failing a :data:`GATE_RULES` rule is a toolchain bug: the file is
    removed and :class:`InconsistentObjectError` names the functions. (objcheck
    reads prototypes with :mod:`btf`, a later stage, imported only here.)
    """
    from .objcheck import check_file

    t0 = time.perf_counter()
    try:
        report = check_file(out)
    except Exception as exc:  # noqa: BLE001 - a checker crash must not block a good compile
        if result is not None:
            result.warnings += f"note: self-check skipped: objcheck failed: {type(exc).__name__}: {exc}\n"
        return
    finally:
        if result is not None:
            result.check_seconds += time.perf_counter() - t0
    bad = [f for f in report.findings if f.rule in GATE_RULES]
    if not bad:
        if result is not None:
            result.self_checked = True
            result.functions = [{"name": f.name, "section": f.section, "args": f.args,
                                 "stack_arg_slots": f.arg_stack_slots, "refs": list(f.refs)}
                                for f in report.functions]
        return
    try:
        out.unlink()
    except OSError:
        pass
    functions = list(dict.fromkeys(f.function or f.section or "?" for f in bad))
    compiler = f" ({result.compiler.name}, {result.path} path)" if result is not None else ""
    lines = [f"toolchain bug: the object compiled from this source is inconsistent about stack "
             f"arguments in function{'s' if len(functions) > 1 else ''} {', '.join(functions)}"
             f"{compiler}; no object was written. Findings:"]
    lines += [f"  {f}" for f in bad]
    raise InconsistentObjectError("\n".join(lines), bad, functions)


def _compile_lowered(c: Compiler, flags: list[str], src: Path, out: Path,
                     opts: CompileOptions, opt: str, result: CompileResult) -> bool:
    """The lowered path; returns whether the user's own IR has inline asm naming r11.

    When the lowering leaves the IR as clang wrote it, the output is compiled from the C
    source by one ``clang -c``/``-S`` (exactly what clang alone makes, and what the one-step
    attempt makes); only rewritten IR goes through clang's code generator as text."""
    # Imported here: toolchain.lower is written separately, and the native path
    # and discovery must keep working without it.
    from .irtext import may_need_lowering

    mode = {"obj": ["-c"], "asm": ["-S"]}.get(opts.emit)
    direct = c.command(*flags, *mode, str(src), "-o", str(out)) if mode else None
    aside, stderr = None, ""     # the one-step object, kept while the IR decides (nocall)
    if opts.emit == "obj" and opts.one_step:
        from .onestep import flags_allow_one_step, try_one_step
        if flags_allow_one_step(opts.user_flags()):
            state, stderr = try_one_step(direct, src, out, result)
            if state == "done":
                return _source_uses_r11(src)
            if state == "nocall":
                aside = out.with_name(f".{out.name}.{os.getpid()}.onestep")
                os.replace(out, aside)
    try:
        return _two_steps(c, flags, src, out, opts, opt, result, direct, aside,
                          stderr if aside else None, may_need_lowering)
    finally:
        if aside is not None and aside.exists():
            aside.unlink()


def _two_steps(c, flags, src, out, opts, opt, result, direct, aside, aside_stderr,
               may_need_lowering) -> bool:
    with tempfile.TemporaryDirectory(prefix="stackargs-") as tmp:
        raw = Path(tmp) / f"{src.stem}.ll"
        # no use-list order directives (-emit-llvm-uselists): IR the lowering leaves alone is
        # never compiled (the C source is, below), and rewritten IR could not keep them
        before = result.warnings
        _run(c.command(*flags, "-S", "-emit-llvm", str(src), "-o", str(raw)), result,
             f"compiling {src} to LLVM IR")
        text = raw.read_text()
        user_r11 = "r11" in text and bool(_IR_ASM_R11_RE.search(text))
        lowered = text
        if may_need_lowering(text):  # spares the IR parser's import and parse when nothing moves
            from .lower import lower_module
            lowered = lower_module(text, mcpu=opts.mcpu, opt_level=opt)
        if opts.emit == "ir":
            out.write_text(lowered)
            return user_r11
        if lowered == text:
            # nothing to lower: the C source itself, as one clang run compiles it (that
            # run's diagnostics stand for both: the IR step printed its front-end part)
            result.warnings = before
            if aside is not None:
                os.replace(aside, out)
                if aside_stderr:
                    result.warnings += aside_stderr + "\n"
            else:
                _run(direct, result, f"compiling {src}")
            return user_r11
        ll = Path(tmp) / f"{src.stem}.lowered.ll"
        ll.write_text(lowered)
        # Codegen only: the IR was already optimised at -O<opt> before lowering,
        # and re-running the middle end would undo what the lowering arranged
        # (inlining r11 readers, shrinking signatures). "-disable-llvm-passes"
        # makes this step what `llc -O<opt>` would do; IR from -O0 additionally
        # carries optnone. -g keeps the debug info (and so .BTF) in the output.
        mode = ["-c"] if opts.emit == "obj" else ["-S"]
        back = ["--target=bpf", f"-mcpu={opts.mcpu}", "-g", f"-O{opt}",
                *codegen_flags(opts.user_flags()),
                "-Xclang", "-disable-llvm-passes", *mode, str(ll), "-o", str(out)]
        seen = len(result.warnings)
        _run(c.command(*back), result, f"compiling the lowered IR of {src}", fixed=True)
        if _DROPPED_DEBUG_INFO in result.warnings[seen:]:
            # the IR parser found the rewritten debug metadata invalid and dropped all of it
            # (an object without BTF prototypes): a toolchain bug, never an object
            out.unlink(missing_ok=True)
            raise CompileError(f"internal error in the stack-argument lowering of {src}: clang "
                               f"dropped the rewritten IR's debug info as invalid:\n"
                               f"{result.warnings[seen:].strip()}")
    return user_r11


# what clang says when the IR verifier finds the debug metadata of its input broken
_DROPPED_DEBUG_INFO = "ignoring invalid debug info"
