"""Ask each candidate clang what it can do for BPF, cache the answers, pick one.

A probe runs a handful of tiny clang invocations:

1. ``--version`` — the LLVM version (older than :data:`MIN_MAJOR` is refused);
2. ``--target=bpf -dM -E`` — the predefined macros, above all
   ``__BPF_FEATURE_STACK_ARGUMENT`` (native stack-argument support, LLVM 23+);
3. ``--target=bpf --print-supported-cpus`` — the accepted ``-mcpu`` values;
4. a real BPF codegen whose inline asm loads and stores through r11 — the
   lowered path depends on the BPF assembler accepting exactly that. Only if it
   fails, a plain BPF compile tells "no BPF backend" from "no r11 in asm".

Results are cached per compiler binary (resolved path + mtime + size) in
``$XDG_CACHE_HOME/stackargs/toolchain-probes.json`` so a build does not pay for
probing; replacing the binary (new mtime or size) re-probes. A probe that crashed
or timed out is never cached: that may be transient.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .discovery import Compiler, candidates, from_env
from .errors import ToolchainError

# clang 14 is the first with BTF decl/type tags, which current libbpf headers use
# (__kptr, __arg_ctx, ...); anything older is not worth supporting.
MIN_MAJOR = 14
PROBE_TIMEOUT = 120          # seconds; a first run of a cold binary can be slow
CACHE_SCHEMA = 1             # bump when ProbeResult or the probe commands change
FEATURE_MACRO = "__BPF_FEATURE_STACK_ARGUMENT"

_VERSION_RE = re.compile(r"clang version (\d+)\.(\d+)(?:\.(\d+))?")
_NO_TARGET_RE = re.compile(r"No available targets|unable to create target|unknown target", re.I)

# What the lowered path emits (DESIGN §4): 64-bit loads/stores through r11.
R11_PROBE_SRC = """\
unsigned long long f(void)
{
    unsigned long long x;
    asm volatile("%0 = *(u64 *)(r11 + 8)" : "=r"(x));
    asm volatile("*(u64 *)(r11 - 8) = %0" :: "r"(x));
    return x;
}
"""
PLAIN_PROBE_SRC = "int f(int a) { return a + 1; }\n"


@dataclass
class ProbeResult:
    """What one compiler can do. ``usable`` says whether builds may use it."""

    compiler: Compiler
    version: str | None = None
    major: int | None = None
    bpf_target: bool = False
    stack_arg_feature: bool = False     # native support: clang predefines FEATURE_MACRO
    r11_asm: bool = False               # the BPF assembler accepts r11 (lowered path)
    default_cpu: str | None = None      # from __BPF_CPU_VERSION__
    mcpus: list[str] = field(default_factory=list)
    problem: str | None = None          # why it is unusable (one line), None if usable
    transient: bool = False             # crashed / timed out: do not cache
    cached: bool = False                # this result came from the cache

    @property
    def usable(self) -> bool:
        return self.problem is None

    @property
    def path(self) -> str:
        """Which compile path this compiler takes by default."""
        return "native" if self.stack_arg_feature else "lowered"

    def to_json(self) -> dict:
        d = asdict(self)
        d["compiler"] = self.compiler.to_json()
        d.pop("transient")
        d["usable"] = self.usable
        d["path"] = self.path if self.usable else None
        return d

    @classmethod
    def from_json(cls, compiler: Compiler, d: dict) -> "ProbeResult":
        return cls(compiler=compiler, version=d["version"], major=d["major"],
                   bpf_target=d["bpf_target"], stack_arg_feature=d["stack_arg_feature"],
                   r11_asm=d["r11_asm"], default_cpu=d["default_cpu"], mcpus=list(d["mcpus"]),
                   problem=d["problem"], cached=True)


# ---------------------------------------------------------------- running clang

class _Failed(Exception):
    """One probe step could not run to completion (crash, timeout, exec error)."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def _run(compiler: Compiler, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = compiler.command(*args)
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT, errors="replace")
    except subprocess.TimeoutExpired:
        raise _Failed(f"timed out after {PROBE_TIMEOUT}s running {' '.join(args)}", True)
    except OSError as exc:
        raise _Failed(f"cannot run {cmd[0]}: {exc.strerror or exc}", False)
    if proc.returncode < 0:
        raise _Failed(f"crashed ({_signal_name(-proc.returncode)}) running {' '.join(args)}", True)
    return proc


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "no output"


def parse_version(text: str) -> tuple[str, int] | None:
    m = _VERSION_RE.search(text)
    if not m:
        return None
    return ".".join(g for g in m.groups() if g is not None), int(m.group(1))


def parse_cpus(text: str) -> list[str]:
    """The CPU names clang lists after 'Available CPUs for this target:'."""
    cpus: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("Available CPUs for this target"):
            for item in lines[i + 1:]:
                word = item.strip()
                if not word:
                    if cpus:
                        break
                    continue
                if " " in word:     # "Use -mcpu or -mtune ..." ends the list
                    break
                cpus.append(word)
            break
    return cpus


def parse_macros(text: str) -> dict[str, str]:
    macros = {}
    for line in text.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == "#define":
            macros[parts[1]] = parts[2] if len(parts) == 3 else ""
    return macros


def probe(compiler: Compiler) -> ProbeResult:
    """Run the probe commands against ``compiler`` (no cache involved)."""
    res = ProbeResult(compiler)
    try:
        _probe_into(res)
    except _Failed as exc:
        res.problem = str(exc)
        res.transient = exc.transient
    return res


def _probe_into(res: ProbeResult) -> None:
    c = res.compiler
    proc = _run(c, ["--version"])
    ver = parse_version(proc.stdout + proc.stderr) if proc.returncode == 0 else None
    if ver is None:
        res.problem = f"not a clang: --version said {_first_line(proc.stdout + proc.stderr)!r}"
        return
    res.version, res.major = ver
    if res.major < MIN_MAJOR:
        res.problem = f"clang {res.version} is too old (need {MIN_MAJOR} or newer)"
        return

    proc = _run(c, ["--target=bpf", "-dM", "-E", "-x", "c", os.devnull])
    if proc.returncode != 0:
        res.problem = f"no BPF target: {_first_line(proc.stderr)}"
        return
    macros = parse_macros(proc.stdout)
    res.stack_arg_feature = FEATURE_MACRO in macros
    if macros.get("__BPF_CPU_VERSION__", "").isdigit():
        res.default_cpu = "v" + macros["__BPF_CPU_VERSION__"]

    proc = _run(c, ["--target=bpf", "--print-supported-cpus"])
    if proc.returncode == 0:
        res.mcpus = parse_cpus(proc.stdout + "\n" + proc.stderr)

    obj = ["--target=bpf", "-O2", "-c", "-x", "c", "-", "-o", os.devnull]
    proc = _run(c, obj, R11_PROBE_SRC)
    if proc.returncode == 0:
        res.bpf_target = res.r11_asm = True
        return
    r11_error = _first_line(proc.stderr)
    if _NO_TARGET_RE.search(proc.stderr):
        res.problem = f"no BPF backend: {r11_error}"
        return
    proc = _run(c, obj, PLAIN_PROBE_SRC)
    if proc.returncode != 0:
        res.problem = f"cannot compile for BPF: {_first_line(proc.stderr)}"
        return
    res.bpf_target = True
    if not res.stack_arg_feature:
        res.problem = f"no native stack arguments and its BPF assembler rejects r11: {r11_error}"


# ---------------------------------------------------------------- the cache

def cache_file(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "stackargs" / "toolchain-probes.json"


def _identity(compiler: Compiler) -> str | None:
    """The cache key: which file, which version of it, invoked how."""
    try:
        st = os.stat(compiler.binary)
    except OSError:
        return None
    return json.dumps([compiler.binary, st.st_mtime_ns, st.st_size,
                       list(compiler.argv[1:]), list(compiler.base_flags)])


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _store(path: Path, entries: dict) -> None:
    # Write-then-rename so a concurrent reader never sees half a file; a cache
    # that cannot be written (read-only home) only costs speed.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".probes-", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump({"schema": CACHE_SCHEMA, "entries": entries}, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def probe_cached(compiler: Compiler, *, use_cache: bool = True, refresh: bool = False,
                 env: dict[str, str] | None = None) -> ProbeResult:
    """:func:`probe`, answered from the cache when the binary is unchanged.

    ``refresh`` probes again even on a hit and stores the new answer;
    ``use_cache=False`` neither reads nor writes the cache.
    """
    key = _identity(compiler)
    if not use_cache or key is None:
        return probe(compiler)
    path = cache_file(env)
    hit = None if refresh else _load(path).get(key)
    if isinstance(hit, dict):
        try:
            return ProbeResult.from_json(compiler, hit)
        except (KeyError, TypeError):
            pass        # an entry of some other shape: probe again and overwrite
    res = probe(compiler)
    if not res.transient:
        entries = _load(path)       # re-read: another process may have added entries
        # drop entries for older builds of the same binary so the file stays small
        for old in [k for k in entries if _binary_of(k) == compiler.binary]:
            del entries[old]
        d = res.to_json()
        entries[key] = {k: d[k] for k in ("version", "major", "bpf_target", "stack_arg_feature",
                                          "r11_asm", "default_cpu", "mcpus", "problem")}
        _store(path, entries)
    return res


def _binary_of(key: str) -> str | None:
    try:
        return json.loads(key)[0]
    except (ValueError, IndexError, TypeError):
        return None


# ---------------------------------------------------------------- choosing

def probe_all(env: dict[str, str] | None = None, *, use_cache: bool = True,
              refresh: bool = False) -> list[ProbeResult]:
    """Every candidate, probed, in preference order (for ``toolchain info``)."""
    return [probe_cached(c, use_cache=use_cache, refresh=refresh, env=env) for c in candidates(env)]


def choose(env: dict[str, str] | None = None, *, use_cache: bool = True) -> ProbeResult:
    """The compiler builds use, or :class:`ToolchainError` saying why there is none."""
    env = os.environ if env is None else env
    if env.get("CLANG"):
        # an explicit choice: probe only that one
        c = from_env(env["CLANG"], env.get("PATH", os.defpath))
        return pick([probe_cached(c, use_cache=use_cache, env=env)] if c else [], env)
    return pick(probe_all(env, use_cache=use_cache), env)


def pick(results: list[ProbeResult], env: dict[str, str] | None = None) -> ProbeResult:
    """Choose among probed candidates (in preference order).

    ``$CLANG`` is an explicit choice: if it is set, it is used or refused, never
    silently replaced. Otherwise a compiler with native stack-argument support
    wins over one that needs the lowering; ties go to the preference order.
    """
    env = os.environ if env is None else env
    if env.get("CLANG"):
        mine = [r for r in results if r.compiler.source == "$CLANG"]
        if not mine:
            raise ToolchainError(f"$CLANG={env['CLANG']!r} is not an executable")
        if not mine[0].usable:
            raise ToolchainError(f"$CLANG={env['CLANG']!r} cannot compile BPF: {mine[0].problem}")
        return mine[0]
    if not results:
        raise ToolchainError("no clang found: install clang (apt-get install clang), "
                             "pip install ziglang, or set $CLANG")
    usable = [r for r in results if r.usable]
    if not usable:
        tried = "; ".join(f"{r.compiler.name}: {r.problem}" for r in results)
        raise ToolchainError(f"no usable clang for BPF ({tried})")
    native = [r for r in usable if r.stack_arg_feature]
    return (native or usable)[0]
