"""Our verdict on one program: ``pipeline.load`` + ``pipeline.verify`` through the public API.

Counterpart: the kernel's ``BPF_PROG_LOAD`` as :mod:`kernel_side` drives it.  The object is
opened like libbpf opens it there (CO-RE relocations resolved against this machine's
``/sys/kernel/btf/vmlinux``, ``.kconfig`` externs from this machine's config) and loaded once (in the harness process); each program is verified in a forked child with a
wall-clock limit and an address-space limit, so a slow or runaway verification is reported
as ``timeout``/``memory`` instead of stalling the run, and a Python exception that is not a
``pipeline.Error`` (or a verdict carrying ``internal_error``) is a ``crash`` with its last
traceback frame.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pipeline  # noqa: E402

MEMORY_LIMIT = 6 << 30


@dataclass
class OurVerdict:
    kind: str                 # "accept", "reject", "crash", "timeout", "memory"
    line: str = ""            # first line of our error (reject), exception (crash)
    insns: int | None = None  # processed insns
    seconds: float = 0.0


def _crash_text(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{where}"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


# libbpf on the kernel side resolves CO-RE relocations against this machine's BTF and
# ``__kconfig`` externs from this machine's config: ours does the same (like for like)
TARGET_BTF = "vmlinux"


def load(path: Path):
    """The pipeline Object, or an OurVerdict that applies to every program of the file.
    Opened as libbpf opens it on the kernel side: CO-RE against this machine's BTF
    (``/sys/kernel/btf/vmlinux``), ``.kconfig`` externs from this machine's config."""
    try:
        obj = pipeline.load(path, target_btf=TARGET_BTF)
        obj.programs    # noqa: B018 - relocate once here, not in every forked child
        return obj
    except pipeline.Error as e:
        return OurVerdict("reject", "load: " + _first_line(str(e)))
    except Exception as e:  # noqa: BLE001 - a crash is what we report
        return OurVerdict("crash", "load: " + _crash_text(e))


def _verify(obj, prog: str) -> OurVerdict:
    import time
    t = time.perf_counter()
    try:
        v = pipeline.verify(obj, prog)
    except pipeline.Error as e:
        return OurVerdict("reject", _first_line(str(e)), None, time.perf_counter() - t)
    except MemoryError:
        return OurVerdict("memory", "MemoryError", None, time.perf_counter() - t)
    except Exception as e:  # noqa: BLE001
        return OurVerdict("crash", _crash_text(e), None, time.perf_counter() - t)
    dt = time.perf_counter() - t
    if v.internal_error:
        last = [l for l in v.internal_error.strip().splitlines() if l.strip()]
        return OurVerdict("crash", "internal_error: " + (last[-1].strip() if last else "?"),
                          v.processed_insns, dt)
    if v.accepted:
        return OurVerdict("accept", "", v.processed_insns, dt)
    return OurVerdict("reject", _first_line(v.error_line) or "rejected (no message)",
                      v.processed_insns, dt)


def _child(conn, obj, prog):
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ValueError, OSError):
        pass
    conn.send(_verify(obj, prog))
    conn.close()


def verify(obj, prog: str, timeout: float) -> OurVerdict:
    """Verify ``prog`` of the loaded ``obj`` in a forked child, at most ``timeout`` seconds."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(send, obj, prog), daemon=True)
    p.start()
    send.close()
    result = None
    if recv.poll(timeout):
        try:
            result = recv.recv()
        except EOFError:
            result = None
    if result is None and p.is_alive():
        p.kill()
        p.join()
        return OurVerdict("timeout", f"no verdict within {timeout:g} s", None, timeout)
    p.join()
    if result is None:
        return OurVerdict("crash", f"verifier process died (exit code {p.exitcode})")
    return result
