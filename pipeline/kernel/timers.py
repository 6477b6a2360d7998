"""BPF timers of the mock kernel: ``bpf_timer_init/set_callback/start/cancel`` (helpers 169-172).

Kernel counterpart: kernel/bpf/helpers.c (``bpf_timer_*``, ``bpf_timer_cb``) and the map
side in kernel/bpf/arraymap.c / hashtab.c (``bpf_obj_free_fields`` on update and delete).
A ``struct bpf_timer`` lives inside a map value; the kernel keeps its state in an object
the opaque field points to, the mock kernel in :attr:`TestRun.timers` keyed by the
timer's address.  Time is virtual: ``bpf_timer_start(t, nsecs, 0)`` arms the timer for
``run.clock + nsecs`` (``BPF_F_TIMER_ABS``: at ``nsecs``); after the program returns,
:func:`fire` runs every armed timer's callback in expiry order (ties: arming order),
advancing the clock to each expiry, on the executor that ran the program (``vm.call``).
The callback gets ``(map, key, value)`` as ``bpf_timer_cb`` passes them (the key of an
array map is a pointer to its u32 index).  A callback may re-arm its timer;
:data:`MAX_FIRINGS` bounds the firings after one run.
"""

from __future__ import annotations

from dataclasses import dataclass

from isa.ints import U64
from isa.uapi import EINVAL

EBUSY, EDEADLK = 16, 35
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME = 0, 1, 7
MAX_CLOCKS = 16
BPF_F_TIMER_ABS, BPF_F_TIMER_CPU_PIN = 1, 2
MAX_FIRINGS = 100_000
TIMER_SIZE = 16


@dataclass
class Timer:
    """One initialised ``struct bpf_timer`` (the kernel's ``struct bpf_hrtimer``)."""
    addr: int            # address of the struct bpf_timer in the map value
    map: object          # the MapObj holding it
    value: int           # address of the map value
    key: bytes           # the element's key
    clock: int
    cb: int | None = None
    expires: int | None = None   # armed when not None
    seq: int = 0                 # arming order, for equal expiries


def _element(m, addr: int) -> tuple[int, bytes] | None:
    """(value address, key) of the element of map ``m`` that holds ``addr``."""
    if not m.values:
        return None
    if m.kind == "data":
        return (m.values, (0).to_bytes(4, "little")) \
            if m.values <= addr < m.values + m.value_size else None
    idx, off = divmod(addr - m.values, m.elem_size)
    if addr < m.values or idx >= max(m.max_entries, 1) or off + TIMER_SIZE > m.value_size:
        return None
    value = m.values + idx * m.elem_size
    if m.is_array:
        return value, idx.to_bytes(4, "little")
    if m.is_hash:
        key = next((k for k, s in m.slots.items() if s == idx), None)
        return None if key is None else (value, key)
    return None


def timer_init(run, vm, timer, mp, flags, *_):
    m = run.map_at(mp)
    flags &= U64
    clock = flags & (MAX_CLOCKS - 1)
    if flags >= MAX_CLOCKS or clock not in (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME):
        return -EINVAL
    timer &= U64
    if timer in run.timers:
        return -EBUSY
    elem = _element(m, timer)
    if elem is None:
        from .helpers import HelperFault
        raise HelperFault(f"{timer:#x} is not a timer inside a value of map {m.name}")
    run.timers[timer] = Timer(timer, m, elem[0], elem[1], clock)
    vm.memory.store(timer, 8, timer)     # the opaque field points at the kernel's state
    return 0


def timer_set_callback(run, vm, timer, cb, *_):
    t = run.timers.get(timer & U64)
    if t is None:
        return -EINVAL
    t.cb = cb & U64
    return 0


def timer_start(run, vm, timer, nsecs, flags, *_):
    flags &= U64
    if flags & ~(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN):
        return -EINVAL
    t = run.timers.get(timer & U64)
    if t is None or t.cb is None:
        return -EINVAL
    nsecs &= U64
    t.expires = nsecs if flags & BPF_F_TIMER_ABS else run.clock + nsecs
    run.timer_seq += 1
    t.seq = run.timer_seq
    return 0


def timer_cancel(run, vm, timer, *_):
    t = run.timers.get(timer & U64)
    if t is None:
        return -EINVAL
    if run.timer_running is t:
        return -EDEADLK           # cancelling itself from its own callback
    active, t.expires = t.expires is not None, None
    return int(active)


def free_in(run, vm, start: int, size: int) -> None:
    """``bpf_obj_free_fields``: timers inside ``[start, start + size)`` are cancelled and
    freed, their ``struct bpf_timer`` zeroed (a map update or delete of the element)."""
    for addr in [a for a in run.timers if start <= a < start + size]:
        del run.timers[addr]
        vm.memory.write(addr, bytes(TIMER_SIZE))


def fire(run, vm) -> int:
    """Run the callbacks of armed timers in virtual-time order; the number fired."""
    fired = 0
    while fired < MAX_FIRINGS:
        armed = [t for t in run.timers.values() if t.expires is not None]
        if not armed:
            break
        t = min(armed, key=lambda x: (x.expires, x.seq))
        run.clock = max(run.clock, t.expires)
        t.expires = None
        fired += 1
        key = run.key_scratch
        vm.memory.write(key, t.key)
        run.timer_running = t
        try:
            vm.call(t.cb, t.map.handle, key, t.value)
        finally:
            run.timer_running = None
    return fired


__all__ = ["Timer", "timer_init", "timer_set_callback", "timer_start", "timer_cancel",
           "free_in", "fire", "MAX_FIRINGS"]
