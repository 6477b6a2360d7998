"""Run a verified JIT :class:`jit.Image` as real x86-64 machine code, in a child process.

The kernel counterpart is the JIT'd program running in the kernel (``bpf_prog_run`` of an
image from arch/x86/net/bpf_jit_comp.c); this is DESIGN.md §6's ``native`` engine.  The
parent forks; the child

* maps every region of the :class:`pipeline.testrun.TestRun` at its fixed address
  (``mmap(MAP_FIXED_NOREPLACE)``, read-only regions ``mprotect``\\ ed after the copy), so the
  addresses linked into the image and stored in the context are real;
* links the entry program and its tail-call targets into one block placed by the kernel
  after a trampoline area, written while the block is read-write and then ``mprotect``\\ ed
  read+execute (never writable and executable at once);
* reaches helpers and kfuncs through stubs in that block that record the return address
  and jump to ``ctypes`` callbacks running the Python implementations (``fn(vm, *args)``,
  as in :mod:`pipeline.exec_unicorn`); ``bpf_tail_call``'s and LD_ABS's stubs call through
  and can redirect the return (the calling function's epilogue; LD_ABS's out-of-range flag
  in rdx);
* catches SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP with a machine-code handler on an alternate
  stack that writes (signal, rip, fault address) to the result pipe and exits; and, where
  the kernel allows it, installs a seccomp filter refusing execve/execveat/open/openat/
  openat2/socket/ptrace/fork/vfork/clone/clone3 (EPERM: no new processes or threads either)
  before running the program;
* sends back r0, every region's bytes, hash map slots, kfunc calls and trace lines
  (pickled) over a pipe.

The parent reads with a wall-clock limit (default :data:`DEFAULT_TIMEOUT` s), kills the
child when it runs over, and turns a signal into a runtime error naming the BPF instruction
(``image.insn_at(rip - base)``).  The parent never runs JIT code itself.
"""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import select
import signal
import struct
import time

from isa.ints import U64
from jit.image import HELPER_STRIDE, MAX_HELPER_ID, LinkError, Target

from .vm import InterpError, MemoryFault, ProgramExit, TailCallReturn, Thrown
from .kernel import timers
from .native_code import (FAULT_MAGIC, PER_RUN_HELPERS, REPEAT_AT, REPEAT_LOOP, fault_handler,
                          jmp_rel32, stub_code)

DEFAULT_TIMEOUT = 10.0
PAGE = 0x1000
_SIGNALS = {signal.SIGSEGV: "SIGSEGV", signal.SIGBUS: "SIGBUS", signal.SIGILL: "SIGILL",
            signal.SIGFPE: "SIGFPE", signal.SIGTRAP: "SIGTRAP"}
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED_NOREPLACE = 0x02, 0x20, 0x100000
_KFUNC_SLOTS = 0x1000                  # bytes of kfunc slots (HELPER_STRIDE each)
_STUB_AREA = 0x4000                    # bytes of stubs, each packed at its own length
_STUB_ALIGN = 16


class NativeError(Exception):
    """A run that could not complete natively (the parent makes it a runtime error)."""

    def __init__(self, message: str, pc: int | None = None):
        super().__init__(message)
        self.message, self.pc = message, pc


def available() -> str | None:
    """None when this host can run native code; else why not."""
    system, machine = _host()
    if system != "Linux" or machine not in ("x86_64", "AMD64"):
        return f"engine 'native' needs an x86-64 Linux host (this is {system} {machine})"
    return None


def _host() -> tuple[str, str]:
    """(``platform.system()``, ``platform.machine()``) without importing :mod:`platform`."""
    try:
        u = os.uname()
    except AttributeError:          # not POSIX
        import platform
        return platform.system(), platform.machine()
    return u.sysname, u.machine


def _page(n: int) -> int:
    return (n + PAGE - 1) & ~(PAGE - 1)


# --- parent ---------------------------------------------------------------------------------

def run(prog_name: str, image, run_state, helpers: dict, kfuncs: dict, *, repeat: int = 1,
        timeout: float | None = None, targets: dict | None = None,
        args: tuple | None = None, exception_cbs: dict | None = None) -> dict:
    """Fork, run natively, return the child's results: ``r0``, ``ended_by``,
    ``duration_ns``, ``regions`` (name -> bytes), ``maps`` (name -> (slots, free, rb_head)),
    ``calls``, ``trace``.  ``args``: r1..r5 of the entry (default: the context's address).
    ``exception_cbs``: program name -> first slot of its exception callback (bpf_throw).
    Raises :class:`NativeError` (fault, time limit, helper error)."""
    why = available()
    if why:
        raise NativeError(why)
    limit = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:                                  # child: never returns
        # no cyclic GC in the child: a collection would touch every object of the
        # parent's heap and copy each page (copy-on-write), milliseconds per run
        gc.disable()
        os.close(rfd)
        _child(wfd, prog_name, image, run_state, helpers, kfuncs, repeat, targets or {},
               args, exception_cbs or {})
        os._exit(70)
    os.close(wfd)
    data, timed_out = bytearray(), False
    deadline = time.monotonic() + limit
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([rfd], [], [], left)
            if not ready:
                continue
            chunk = os.read(rfd, 1 << 16)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(rfd)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise NativeError(f"time limit of {limit:g} s exceeded (killed)")
    return _decode(bytes(data), status, image, targets or {}, prog_name)


def _decode(data: bytes, status: int, image, targets: dict, prog_name: str) -> dict:
    if len(data) >= 32 and struct.unpack_from("<Q", data)[0] == FAULT_MAGIC:
        sig, rip, addr = struct.unpack_from("<QQQ", data, 8)
        layout = _layout(prog_name, image, targets)
        pc, where = None, "outside the program's code"
        for name, (off, img) in layout["images"].items():
            base = layout["base"] + off
            if base <= rip < base + len(img.code):
                pc = img.insn_at(rip - base)
                inside = "" if name == prog_name else f" of tail-called program {name}"
                where = (f"at insn {pc}{inside}" if pc is not None
                         else f"in a prologue or epilogue{inside}")
                break
        what = _SIGNALS.get(sig, f"signal {sig}")
        extra = f", address {addr:#x}" if sig in (signal.SIGSEGV, signal.SIGBUS) else ""
        raise NativeError(f"{what} {where} (rip {rip:#x}{extra})", pc)
    if data[:1] == b"R":
        return pickle.loads(data[1:])
    if data[:1] == b"E":
        msg, pc = pickle.loads(data[1:])
        raise NativeError(msg, pc)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        raise NativeError(f"the native run died of {_SIGNALS.get(sig, f'signal {sig}')}")
    raise NativeError(f"the native run ended without a result (status {status:#x})")


def _layout(prog_name, image, targets) -> dict:
    """Offsets in the code block: trampolines, stubs, then each image on its own pages.
    ``base`` is filled in by the child (and reported back through the fault record's rip
    only relative to it, so the parent recomputes it the same way)."""
    off = _page(MAX_HELPER_ID * HELPER_STRIDE + _KFUNC_SLOTS + _STUB_AREA)
    images = {}
    for name, img in [(prog_name, image), *((n, t) for n, t in targets.items())]:
        images[name] = (off, img)
        off += _page(max(len(img.code), 1))
    return {"base": _BLOCK_BASE, "images": images, "size": off}


# The code block's address: fixed (MAP_FIXED_NOREPLACE) so the parent can map a fault's rip
# back to an image without another message; below DATA_BASE, above the unicorn code area.
_BLOCK_BASE = 0x0800_0000


# --- child ----------------------------------------------------------------------------------

_libc = None


def _lib():
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.mmap.restype = ctypes.c_void_p
        lib.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                             ctypes.c_int, ctypes.c_long]
        lib.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        lib.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                              ctypes.c_ulong]
        _libc = lib
    return _libc


def _mmap_fixed(addr: int, size: int, what: str) -> None:
    lib = _lib()
    got = lib.mmap(addr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
                   | MAP_FIXED_NOREPLACE, -1, 0)
    if got != addr:
        err = ctypes.get_errno()
        raise NativeError(f"cannot map {what} at {addr:#x}: {os.strerror(err) if err else 'taken'}")


def _protect(addr: int, size: int, prot: int) -> None:
    if _lib().mprotect(addr, size, prot):
        raise NativeError(f"mprotect({addr:#x}) failed: {os.strerror(ctypes.get_errno())}")


class NativeMemory:
    """The :class:`pipeline.vm.Memory` interface over the child's real memory; every
    access a helper makes is checked against the regions first."""

    def __init__(self):
        self.regions: list[tuple[str, int, int, bool]] = []
        self._next_dyn = 0x4000_0000

    def add(self, name: str, base: int, data, writable: bool = True):
        size = _page(max(len(data), 1))
        _mmap_fixed(base, size, f"region {name}")
        if data:
            ctypes.memmove(base, bytes(data), len(data))
        if not writable:
            _protect(base, size, PROT_READ)
        self.regions.append((name, base, len(data), writable))
        return _RegionRef(name, base)

    def map(self, name: str, data, base: int | None = None, writable: bool = True):
        if base is None:
            base = self._next_dyn
            self._next_dyn += _page(max(len(data), 1)) + PAGE
        return self.add(name, base, data, writable)

    def find(self, addr: int, size: int, write: bool):
        for name, base, n, writable in self.regions:
            if base <= addr and addr + size <= base + n:
                if write and not writable:
                    raise MemoryFault(f"write of {size} bytes to read-only region {name} "
                                      f"at {addr:#x}")
                return name
        raise MemoryFault(f"invalid memory {'write' if write else 'read'} of {size} bytes "
                          f"at {addr:#x}")

    def read(self, addr: int, size: int) -> bytes:
        addr &= U64
        if size <= 0:
            return b""
        self.find(addr, size, False)
        return ctypes.string_at(addr, size)

    def write(self, addr: int, data: bytes) -> None:
        addr &= U64
        if data:
            self.find(addr, len(data), True)
            ctypes.memmove(addr, bytes(data), len(data))

    def load(self, addr: int, size: int, pc: int | None = None) -> int:
        return int.from_bytes(self.read(addr, size), "little")

    def store(self, addr: int, size: int, value: int, pc: int | None = None) -> None:
        self.write(addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))


def _native_stack() -> tuple[int, int]:
    """(base, size) of this process's main-thread stack, where the program's frames live."""
    with open("/proc/self/maps") as f:
        for line in f:
            if line.rstrip().endswith("[stack]"):
                lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                return lo, hi - lo
    raise NativeError("cannot find the process stack in /proc/self/maps")


class _RegionRef:
    def __init__(self, name, base):
        self.name, self.base = name, base


_U64 = ctypes.c_uint64


class _Child:
    """Everything the child sets up; also the ``vm`` helpers and kfuncs get."""

    def __init__(self, wfd, prog_name, image, run_state, helpers, kfuncs, targets):
        self.wfd, self.run = wfd, run_state
        self.memory = NativeMemory()
        self.kernel_state = None
        self.helpers, self.kfuncs = helpers, kfuncs
        self.layout = _layout(prog_name, image, targets)
        self.base = self.layout["base"]
        self._keep = []                         # ctypes callbacks must outlive the run
        self._stubs: dict[tuple[str, int], int] = {}
        self._next_kfunc = self.base + MAX_HELPER_ID * HELPER_STRIDE
        self._next_stub = self._next_kfunc + _KFUNC_SLOTS
        self._stub_end = self._next_stub + _STUB_AREA
        for r in run_state.regions:
            self.memory.add(r.name, r.base, r.data, r.writable)
        self.memory.regions.append(("stack", *_native_stack(), True))   # BPF stacks live here
        cells = self.memory.map("native:cells", bytes(64))
        self.cells = cells.base                  # +0 return address, +8 flag, +16 target
        self.memory.regions.pop()                # not a region programs or helpers may use
        size = self.layout["size"]
        _mmap_fixed(self.base, size + PAGE, "the code block")
        self.handler = self.base + size
        self.code = {}
        self.programs = {}
        for name, (off, img) in self.layout["images"].items():
            linked = img.link(self.base + off, self._resolve)
            ctypes.memmove(self.base + off, linked, len(linked))
            self.code[name] = (self.base + off, img)
            self.programs[name] = self.base + off + img.entry
        self.exception_cbs: dict[str, int] = {}   # program name -> its callback's address
        self.exception_cb = 0                      # the running program's (bpf_throw)
        self._write(self.handler, fault_handler(wfd))
        self.repeat_loop = self.handler + REPEAT_AT
        self._write(self.repeat_loop, REPEAT_LOOP)
        _protect(self.base, size + PAGE, PROT_READ | PROT_EXEC)

    # -- linking -----------------------------------------------------------------------
    def _write(self, addr: int, code: bytes) -> None:
        ctypes.memmove(addr, code, len(code))

    def _resolve(self, target: Target) -> int:
        k = target.kind
        if k == "helper":
            return self._helper_slot(target.ident)
        if k == "helper_table":
            for hid in self.helpers:
                self._helper_slot(hid)
            return self.base
        if k == "ld_abs":
            return self._stub(("ld_abs", 0), self._ld_abs_cb(), "ld_abs")
        if k == "kfunc":
            key = ("kfunc", target.ident)
            if key not in self._stubs:
                slot = self._next_kfunc
                if slot + HELPER_STRIDE > self.base + MAX_HELPER_ID * HELPER_STRIDE \
                        + _KFUNC_SLOTS:
                    raise LinkError(f"kfunc {target.ident}: more than "
                                    f"{_KFUNC_SLOTS // HELPER_STRIDE} kfuncs in one run")
                self._next_kfunc += HELPER_STRIDE
                fn = self.kfuncs.get(target.ident)
                n = max(5, getattr(fn, "nr_slots", None) or 12)
                stub = self._stub(("kfunc_impl", target.ident),
                                  self._callback(fn, n, "kfunc", target.ident), "plain")
                self._write(slot, jmp_rel32(slot, stub))
                self._stubs[key] = slot
            return self._stubs[key]
        return self.run.resolve(target)

    def _helper_slot(self, hid: int) -> int:
        if not 0 <= hid < MAX_HELPER_ID:
            raise LinkError(f"helper id {hid} out of range")
        slot = self.base + HELPER_STRIDE * hid
        if ("helper", hid) not in self._stubs:
            kind = "through" if hid == 12 else "plain"
            stub = self._stub(("helper_impl", hid),
                              self._callback(self.helpers.get(hid), 5, "helper", hid), kind)
            self._write(slot, jmp_rel32(slot, stub))
            self._stubs[("helper", hid)] = slot
        return slot

    def _stub(self, key, cb_addr: int, kind: str) -> int:
        if key not in self._stubs:
            # each stub gets the bytes it needs: a fixed stride once let the tail-call stub
            # (longer than the stride) be overwritten by the next stub linked, so a
            # tail-call target calling any helper or kfunc broke its caller's return
            code = stub_code(kind, self.cells, cb_addr)
            addr = self._next_stub
            size = -(-len(code) // _STUB_ALIGN) * _STUB_ALIGN
            if addr + size > self._stub_end:
                raise LinkError(f"{key[0]} {key[1]}: the native engine's {_STUB_AREA:#x} "
                                "bytes of helper and kfunc stubs are full")
            self._next_stub += size
            self._write(addr, code)
            self._stubs[key] = addr
        return self._stubs[key]

    # -- callbacks ---------------------------------------------------------------------
    def _caller_pc(self, ret: int):
        for name, (base, img) in self.code.items():
            if base <= ret - 1 < base + len(img.code):
                return name, base, img, img.insn_at(ret - 1 - base)
        return None, 0, None, None

    def _callback(self, fn, nargs: int, kind: str, ident: int) -> int:
        proto = ctypes.CFUNCTYPE(_U64, *([_U64] * nargs))

        def call(*args):
            ret_addr = _U64.from_address(self.cells).value
            try:
                if fn is None:
                    raise InterpError(f"unknown {kind} {ident}")
                return int(fn(self, *args)) & U64
            except TailCallReturn as e:
                _, base, img, pc = self._caller_pc(ret_addr)
                if img is None or pc is None:
                    self._fail(f"tail call from {ret_addr:#x}, outside the program", None)
                _U64.from_address(self.cells + 8).value = 1
                _U64.from_address(self.cells + 16).value = \
                    base + img.func_at_slot(pc).epilogue_offset
                return e.value
            except ProgramExit as e:
                self._finish(e.value, "throw" if isinstance(e, Thrown) else "helper")
            except InterpError as e:
                pc = e.pc if e.pc is not None else self._caller_pc(ret_addr)[3]
                self._fail(e.reason, pc)
            except BaseException as e:  # noqa: BLE001 - a broken helper ends the run, reported
                self._fail(f"{kind} {ident} failed: {type(e).__name__}: {e}",
                           self._caller_pc(ret_addr)[3])
            return 0
        cb = proto(call)
        self._keep.append(cb)
        return ctypes.cast(cb, ctypes.c_void_p).value

    def _ld_abs_cb(self) -> int:
        fn = self.run.ld_abs

        def ld_abs(vm, ctx, off, size, *_):
            v = fn(vm, ctx, off & 0xFFFF_FFFF, size)
            _U64.from_address(self.cells + 8).value = 1 if v is None else 0
            return 0 if v is None else v
        return self._callback(ld_abs, 3, "ld_abs", 0)

    def set_exception_cbs(self, prog_name: str, slots: dict) -> None:
        """Program name -> first slot of its exception callback, as addresses."""
        for name, slot in slots.items():
            base, img = self.code[name]
            self.exception_cbs[name] = base + img.func_offset(slot)
        self.exception_cb = self.exception_cbs.get(prog_name, 0)

    def call(self, addr: int, *args: int, tail: bool = False) -> int:
        """Run the BPF function at ``addr`` (callbacks, timers, tail calls) natively."""
        if not any(b <= addr < b + len(i.code) for b, i in self.code.values()):
            raise InterpError(f"call to {addr:#x}, which is not code of the program")
        fn = ctypes.CFUNCTYPE(_U64, *([_U64] * 5))(addr)
        return fn(*[(a & U64) for a in (list(args) + [0] * 5)[:5]])

    # -- ending --------------------------------------------------------------------------
    def _send(self, payload: bytes) -> None:
        view = memoryview(payload)
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]

    def _fail(self, message: str, pc) -> None:
        self._send(b"E" + pickle.dumps((message, pc)))
        os._exit(1)

    def results(self, r0: int, ended_by: str, duration_ns: int = 0) -> dict:
        run = self.run
        return {"r0": r0 & U64, "ended_by": ended_by, "duration_ns": duration_ns,
                "regions": {name: ctypes.string_at(base, n)
                            for name, base, n, _ in self.memory.regions
                            if name != "stack" and not name.startswith("kernel:")},
                "maps": {m.name: (dict(m.slots), list(m.free), m.rb_head) for m in run.maps},
                "calls": list(run.calls), "trace": list(run.trace),
                "perf_events": list(run.perf_events), "warnings": list(run.warnings)}

    def _finish(self, r0: int, ended_by: str) -> None:
        self._send(b"R" + pickle.dumps(self.results(r0, ended_by)))
        os._exit(0)


def _child(wfd, prog_name, image, run_state, helpers, kfuncs, repeat, targets,
           args=None, exception_cbs=None) -> None:
    try:
        ch = _Child(wfd, prog_name, image, run_state, helpers, kfuncs, targets)
        ch.set_exception_cbs(prog_name, exception_cbs or {})
        run_state.memory = ch.memory
        ch.kernel_state = run_state
        _install_fault_handler(ch.handler)
        seccomp_filter()
        entry = ctypes.CFUNCTYPE(_U64, *([_U64] * 5))(ch.programs[prog_name])
        regs = [a & U64 for a in (list(args) if args is not None
                                  else [run_state.ctx.base]) + [0] * 5][:5]
        r0, runs = 0, max(repeat, 1)
        # CPU time of this (single-threaded) child: like the kernel's bpf_test_timer, which
        # stops its clock while the runs are rescheduled, time spent preempted is not counted
        t0 = time.thread_time_ns()
        if runs > 1 and args is None and not any(
                ("helper", h) in ch._stubs for h in PER_RUN_HELPERS):
            # the N runs in one machine-code loop: no ctypes call per run
            loop = ctypes.CFUNCTYPE(_U64, _U64, _U64, _U64)(ch.repeat_loop)
            r0 = loop(ch.programs[prog_name], regs[0], runs)
        else:
            for _ in range(runs):
                run_state.tail_calls = 0
                r0 = entry(*regs)
                run_state.tail_calls = 0
                timers.fire(run_state, ch)
        elapsed = (time.thread_time_ns() - t0) // runs
        payload = b"R" + pickle.dumps(ch.results(r0, "exit", elapsed))
    except NativeError as e:
        payload = b"E" + pickle.dumps((e.message, e.pc))
    except (InterpError, LinkError) as e:
        payload = b"E" + pickle.dumps((str(e), getattr(e, "pc", None)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, never raised there
        payload = b"E" + pickle.dumps((f"{type(e).__name__}: {e}", None))
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(wfd, view):]
    finally:
        os._exit(0)


# --- the child's signal handling and seccomp filter ----------------------------------------

class _Sigaction(ctypes.Structure):
    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ubyte * 128),
                ("flags", ctypes.c_int), ("restorer", ctypes.c_void_p)]


class _StackT(ctypes.Structure):
    _fields_ = [("sp", ctypes.c_void_p), ("flags", ctypes.c_int), ("size", ctypes.c_size_t)]


_ALTSTACK = None


def _install_fault_handler(handler: int) -> None:
    global _ALTSTACK
    lib = _lib()
    _ALTSTACK = ctypes.create_string_buffer(1 << 16)
    st = _StackT(ctypes.addressof(_ALTSTACK), 0, len(_ALTSTACK))
    if lib.sigaltstack(ctypes.byref(st), None):
        raise NativeError("sigaltstack failed")
    SA_SIGINFO, SA_ONSTACK = 4, 0x08000000
    for sig in _SIGNALS:
        act = _Sigaction(handler, (ctypes.c_ubyte * 128)(), SA_SIGINFO | SA_ONSTACK, None)
        if lib.sigaction(int(sig), ctypes.byref(act), None):
            raise NativeError(f"sigaction({sig}) failed")


# seccomp: refuse these system calls (x86-64 numbers) with EPERM
_FORBIDDEN = {"open": 2, "socket": 41, "clone": 56, "fork": 57, "vfork": 58, "execve": 59,
              "ptrace": 101, "openat": 257, "execveat": 322, "clone3": 435, "openat2": 437}


def seccomp_filter() -> bool:
    """Install the child's seccomp filter (PR_SET_NO_NEW_PRIVS + SECCOMP_MODE_FILTER);
    False when the kernel refuses (the run goes on without it)."""
    BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x06
    ALLOW, ERRNO_EPERM, KILL = 0x7FFF0000, 0x00050001, 0x80000000
    AUDIT_ARCH_X86_64 = 0xC000003E
    nrs = sorted(_FORBIDDEN.values())
    prog = [(BPF_LD_W_ABS, 0, 0, 4), (BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64), (BPF_RET_K, 0, 0, KILL),
            (BPF_LD_W_ABS, 0, 0, 0), (BPF_JGE_K, len(nrs) + 1, 0, 0x40000000)]   # x32: refuse
    for i, nr in enumerate(nrs):
        prog.append((BPF_JEQ_K, len(nrs) - i, 0, nr))
    prog += [(BPF_RET_K, 0, 0, ALLOW), (BPF_RET_K, 0, 0, ERRNO_EPERM)]
    raw = b"".join(struct.pack("<HBBI", *f) for f in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = struct.pack("<HxxxxxxQ", len(prog), ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    lib = _lib()
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
        return False
    return lib.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fbuf), 0, 0) == 0
