"""The CLI's cache of the code :mod:`dataclasses` generates (kernel counterpart: none).

Every ``@dataclass`` writes the source of its ``__init__``/``__repr__``/``__eq__``/... and
compiles it with ``exec(text, ...)`` when its module is imported: about 80 classes on the
way to ``python -m pipeline run``, and compiling their functions is over a third of the
process's own CPU time once the modules' bytecode is cached.  :func:`install` gives the
``dataclasses`` module an ``exec`` that compiles each distinct text once and keeps the code
object (``marshal``) in ``$XDG_CACHE_HOME/stackargs/dataclass-code/`` (``~/.cache`` by
default), keyed by the text itself and named by the interpreter's bytecode magic number:
the same text always compiles to the same code, so an entry is never stale; what is run is
exactly what ``exec(text)`` would run.  A missing, unreadable or corrupt cache file is
ignored; new entries are written at exit (through a temporary file and ``os.replace``,
only by the process that installed the hook, not by forked children).
``STACKARGS_NO_BYTECODE=1`` turns it off, as it turns off :func:`pipeline.cli.ensure_bytecode`.
"""

from __future__ import annotations

import os
import sys

MAX_ENTRIES = 4096          # past this (many edited versions) only this process's entries are kept
_state: dict = {}


def cache_file(env=None) -> str:
    import importlib.util
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = importlib.util.MAGIC_NUMBER.hex()
    return os.path.join(base, "stackargs", "dataclass-code",
                        f"{sys.implementation.cache_tag}-{tag}.marshal")


def install() -> None:
    """Route the ``exec`` of :mod:`dataclasses` through the code cache (once per process)."""
    if _state or os.environ.get("STACKARGS_NO_BYTECODE"):
        return
    import dataclasses
    import marshal
    path = cache_file()
    try:
        with open(path, "rb") as f:
            codes = marshal.load(f)
        if not isinstance(codes, dict):
            codes = {}
    except Exception:       # noqa: BLE001 - no cache, or one we cannot use: start empty
        codes = {}
    used: set[str] = set()
    _state.update(path=path, codes=codes, used=used, new=0, pid=os.getpid())
    builtin_exec = exec

    def cached_exec(source, globals=None, locals=None, /):
        if type(source) is str:
            code = codes.get(source)
            if code is None:
                # dont_inherit: not this module's __future__ flags (exec(text) in dataclasses has none)
                code = codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
                _state["new"] += 1
            used.add(source)
            source = code
        return builtin_exec(source, globals, locals)

    dataclasses.exec = cached_exec
    import atexit
    atexit.register(_save)


def _save() -> None:
    if not _state.get("new") or _state["pid"] != os.getpid():
        return
    import marshal
    import tempfile
    path, codes = _state["path"], _state["codes"]
    if len(codes) > MAX_ENTRIES:
        codes = {k: codes[k] for k in _state["used"]}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, part = tempfile.mkstemp(prefix=".dataclass-code.", suffix=".part",
                                    dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "wb") as f:
                marshal.dump(codes, f)
            os.replace(part, path)
        except BaseException:
            os.unlink(part)
            raise
    except OSError:
        pass                # an unwritable cache costs only the compile next time
    _state["new"] = 0
