"""Running a verified program: the engines behind :func:`pipeline.run` (``BPF_PROG_TEST_RUN``).

``native`` runs the JIT's x86-64 image as machine code in a child process
(:mod:`pipeline.exec_native`; the default for verified programs on an x86-64 Linux host, see
:func:`default_engine`); ``unicorn`` runs the same image emulated (:mod:`pipeline.exec_unicorn`);
``interp`` runs the reference interpreter (:mod:`pipeline.interp`) on the same memory layout.
All three get the per-run kernel (:class:`pipeline.testrun.TestRun`), its helpers by id
(:mod:`pipeline.kernel.helpers`) and the mock kernel's kfuncs by BTF id; timers armed by a
run fire after it returns (:mod:`pipeline.kernel.timers`), on the same engine.  ``repeat`` runs N
times (maps and globals persist between runs, as in the kernel's repeat) and reports the
last result; ``duration_ns`` is measured around the N runs only.  What the run left (maps,
ring buffer and perf records, globals, the output packet) is decoded by :mod:`pipeline.show`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from isa import opcodes as op
from isa.ints import U32, U64
from isa.uapi import BPF_FUNC_tail_call
from jit import LinkError

from . import exec_native, show
from .errors import BAD_INPUT, REJECTED, UserError
from .interp import CODE_BASE, Interpreter
from .vm import InterpError, InvalidInsn, Memory
from .kernel import helpers as kernel_helpers
from .kernel import timers
from .testrun import TestRun
from .watchdog import WATCHDOG

ENGINES = ("unicorn", "interp", "native")


def default_engine(verify: bool = True) -> str:
    """``native`` (the JIT's image as machine code) on an x86-64 Linux host for verified
    programs; ``unicorn`` elsewhere and for unverified ones (native refuses those)."""
    return "native" if verify and exec_native.available() is None else "unicorn"
MAX_INSNS = 50_000_000
DEFAULT_TIMEOUT = 10.0      # seconds: the wall-clock bound of a verified unicorn run


@dataclass
class Result:
    """What a run did."""
    prog: str
    retval: int                      # u32, as BPF_PROG_TEST_RUN reports it
    r0: int                          # the full 64-bit r0
    engine: str
    repeat: int
    duration_ns: int                 # per run, around the runs only
    kfunc_calls: list                # [{"name", "args", "ret"}]
    output: list                     # bpf_trace_printk lines
    verdict: object = None           # the verifier.Verdict (None with verify=False)
    image: object = field(default=None, repr=False)   # the jit.Image run by unicorn
    ended_by: str = "exit"
    perf_events: list = field(default_factory=list)   # [{"map", "cpu", "data": bytes}]
    packet: bytes | None = None      # data_out: the packet after the run (skb/xdp)
    left: object = field(default=None, repr=False)    # pipeline.show.Snapshot

    @property
    def globals(self) -> dict:
        """Global variable name -> value after the run, decoded through BTF."""
        return self.left.globals

    @property
    def maps(self) -> dict:
        """Map name -> {"type", "entries": [as bpftool -j map dump prints them]}."""
        return self.left.maps

    @property
    def ringbuf(self) -> list:
        """Committed ring buffer records in order: [{"map", "data": bytes}]."""
        return self.left.ringbuf


def execute(obj, prog, linked, *, image=None, verdict=None, engine: str | None = None,
            data: bytes | None = None, values: dict | None = None, repeat: int = 1,
            max_insns: int = MAX_INSNS, run: TestRun | None = None,
            targets: dict | None = None, timeout: float | None = None) -> Result:
    """Run ``prog`` (``linked``: its kernel-bound instructions; ``image``: its JIT image,
    needed by unicorn) on a fresh :class:`TestRun` (or the one given).  ``targets``: the
    programs its prog arrays hold (``run.prog_arrays``), name -> (``Linked``, image),
    loaded next to it for tail calls.  ``timeout``: wall-clock seconds for all ``repeat``
    runs (native: default 10; the others: none, ``max_insns`` bounds them)."""
    engine = engine or default_engine(verdict is not None)
    if engine not in ENGINES:
        raise UserError("usage", f"engine '{engine}' is not available ({', '.join(ENGINES)})",
                        None, BAD_INPUT)
    run = run or TestRun(obj, prog, data, values)
    helpers = kernel_helpers.bind(kernel_helpers.table(), run)
    targets = targets or {}
    kernel = next((lk.kernel for lk in [linked, *(t[0] for t in targets.values())]
                   if lk.kernel is not None), None)
    kfuncs = kernel.kfunc_table() if kernel is not None else {}
    ex_cbs = _exception_cb_slots(obj, [prog.name, *targets])
    if engine == "native":
        tail_calls = any(i.code == op.CALL_OP and i.src == 0 and i.imm == BPF_FUNC_tail_call
                         for lk in [linked, *(t[0] for t in targets.values())]
                         for i in lk.insns)
        return _native(prog, image, run, helpers, kfuncs, verdict, repeat, timeout, targets,
                       ex_cbs, tail_calls)
    try:
        if engine == "unicorn":
            vm, step, read = _unicorn(prog, image, run, helpers, kfuncs, max_insns,
                                      {n: t[1] for n, t in targets.items()})
            vm.exception_cbs = {
                n: vm.programs[n] - img.entry + img.func_offset(slot)
                for n, slot in ex_cbs.items()
                for img in [image if n == prog.name else targets[n][1]]}
        else:
            vm, step, read = _interp(prog, linked.insns, run, helpers, kfuncs, max_insns,
                                     {n: t[0].insns for n, t in targets.items()})
            vm.exception_cbs = {n: vm.programs[n] + 8 * slot for n, slot in ex_cbs.items()}
        vm.exception_cb = vm.exception_cbs.get(prog.name, 0)
        run.attach(vm)
        watchdog = None
        if engine == "unicorn" and verdict is not None:
            # a verified program ends by itself: no per-instruction budget hook (most of
            # unicorn's time), one watchdog thread for all runs bounds a verifier bug instead
            vm.max_insns = 0
            watchdog = _watchdog(vm, timeout or DEFAULT_TIMEOUT)
        elif timeout:
            _limit(vm, engine, timeout)
        t0 = time.thread_time_ns()      # CPU time, as bpf_test_timer (not while preempted)
        try:
            runs = max(repeat, 1)
            if runs > 1 and watchdog is not None and vm.can_repeat():   # one emulation
                r = vm.run_repeat(run.ctx.base, runs)
                r0, ended_by, runs = r.retval, r.ended_by, 0
            for _ in range(runs):
                run.tail_calls = 0
                if timeout and engine == "unicorn" and watchdog is None:   # what is left
                    vm.timeout_us = max(1, int((vm.deadline - time.monotonic()) * 1e6))
                r0, ended_by = step()
                run.tail_calls = 0
                timers.fire(run, vm)          # armed timers fire after the program returns
        finally:
            if watchdog is not None:
                watchdog.cancel()
        elapsed = time.thread_time_ns() - t0
    except InterpError as e:
        raise UserError("runtime", f"program {prog.name}: {e}", e.location, REJECTED) from None
    return _result(prog, run, read, r0, engine, repeat, elapsed // max(repeat, 1), verdict,
                   image if engine == "unicorn" else None, ended_by)


def _result(prog, run, read, r0, engine, repeat, duration_ns, verdict, image,
            ended_by) -> Result:
    """What the run left: maps, records and globals (:class:`pipeline.show.Snapshot`)."""
    calls = [{"name": c.name, "args": list(c.args), "ret": c.ret} for c in run.calls]
    return Result(prog=prog.name, retval=r0 & U32, r0=r0 & U64, engine=engine,
                  repeat=max(repeat, 1), duration_ns=duration_ns,
                  kfunc_calls=calls, output=list(run.trace), verdict=verdict, image=image,
                  ended_by=ended_by, perf_events=list(run.perf_events),
                  packet=show.packet_out(run, read), left=show.Snapshot(run, read))


def _watchdog(vm, timeout: float):
    """Stop the emulation when ``timeout`` seconds have passed (the process's one watchdog
    thread, :data:`pipeline.watchdog.WATCHDOG`); the executor then reports the time
    limit.  Returns a handle whose ``cancel()`` disarms it."""
    vm.time_limit = timeout
    vm.deadline = time.monotonic() + timeout
    return WATCHDOG.arm(vm, timeout)


def _limit(vm, engine: str, timeout: float) -> None:
    """A wall-clock limit of ``timeout`` seconds for all runs of this call."""
    vm.time_limit = timeout
    vm.deadline = time.monotonic() + timeout
    if engine == "unicorn":
        vm.timeout_us = max(1, int(timeout * 1e6))


def _exception_cb_slots(obj, names) -> dict[str, int]:
    """Program name -> first slot of the exception callback its ``exception_callback:``
    decl tag names (linked after its code, :mod:`pipeline.loader`); ``bpf_throw`` runs it."""
    out = {}
    for name in names:
        p = obj.program(name)
        cb = getattr(p.elf, "exception_cb", None)
        slot = next((f.start for f in p.subprograms if f.name == cb), None) if cb else None
        if slot is not None:
            out[name] = slot
    return out


def _native(prog, image, run, helpers, kfuncs, verdict, repeat, timeout, targets,
            ex_cbs=None, tail_calls=True) -> Result:
    """The image as machine code in a child process (:mod:`pipeline.exec_native`)."""
    if image is None or verdict is None:
        raise UserError("usage", "engine 'native' runs only verified programs (no --no-verify)",
                        None, BAD_INPUT)
    for name, (linked, _) in targets.items():
        if tail_calls and "bpf_throw" in linked.kfuncs.values():
            # a throw there ends that tail call only: its native frames cannot be unwound
            raise UserError("usage", f"engine 'native' does not model bpf_throw in a tail-call "
                                     f"target ({name} calls bpf_throw): use unicorn or interp",
                            None, BAD_INPUT)
    try:
        out = exec_native.run(prog.name, image, run, helpers, kfuncs, repeat=repeat,
                              timeout=timeout, targets={n: t[1] for n, t in targets.items()},
                              exception_cbs=ex_cbs)
    except exec_native.NativeError as e:
        where = None if e.pc is None else f"insn {e.pc}"
        msg = e.message if e.pc is None or f"insn {e.pc}" in e.message \
            else f"{e.message} at insn {e.pc}"
        raise UserError("runtime", f"program {prog.name}: {msg}", where, REJECTED) from None
    for m in run.maps:
        m.slots, m.free, m.rb_head = out["maps"][m.name]
    run.calls[:] = out["calls"]
    run.trace[:] = out["trace"]
    run.perf_events[:] = out["perf_events"]
    return _result(prog, run, out["regions"].__getitem__, out["r0"], "native", repeat,
                   out["duration_ns"], verdict, image, out["ended_by"])


def _unicorn(prog, image, run, helpers, kfuncs, max_insns, targets):
    """(vm, run step, region reader) for the JIT's image in unicorn (``targets``: name ->
    image of the tail-call targets).  unicorn is imported on first use: the other engines
    do without its start-up cost."""
    from .exec_unicorn import RegionSpec, UnicornExecutor
    try:
        ex = UnicornExecutor(image, helpers=helpers, kfuncs=kfuncs,
                             regions=[RegionSpec(r.name, r.base, r.data, r.writable)
                                      for r in run.regions],
                             resolve=run.resolve, ld_abs=run.ld_abs, max_insns=max_insns,
                             name=prog.name, programs=targets)
    except LinkError as e:
        raise UserError("jit", f"program {prog.name}: {e}", None, REJECTED) from None

    def step():
        r = ex.run(run.ctx.base)
        return r.retval, r.ended_by
    return ex, step, ex.memory.region_bytes


def _interp(prog, insns, run, helpers, kfuncs, max_insns, targets):
    """(vm, run step, region reader) for the reference interpreter on the same layout.
    Tail-call targets (name -> instructions) follow the program's own instructions (their
    calls and jumps are relative, so each keeps its meaning)."""
    programs = {prog.name: CODE_BASE}
    insns = list(insns)
    for name, more in targets.items():
        programs[name] = CODE_BASE + 8 * len(insns)
        insns += list(more)
    mem = Memory()
    mapped = {r.name: mem.map(r.name, bytearray(r.data), base=r.base, writable=r.writable)
              for r in run.regions}
    try:
        vm = Interpreter(insns, helpers=helpers, kfuncs=kfuncs, memory=mem,
                         max_insns=max_insns, ld_imm64_resolver=run.ld_imm64)
    except InvalidInsn as e:
        raise UserError("runtime", f"program {prog.name}: {e}", None, REJECTED) from None
    vm.programs = programs
    vm.ld_abs = run.ld_abs

    def step():
        r = vm.run(run.ctx.base)
        return r.r0, r.ended_by
    return vm, step, lambda name: bytes(mapped[name].data)
