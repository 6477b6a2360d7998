"""Find clang executables that might compile BPF, in preference order.

The order (DESIGN §4, issue 3): ``$CLANG``; ``clang`` on PATH; ``clang-NN`` on
PATH, newest NN first; the clang inside the ``ziglang`` wheel. Nothing here runs
a compiler — :mod:`toolchain.probe` decides which candidates actually work.

The ziglang wheel ships one ``zig`` binary; ``zig cc`` is a wrapper that rewrites
targets and adds its own libc flags (it rejects ``--target=bpf``), but ``zig clang``
hands its arguments straight to the embedded clang driver. That clang has no
resource directory next to it, so ``<ziglang>/lib`` (which holds clang's builtin
headers under ``include/``) must be passed as ``-resource-dir`` for ``<stddef.h>``
and friends to resolve.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

_VERSIONED = re.compile(r"^clang-(\d+)$")


@dataclass(frozen=True)
class Compiler:
    """How to invoke one clang: ``[*argv, *base_flags, <our flags>...]``."""

    name: str                      # what the user sees: "clang-22", "ziglang", "$CLANG"
    argv: tuple[str, ...]          # command prefix, e.g. ("/usr/bin/clang-22",) or (zig, "clang")
    binary: str                    # resolved executable file: the probe cache key
    source: str                    # "$CLANG" | "PATH" | "ziglang"
    base_flags: tuple[str, ...] = field(default=())  # needed on every invocation

    def command(self, *args: str) -> list[str]:
        return [*self.argv, *self.base_flags, *args]

    def to_json(self) -> dict:
        return {"name": self.name, "argv": list(self.argv), "binary": self.binary,
                "source": self.source, "base_flags": list(self.base_flags)}


def from_env(value: str, path: str | None = None) -> Compiler | None:
    """``$CLANG`` may be a path, a name on PATH, or a command with arguments."""
    try:
        argv = tuple(shlex.split(value))
    except ValueError:
        return None
    if not argv:
        return None
    exe = shutil.which(argv[0], path=path)
    if exe is None:
        return None
    return Compiler("$CLANG", (exe, *argv[1:]), os.path.realpath(exe), "$CLANG")


def ziglang_compiler() -> Compiler | None:
    """The clang embedded in the ``ziglang`` wheel, if that package is installed."""
    try:
        spec = importlib.util.find_spec("ziglang")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(next(iter(spec.submodule_search_locations)))
    zig = pkg / ("zig.exe" if os.name == "nt" else "zig")
    if not zig.is_file() or not os.access(zig, os.X_OK):
        return None
    flags: tuple[str, ...] = ()
    if (pkg / "lib" / "include").is_dir():
        flags = ("-resource-dir", str(pkg / "lib"))
    return Compiler("ziglang", (str(zig), "clang"), os.path.realpath(zig), "ziglang", flags)


# directory -> (its identity and change time when listed, the clang-NN names in it): a
# directory is listed again when it changes (an entry added, removed or renamed moves its
# ctime, which unlike its mtime cannot be set back)
_LISTINGS: dict[str, tuple[tuple[int, int, int, int], list[str]]] = {}
_SETTLED_NS = 2_000_000_000     # a directory changed this recently is listed every time


def _clang_names(d: str) -> list[str]:
    """The ``clang-NN`` names in directory ``d`` (kept per process while ``d`` is unchanged:
    /usr/bin holds thousands of names and every build looks)."""
    st = os.stat(d)
    stamp = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    hit = _LISTINGS.get(d)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    names = [n for n in os.listdir(d) if n.startswith("clang-") and _VERSIONED.match(n)]
    # timestamps have clock-tick granularity: a listing taken in the tick of a change could
    # miss an entry made later in that tick, so only a settled directory's listing is kept
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _SETTLED_NS:
        _LISTINGS[d] = (stamp, names)
    return names


def _versioned_on_path(path: str) -> list[tuple[int, str]]:
    """Every ``clang-NN`` executable on PATH as (NN, full path), first PATH hit per name."""
    seen: dict[str, tuple[int, str]] = {}
    for d in path.split(os.pathsep):
        try:
            names = _clang_names(d or ".")
        except OSError:
            continue
        for name in names:
            m = _VERSIONED.match(name)
            if name in seen:
                continue
            full = os.path.join(d, name)
            if os.path.isfile(full) and os.access(full, os.X_OK):
                seen[name] = (int(m.group(1)), full)
    return sorted(seen.values(), key=lambda t: -t[0])


def candidates(env: dict[str, str] | None = None) -> list[Compiler]:
    """All candidate compilers in preference order, without duplicates.

    Two names for the same file (``/usr/bin/clang`` and ``/bin/clang-22`` on a
    merged-/usr system both end at ``/usr/lib/llvm-22/bin/clang``) count once,
    under the first, more preferred, name.
    """
    env = os.environ if env is None else env
    found: list[Compiler] = []
    path = env.get("PATH", os.defpath)
    if env.get("CLANG"):
        c = from_env(env["CLANG"], path)
        if c is not None:
            found.append(c)
    plain = shutil.which("clang", path=path)
    if plain:
        found.append(Compiler("clang", (plain,), os.path.realpath(plain), "PATH"))
    for _, full in _versioned_on_path(path):
        found.append(Compiler(os.path.basename(full), (full,), os.path.realpath(full), "PATH"))
    zig = ziglang_compiler()
    if zig is not None:
        found.append(zig)
    unique: list[Compiler] = []
    keys: set[tuple] = set()
    for c in found:
        # the zig binary is "clang" only together with its subcommand
        key = (c.binary, c.argv[1:], c.base_flags)
        if key not in keys:
            keys.add(key)
            unique.append(c)
    return unique
