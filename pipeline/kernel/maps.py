"""Map storage of the mock kernel: one :class:`MapObj` per map of a run.

Array-like maps (array, percpu array with one CPU, prog array, global data sections) keep
``max_entries`` values back to back; hash maps (hash, LRU, percpu hash) keep a slot per
element and a key -> slot index in insertion order (LRU: most recently used last); ring
buffers keep records back to back, each behind the kernel's 8-byte header (``u32 len``
with the BUSY bit while reserved and the DISCARD bit once discarded, then ``u32 pg_off``,
which only the kernel itself reads: 0 here), so what a consumer reads
(:func:`pipeline.show.ringbuf_records`) lies in the run's memory on every engine; a ring of
N bytes holds at most N - 1 bytes of records, as the kernel's mask test allows.  Perf event
arrays model libbpf's ``perf_buffer``: a BPF-output event in every slot, slot i on CPU i
(the mock kernel runs on CPU 0).  Queue and stack maps keep a slot per element and
``slots`` maps a push sequence number to it (oldest first); a bloom filter keeps the values
pushed as ``slots`` keys (an exact set: no false positives).  The storage is a memory region
of the run, so programs read and write values in place, as in the kernel.  Kernel
counterparts: kernel/bpf/arraymap.c, hashtab.c, ringbuf.c, queue_stack_maps.c,
bloom_filter.c.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAGE = 0x1000
BPF_ANY, BPF_NOEXIST, BPF_EXIST = 0, 1, 2
RINGBUF_HDR = 8                       # BPF_RINGBUF_HDR_SZ
RINGBUF_BUSY, RINGBUF_DISCARD = 1 << 31, 1 << 30


def round_up(n: int, to: int) -> int:
    return (n + to - 1) // to * to


class FreeSlots:
    """A hash map's free slot indices in the order a list ``[0, 1, ..., n-1]`` would give
    them with ``pop(0)``/``append``, without materialising ``n`` numbers up front (a map of
    100 million entries costs nothing until it is filled)."""

    def __init__(self, n: int):
        self.n, self.next = n, 0
        self.recycled: list[int] = []

    def __len__(self) -> int:
        return self.n - self.next + len(self.recycled)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self):
        yield from range(self.next, self.n)
        yield from self.recycled

    def pop(self, index: int = 0) -> int:
        if index != 0:
            raise IndexError("FreeSlots pops from the front only")
        if self.next < self.n:
            self.next += 1
            return self.next - 1
        return self.recycled.pop(0)

    def append(self, slot: int) -> None:
        self.recycled.append(slot)


# maps whose values are other maps (libbpf fills their slots from `.values` initialisers;
# a program can only look them up)
MAP_IN_MAP = ("array_of_maps", "hash_of_maps")


@dataclass
class MapObj:
    """One map of the run: a handle address (what LD_IMM64 of the map yields) and storage."""
    name: str
    map_type: str
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    handle: int = 0
    values: int = 0          # base address of the value storage
    kind: str = "map"        # "map" or "data" (a global-data section)
    slots: dict = field(default_factory=dict)   # hash: key bytes -> slot index (insertion order)
    free: list = field(default_factory=list)
    rb_head: int = 0         # ring buffer: bytes reserved so far (the producer position)

    @property
    def elem_size(self) -> int:
        return round_up(max(self.value_size, 1), 8)

    @property
    def is_array(self) -> bool:
        return self.map_type in ("array", "percpu_array", "prog_array", "cgroup_array",
                                 "array_of_maps", "perf_event_array") or self.kind == "data"

    @property
    def is_hash(self) -> bool:
        return self.map_type in ("hash", "percpu_hash", "lru_hash", "lru_percpu_hash",
                                 "hash_of_maps")

    def storage_size(self) -> int:
        if self.kind == "data":
            return self.value_size
        if self.map_type == "ringbuf":
            return max(self.max_entries, PAGE)
        if self.is_array or self.is_hash or self.map_type in ("queue", "stack"):
            return self.elem_size * max(self.max_entries, 1)
        return 0
