"""A content-addressed cache of compiled objects (what ccache's "direct mode" does).

An entry is found by a key over everything that decides the object without reading the
headers: this cache's format, the toolchain's own code (every ``toolchain/**/*.py`` and
shipped header, so another lowering never reuses an object), the compiler (resolved
binary, size, mtime, version), the whole clang command line (our flags, the user's,
header search, ``-mcpu``/``-O``, the path native/lowered, the output kind), the source
file's name and bytes, the working directory (DWARF records it) and the environment
variables clang reads for include paths.  The entry then names every header the compile
read (clang's ``-MD`` dependency list) with its SHA-256; it is used only when every one
of them still hashes the same, and when no header could now be found *before* one of
them: for each header, its name relative to the search directory it was found under is
looked up under every include search directory (and the source's), and a file appearing
or disappearing at any of those places misses.  (Not modelled: ``#include "../x.h"``
climbing out of a search directory other than the one it was found through.)

Entries are written only after a successful compile and self-check, and never when a
file the compile read was modified at or after the moment the compile started (the
object might mix old and new contents).  Writes go through a temporary file and a
rename; a cache that cannot be read or written only costs time.  The directory is
``$XDG_CACHE_HOME/stackargs/objects`` (or ``~/.cache/stackargs/objects``); at most
:data:`MAX_ENTRIES` entries are kept (the least recently used go first).

Kernel counterpart: none (libbpf and the kernel never see the cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

FORMAT = 1
MAX_ENTRIES = 2000
# environment variables that change what clang's preprocessor finds
CLANG_ENV = ("CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH",
             "SOURCE_DATE_EPOCH")
_SALT: str | None = None


def cache_dir(env=None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "stackargs" / "objects"


def _toolchain_salt() -> str:
    """SHA-256 over the toolchain package's sources and shipped headers (once per process)."""
    global _SALT
    if _SALT is None:
        h = hashlib.sha256(f"stackargs-objects-{FORMAT}".encode())
        root = Path(__file__).resolve().parent
        files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".h") and p.is_file()
                       and "__pycache__" not in p.parts)
        for p in files:
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(p.read_bytes())
        _SALT = h.hexdigest()
    return _SALT


def _file_hash(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def key(src: Path, source: bytes, command: list[str], compiler_binary: str,
        compiler_version: str | None, extra: dict) -> str | None:
    """The entry key, or None when the compiler cannot be identified."""
    try:
        real = os.path.realpath(compiler_binary)
        st = os.stat(real)
        cwd = os.getcwd()
        salt = _toolchain_salt()
    except OSError:
        return None
    env = {k: os.environ[k] for k in CLANG_ENV if k in os.environ}
    blob = json.dumps([salt, real, st.st_size, st.st_mtime_ns, compiler_version,
                       command, str(src), cwd, env, extra], sort_keys=True)
    h = hashlib.sha256(blob.encode())
    h.update(hashlib.sha256(source).digest())
    return h.hexdigest()


def parse_depfile(text: str) -> list[str]:
    """The prerequisites of a make rule as clang's ``-MD`` writes it (``\\ `` escapes a
    space, a backslash-newline continues the line)."""
    text = text.replace("\\\n", " ")
    _, sep, deps = text.partition(": ")
    if not sep:
        return []
    out, cur, i = [], [], 0
    while i < len(deps):
        c = deps[i]
        if c == "\\" and i + 1 < len(deps) and deps[i + 1] in " #":
            cur.append(deps[i + 1])
            i += 2
            continue
        if c.isspace():
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        out.append("".join(cur))
    return out


def _probe_paths(deps: list[str], search_dirs: list[str]) -> dict[str, bool]:
    """Every place a header could be found instead of where it was: its name relative to
    the search directory it sits under, joined to every search directory (the source's
    own directory included), each with whether a file is there now."""
    dirs = [d.rstrip("/") or "/" for d in dict.fromkeys(search_dirs)]
    dirs += [os.path.dirname(d) for d in deps if not any(d.startswith(s + "/") for s in dirs)]
    dirs = list(dict.fromkeys(dirs))
    rels = {dep[len(s) + 1:] for dep in deps for s in dirs if dep.startswith(s + "/")}
    return {p: os.path.isfile(p) for p in (os.path.join(s, r) for s in dirs for r in rels)}


def _entry_paths(k: str, env=None) -> tuple[Path, Path]:
    d = cache_dir(env) / k[:2]
    return d / f"{k}.json", d / f"{k}.o"


def lookup(k: str, out: Path) -> dict | None:
    """Copy the entry's object to ``out`` and return its record, or None (a miss)."""
    meta_path, obj_path = _entry_paths(k)
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    for dep, digest in meta.get("deps", {}).items():
        if _file_hash(dep) != digest:
            return None
    for p, there in meta.get("probes", {}).items():
        if os.path.isfile(p) != there:
            return None
    try:
        shutil.copyfile(obj_path, out)
        os.utime(meta_path)                  # recently used
    except OSError:
        return None
    return meta.get("result")


def store(k: str, out: Path, depfile: Path, search_dirs: list[str], started_ns: int,
          result: dict) -> bool:
    """Record ``out`` under ``k``; False when it is not safe (a file read by the compile
    changed after it started) or the cache cannot be written."""
    try:
        deps = parse_depfile(depfile.read_text())
    except OSError:
        return False
    if not deps:
        return False
    deps = [os.path.abspath(d) for d in deps]
    hashes = {}
    for d in deps:
        try:
            if os.stat(d).st_mtime_ns >= started_ns - 1_000_000_000:
                return False                 # too new to trust (coarse timestamps): no entry
        except OSError:
            return False
        digest = _file_hash(d)
        if digest is None:
            return False
        hashes[d] = digest
    meta = {"format": FORMAT, "deps": hashes, "probes": _probe_paths(deps, search_dirs),
            "result": result, "stored": time.time()}
    meta_path, obj_path = _entry_paths(k)
    try:
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        for data, dest in ((out.read_bytes(), obj_path), (json.dumps(meta).encode(), meta_path)):
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, dest)
    except OSError:
        return False
    _prune()
    return True


def _prune(env=None) -> None:
    """Keep at most MAX_ENTRIES entries, dropping the least recently used."""
    root = cache_dir(env)
    try:
        metas = [p for d in root.iterdir() if d.is_dir() for p in d.glob("*.json")]
    except OSError:
        return
    if len(metas) <= MAX_ENTRIES:
        return
    def mtime(p):
        try:
            return p.stat().st_mtime
        except OSError:
            return 0
    metas.sort(key=mtime)
    for p in metas[:len(metas) - MAX_ENTRIES // 2]:
        for q in (p, p.with_suffix(".o")):
            try:
                q.unlink()
            except OSError:
                pass
