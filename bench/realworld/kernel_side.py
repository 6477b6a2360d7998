"""The kernel's verdict on one program of an object: libbpf 1.5 (the in-tree one) + BPF_PROG_LOAD.

Counterpart: what ``test_progs`` does for one program: ``bpf_object__open_file``, autoload
only that program (also a ``?``-section one), ``bpf_object__load`` (maps created, globals,
relocations, kfunc externs resolved by libbpf), the verdict from the kernel.  The accepted
program's ``verified_insns`` comes from ``BPF_OBJ_GET_INFO_BY_FD``; a rejected one is loaded
again at log level 1 into a 16 MiB buffer (the kernel keeps the log's tail) for its last line.

libbpf's own messages are captured through ``libbpf_set_print`` (formatted with the C
library's ``vsnprintf``): when libbpf stops before the kernel verifies the program (no
verifier log) its last message is the reason.  The syscall plumbing, ``ProgInfo`` and the
typed libbpf entry points are tests/oracles/kernel.py's and kernel_objects.py's; only the library differs (the
system libbpf 1.1 predates many sections and relocations these selftests use).
"""

from __future__ import annotations

import ctypes
import errno as _errno
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.oracles import kernel, kernel_objects  # noqa: E402

LOG_SIZE = 16 << 20
_PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_libc = ctypes.CDLL(None)
_libc.vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
_PROCESSED = re.compile(r"processed (\d+) insns")
_GENERIC = re.compile(r"failed to load object|failed to load: -\d+$|failed to load BPF "
                      r"skeleton|-- (BEGIN|END) |permission error while running as root|"
                      r"BTF is optional|Retrying without BTF|failed to prepare load attributes")
_SLOT = re.compile(r"failed to initialize slot \[\d+\] to prog '([^']+)'")
# libbpf stopped before the verifier for a reason of this machine or of the test's own setup
# (a module that is not loaded, an attach target the test sets at run time, a map sized at
# run time, EPERM for tracing/LSM/sleepable programs here): not a verdict.
ENVIRONMENT = [
    (re.compile(r"Operation not permitted"), "EPERM here (tracing, LSM, sleepable, arena)"),
    (re.compile(r"bpf_testmod"), "needs bpf_testmod (not loaded here)"),
    (re.compile(r"not found in kernel or module BTFs|not found in kernel BTF|"
                r"failed to find kernel BTF type ID|\(strong\): not resolved"),
     "kfunc, ksym or attach target missing from this kernel's BTF"),
    (re.compile(r"attach program FD is not set|no BTF-based attach target"),
     "attach target set by the test at run time (freplace, fentry on a prog)"),
    (re.compile(r"failed to find BTF for extern|unrecognized extern section"),
     "needs static linking (bpftool gen object)"),
    (re.compile(r"failed to create"), "a map the test sizes or sets up at run time"),
    (re.compile(r"BPF program load failed: Invalid argument"),
     "program type refused by this kernel before verification"),
    (re.compile(r"prog-array initialiser"), "a tail-call target of the object is rejected"),
]


@dataclass
class KernelVerdict:
    accepted: bool
    errno: int = 0
    insns: int | None = None       # verified_insns (accepted) or the log's "processed N insns"
    line: str = ""                 # the verifier log's verdict line
    log: str = ""
    libbpf: str = ""               # libbpf's last message (warnings and errors)
    reached_verifier: bool = True  # False: libbpf stopped before the kernel verified it

    @property
    def environment(self) -> str | None:
        """Why this is not a verdict (see ENVIRONMENT), or None."""
        text = self.libbpf if not self.reached_verifier else self.line
        if self.reached_verifier and "bpf_testmod" not in text:
            return None
        for pat, label in ENVIRONMENT:
            if pat.search(text):
                return label
        return None


class Libbpf:
    """One loaded libbpf.so plus a message sink."""

    def __init__(self, so_path: str | os.PathLike):
        self.lib = kernel_objects._Libbpf(ctypes.CDLL(str(so_path), use_errno=True))
        self.messages: list[str] = []
        buf = ctypes.create_string_buffer(4096)

        def _print(level, fmt, args):
            _libc.vsnprintf(buf, len(buf), fmt, args)
            text = buf.value.decode(errors="replace").strip()
            if text and level == 0:      # LIBBPF_WARN only; a multi-line one by its first
                self.messages.append(text.splitlines()[0])
            return 0

        self._cb = _PRINT_FN(_print)     # keep a reference: libbpf holds the pointer
        self.lib.libbpf_set_print(ctypes.cast(self._cb, ctypes.c_void_p))

    def programs(self, path: Path) -> list[tuple[str, str]] | str:
        """(name, section) of every program, or libbpf's reason it cannot open the object."""
        lb = self.lib
        self.messages.clear()
        obj = lb.bpf_object_open_file(os.fsencode(path), None)
        if not obj or lb.libbpf_get_error(obj):
            return self._reason("bpf_object__open failed")
        try:
            return [(lb.bpf_program_name(p).decode(), lb.bpf_program_section_name(p).decode())
                    for p in kernel_objects._programs(lb, obj)]
        finally:
            lb.bpf_object_close(obj)

    def _reason(self, default: str) -> str:
        """libbpf's last specific warning (not its closing "failed to load object")."""
        errs = [m for m in self.messages if not _GENERIC.search(m)]
        return (errs or self.messages or [default])[-1]

    def load(self, path: Path, prog: str, log_level: int = 0,
             also: frozenset = frozenset()) -> KernelVerdict:
        """Load ``prog`` (and the programs in ``also``: tail-call targets that the object's
        prog-array initialisers name) of the object at ``path``."""
        lb = self.lib
        self.messages.clear()
        obj = lb.bpf_object_open_file(os.fsencode(path), None)
        if not obj or lb.libbpf_get_error(obj):
            return KernelVerdict(False, _errno.EINVAL, libbpf=self._reason("open failed"),
                                 reached_verifier=False)
        try:
            target = None
            for p in kernel_objects._programs(lb, obj):
                if target is None and lb.bpf_program_name(p).decode() == prog:
                    target = p
                    lb.bpf_program_set_autoload(p, True)
                else:
                    lb.bpf_program_set_autoload(p, lb.bpf_program_name(p).decode() in also)
            if target is None:
                return KernelVerdict(False, _errno.ENOENT, libbpf=f"no program {prog}",
                                     reached_verifier=False)
            buf = None
            if log_level:
                buf = ctypes.create_string_buffer(LOG_SIZE)
                lb.bpf_program_set_log_buf(target, buf, LOG_SIZE)
            lb.bpf_program_set_log_level(target, log_level)
            rc = lb.bpf_object_load(obj)
            log = buf.value.decode(errors="replace") if buf is not None else ""
            if rc == 0:
                fd = lb.bpf_program_fd(target)
                insns = kernel.prog_info(fd).verified_insns if fd >= 0 else None
                return KernelVerdict(True, 0, insns, log=log, libbpf=self._reason(""))
            err = -rc if rc < 0 else _errno.EINVAL
            m = _PROCESSED.search(log)
            line = kernel.LoadResult(False, log=log).error_line if log else ""
            return KernelVerdict(False, err, int(m.group(1)) if m else None, line, log,
                                 self._reason(os.strerror(err)), reached_verifier=bool(log))
        finally:
            lb.bpf_object_close(obj)

    def verdict(self, path: Path, prog: str) -> KernelVerdict:
        """Load at level 0; a rejection is loaded again at level 1 for the log.  libbpf fills
        prog arrays' ``.values`` initialisers after loading the programs and fails when a
        named program was not loaded: those are loaded too, as test_progs loads them."""
        also: set[str] = set()
        while True:
            v = self.load(path, prog, 0, frozenset(also))
            m = _SLOT.search(v.libbpf)
            if v.accepted or not m or m.group(1) in also or len(also) > 16:
                break
            also.add(m.group(1))
        if v.accepted:
            return v
        failed = re.search(r"prog '([^']+)'", v.libbpf)
        if failed and failed.group(1) in also:
            v.libbpf = f"prog-array initialiser target {failed.group(1)!r} failed: {v.libbpf}"
            v.reached_verifier = False
            return v
        again = self.load(path, prog, 1, frozenset(also))
        if again.accepted:            # a log-level-dependent verdict: report it as it is
            return again
        if not again.errno:
            again.errno = v.errno
        return again
