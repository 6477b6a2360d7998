"""The kfuncs' Python implementations, flags and program types.

Oracles: the selftests' documented results (reference/testmod_kfuncs.md
§3.2, run on pkt_v4, a 54-byte packet), the kfunc behaviour described in §2
and the kernel C sources it summarises (bpf_testmod.c, net/core/filter.c,
kernel/bpf/helpers.c, kernel/bpf/bpf_iter.c, net/bpf/test_run.c), and C
integer semantics (an ``int`` argument is its low 32 bits).

Programs run through the reference interpreter: compiled by the toolchain,
linked by pipeline.loader, kfunc calls mapped to kernel BTF ids by name.
"""

from __future__ import annotations

import struct

import pytest

from isa import opcodes as op
from pipeline.interp import Interpreter, Memory
from pipeline.kernel import KernelError, KernelState, KfuncSet
from pipeline.kernel.registry import resolve
from pipeline.loader import load

PKT_V4_LEN = 54
EINVAL32 = (1 << 32) - 22          # -EINVAL from an int kfunc, zero-extended
EINVAL64 = (1 << 64) - 22          # -EINVAL from a u64 kfunc
E2BIG32 = (1 << 32) - 7


# ---- running the selftest programs ------------------------------------------------

class _Env:
    """Memory with an skb context, the object's global data and one array map value."""

    def __init__(self, obj):
        self.mem = Memory()
        skb = bytearray(192)
        struct.pack_into("<I", skb, 0, PKT_V4_LEN)                # __sk_buff.len
        self.ctx = self.mem.map("ctx", skb).base
        self.base = {}
        for i, ref in enumerate(obj.map_table):
            if ref.kind == "data":
                sec = next(d for d in obj.data_sections if d.name == ref.name)
                data = bytearray(sec.data or bytes(sec.size))
                self.base[i] = self.mem.map(ref.name, data, writable=sec.kind != "rodata").base
            else:   # a one-entry array map: its only value, 16 zero bytes
                self.base[i] = self.mem.map(f"map:{ref.name}", bytearray(16)).base

    def ld_imm64(self, insn, second, pc):
        if insn.src == op.PSEUDO_MAP_IDX_VALUE:
            return self.base[insn.imm] + second.imm
        if insn.src == op.PSEUDO_MAP_IDX:
            return 0x4000_0000 + insn.imm                         # a map handle
        raise AssertionError(f"unexpected ld_imm64 src {insn.src}")

    def map_lookup_elem(self, vm, m, key, *_):                    # helper 1, key 0 only
        assert vm.memory.load(key, 4) == 0
        return self.base[m - 0x4000_0000]


@pytest.fixture(scope="module")
def progs(build_prog):
    return load(build_prog("stack_arg_kfunc"))


def _linked(reg, obj, prog):
    """The program's instructions with kfunc calls bound to ``reg``'s BTF ids (pipeline's
    one linking step)."""
    import pipeline
    o = pipeline.Object(obj)
    return o.linked(o.program(prog.name), reg).insns


def run(reg, obj, name):
    prog = obj.program(name)
    env = _Env(obj)
    vm = Interpreter(_linked(reg, obj, prog), kfuncs=reg.kfunc_table(), memory=env.mem,
                     helpers={1: env.map_lookup_elem}, ld_imm64_resolver=env.ld_imm64)
    return vm.run(env.ctx).r0, vm


@pytest.mark.parametrize("name, expected", [
    ("test_stack_arg_scalar", 55), ("test_stack_arg_ptr", 75), ("test_stack_arg_mix", 66),
    ("test_stack_arg_dynptr", 99), ("test_stack_arg_mem", 151), ("test_stack_arg_iter", 145),
    ("test_stack_arg_const_str", 45), ("test_stack_arg_timer", 45),
])
def test_selftest_programs(reg, progs, name, expected):
    r0, vm = run(reg, progs, name)
    assert r0 == expected
    assert vm.kernel_state.calls, "the result must come from kfunc calls"


def test_dynptr_program_trace(reg, progs):
    _, vm = run(reg, progs, "test_stack_arg_dynptr")
    calls = vm.kernel_state.calls
    assert [c.name for c in calls] == ["bpf_dynptr_from_skb", "bpf_kfunc_call_stack_arg_dynptr"]
    assert calls[0].ret == 0 and calls[1].args[:9] == tuple(range(1, 10))


def test_acquire_release_program(reg, progs):
    # bpf_testmod.c: prog_test_struct = { .a = 42, .b = 108, .cnt = REFCOUNT_INIT(1) }
    r0, vm = run(reg, progs, "test_acquire_release")
    assert r0 == 42 + 108
    p = vm.kernel_state.objects["prog_test_struct"]
    assert vm.memory.load(p + 24, 4) == 1               # acquire +1, release -1
    assert vm.memory.load(p + 16, 8) == p               # .next = &prog_test_struct
    assert not vm.kernel_state.warnings


def test_iter_num_program(reg, progs):
    r0, vm = run(reg, progs, "test_iter_num")
    assert r0 == sum(range(10))
    names = [c.name for c in vm.kernel_state.calls]
    assert names.count("bpf_iter_num_next") == 11       # ten values, then NULL


def test_link_maps_every_kfunc_call(reg, progs):
    prog = progs.program("test_stack_arg_iter")
    insns = _linked(reg, progs, prog)
    calls = [(i, reg.by_btf_id(insns[i].imm).name) for i in range(len(insns))
             if insns[i].code == op.JMP | op.CALL and insns[i].src == op.PSEUDO_KFUNC_CALL]
    assert [n for _, n in calls] == ["bpf_iter_testmod_seq_new", "bpf_kfunc_call_stack_arg_iter",
                                     "bpf_iter_testmod_seq_destroy"]
    assert all(prog.insns[i].imm == 0 for i, _ in calls)    # the loader's unresolved form


# ---- implementations called directly ------------------------------------------------

class _VM:
    def __init__(self):
        self.memory = Memory()

    def buf(self, data: bytes) -> int:
        return self.memory.map(f"buf{len(self.memory.regions)}", bytearray(data)).base


@pytest.fixture
def vm():
    return _VM()


def test_dynptr_size_is_low_24_bits(reg, vm):
    size = reg.kfunc("bpf_dynptr_size")
    # data != NULL; size word: length 54, type SKB (3) at bit 28, rdonly bit 31
    d = vm.buf(struct.pack("<QII", 0x1000, 54 | 3 << 28 | 1 << 31, 0))
    assert size(vm, d) == 54
    assert size(vm, vm.buf(struct.pack("<QII", 0, 54, 0))) == EINVAL64    # invalid dynptr
    stack = reg.kfunc("bpf_kfunc_call_stack_arg_dynptr")
    assert stack(vm, *range(1, 10), d) == 45 + 54
    # only the low 24 bits are the length, whatever the bits above hold
    odd = vm.buf(struct.pack("<QII", 0x1000, 0x0F00_0036, 0))
    assert size(vm, odd) == 54 and stack(vm, *range(1, 10), odd) == 45 + 54


def test_dynptr_from_skb(reg, vm):
    skb = vm.buf(struct.pack("<I", 60) + bytes(188))
    d = vm.buf(bytes(16))
    f = reg.kfunc("bpf_dynptr_from_skb")
    assert f(vm, skb, 0, d) == 0
    data, word, offset = struct.unpack("<QII", vm.memory.read(d, 16))
    assert (data, word & 0xFFFFFF, word >> 28, offset) == (skb, 60, 3, 0)   # BPF_DYNPTR_TYPE_SKB
    assert reg.kfunc("bpf_dynptr_size")(vm, d) == 60
    assert f(vm, skb, 1, d) == EINVAL32                                     # flags must be 0
    assert vm.memory.read(d, 16) == bytes(16)                               # set to NULL


def test_stack_arg_mem_sums_unsigned_bytes(reg, vm):
    mem = reg.kfunc("bpf_kfunc_call_stack_arg_mem")
    buf = vm.buf(bytes([0xFF, 0x80, 1, 2]))
    assert mem(vm, 1, 2, 3, 4, 5, buf, 4) == 15 + 0xFF + 0x80 + 1 + 2
    assert mem(vm, 1, 2, 3, 4, 5, buf, 0xFFFF_FFFF_0000_0002) == 15 + 0xFF + 0x80  # int: low half
    assert mem(vm, 1, 2, 3, 4, 5, buf, 0xFFFF_FFFF) == 15                          # -1: no bytes


def test_stack_arg_ptr_and_mix_read_x0_x1_as_int(reg, vm):
    p = vm.buf(struct.pack("<iiii", -5, 7, 1000, 1000))     # x2, x3 are not read
    ptr = reg.kfunc("bpf_kfunc_call_stack_arg_ptr")
    assert ptr(vm, *range(1, 10), p) == 45 - 5 + 7
    q = vm.buf(struct.pack("<iiii", 1000, 20, 1000, 1000))
    mix = reg.kfunc("bpf_kfunc_call_stack_arg_mix")
    assert mix(vm, *range(1, 8), p, 8, q) == 28 - 5 + 8 + 20
    # u64 arithmetic wraps: each int is sign-extended before the add
    neg = vm.buf(struct.pack("<iiii", -5, -1, 0, 0))
    assert ptr(vm, *[0] * 9, neg) == (1 << 64) - 6


def test_stack_arg_big_and_scalars(reg, vm):
    big = reg.kfunc("bpf_kfunc_call_stack_arg_big")
    assert big.nr_slots == 7                               # the struct takes two slots
    assert big(vm, 1, 2, 3, 4, 5, 100, 200) == 315
    assert reg.kfunc("bpf_kfunc_call_stack_arg")(vm, *[1 << 63] * 2, *[0] * 8) == 0   # wraps
    assert reg.kfunc("bpf_kfunc_call_stack_arg_const_str")(vm, *range(1, 10), 0) == 45
    assert reg.kfunc("bpf_kfunc_call_stack_arg_timer")(vm, *range(1, 10), 0) == 45


def test_testmod_iterator(reg, vm):
    new, nxt, destroy, value = (reg.kfunc(f"bpf_iter_testmod_seq_{n}")
                                for n in ("new", "next", "destroy", "value"))
    stack = reg.kfunc("bpf_kfunc_call_stack_arg_iter")
    it = vm.buf(bytes(16))
    cnt = lambda: struct.unpack_from("<i", vm.memory.read(it + 8, 4))[0]  # noqa: E731
    assert new(vm, it, (1 << 64) - 7, 2) == 0                 # value -7 (s64)
    assert stack(vm, *range(1, 10), it) == 45 - 7
    assert value(vm, 3, it) == (1 << 64) - 4                  # 3 + (-7) as s64
    assert nxt(vm, it) == it and nxt(vm, it) == it and cnt() == 0
    assert nxt(vm, it) == 0                                   # exhausted: NULL
    assert new(vm, it, 100, 0xFFFF_FFFF) == EINVAL32 and cnt() == -1   # cnt < 0 still stored
    assert value(vm, 3, it) == 0
    destroy(vm, it)
    assert cnt() == 0


def test_numeric_iterator_edges(reg, vm):
    new, nxt = reg.kfunc("bpf_iter_num_new"), reg.kfunc("bpf_iter_num_next")
    it = vm.buf(bytes(8))
    assert new(vm, it, 5, 3) == EINVAL32                      # start > end
    assert nxt(vm, it) == 0
    assert new(vm, it, 0, 8 * 1024 * 1024 + 1) == E2BIG32     # more than BPF_MAX_LOOPS
    int_min = 1 << 31                                         # INT_MIN as a register value
    assert new(vm, it, int_min, (1 << 32) - (1 << 31) + 2) == 0   # [INT_MIN, INT_MIN + 2)
    got = []
    while (p := nxt(vm, it)):
        got.append(struct.unpack("<i", vm.memory.read(p, 4))[0])
    assert got == [-(1 << 31), -(1 << 31) + 1]


def test_release_warns_when_refcount_hits_zero(reg, vm):
    acquire, release = reg.kfunc("bpf_kfunc_call_test_acquire"), reg.kfunc("bpf_kfunc_call_test_release")
    p = acquire(vm, 0)
    assert p and acquire(vm, 0) == p                          # the same kernel object
    release(vm, p)
    release(vm, p)
    assert not KernelState.of(vm).warnings
    release(vm, p)                                            # drops the kernel's own reference
    assert KernelState.of(vm).warnings


def test_arena_kfunc(reg, vm):
    f = vm.buf(struct.pack("<Q", 1000))
    assert reg.kfunc("bpf_kfunc_arena_stack_arg_test")(vm, 1, 2, 3, 4, 5, f) == 1015


def test_void_kfunc_returns_zero_and_is_traced(reg, vm):
    it = vm.buf(bytes(16))
    assert reg.kfunc("bpf_iter_testmod_seq_destroy")(vm, it) == 0
    calls = KernelState.of(vm).calls
    assert calls[-1].name == "bpf_iter_testmod_seq_destroy" and calls[-1].args == (it,)


def test_too_few_argument_slots(reg, vm):
    with pytest.raises(KernelError, match="takes 10 argument slots"):
        reg.kfunc("bpf_kfunc_call_stack_arg")(vm, 1, 2, 3, 4, 5, 6)


# ---- flags and program types (testmod_kfuncs.md §2) ---------------------------------

STACK_ARG_KFUNCS = ["bpf_kfunc_call_stack_arg", "bpf_kfunc_call_stack_arg_ptr",
                    "bpf_kfunc_call_stack_arg_mix", "bpf_kfunc_call_stack_arg_dynptr",
                    "bpf_kfunc_call_stack_arg_mem", "bpf_kfunc_call_stack_arg_iter",
                    "bpf_kfunc_call_stack_arg_const_str", "bpf_kfunc_call_stack_arg_timer",
                    "bpf_kfunc_call_stack_arg_big"]


@pytest.mark.parametrize("name", STACK_ARG_KFUNCS)
def test_stack_arg_kfunc_registration(reg, name):
    k = reg.kfunc(name)
    assert k.flags == frozenset() and k.module == "bpf_testmod"
    for t in ("sched_cls", "tracing", "syscall", "struct_ops"):
        assert reg.allowed(name, t)
    for t in ("socket_filter", "xdp", "kprobe"):
        assert not reg.allowed(name, t)


@pytest.mark.parametrize("name, flags", [
    ("bpf_iter_testmod_seq_new", {"KF_ITER_NEW"}),
    ("bpf_iter_testmod_seq_next", {"KF_ITER_NEXT", "KF_RET_NULL"}),
    ("bpf_iter_testmod_seq_destroy", {"KF_ITER_DESTROY"}),
    ("bpf_kfunc_arena_stack_arg_test", set()),
])
def test_common_set_registration(reg, name, flags):
    assert reg.kfunc(name).flags == flags
    for t in ("socket_filter", "xdp", "sched_cls", "syscall", "kprobe"):   # every program type
        assert reg.allowed(name, t)


def test_reference_pair_flags(reg):
    assert reg.kfunc("bpf_kfunc_call_test_acquire").flags == {"KF_ACQUIRE", "KF_RET_NULL"}
    assert reg.kfunc("bpf_kfunc_call_test_release").flags == {"KF_RELEASE"}
    assert reg.allowed("bpf_kfunc_call_test_release", "sched_cls")
    assert not reg.allowed("bpf_kfunc_call_test_release", "xdp")
    assert reg.allowed("bpf_dynptr_from_skb", "socket_filter")
    assert not reg.allowed("bpf_dynptr_from_skb", "xdp")        # skb programs only
    assert reg.allowed("bpf_dynptr_size", "xdp")


def test_registry_rejects_inconsistencies(reg):
    with pytest.raises(KernelError, match="unknown flag"):
        KfuncSet("s", module="m", prog_types={"unspec"}).kfunc("KF_ACQUIR")
    with pytest.raises(KernelError, match="unknown program type"):
        KfuncSet("s", module="m", prog_types={"sched_cl"})
    s = KfuncSet("s", module="m", prog_types={"unspec"})

    @s.kfunc()
    def bpf_kfunc_call_stack_arg(vm, a, b, c, d, e, f, g, h, i):   # kernel: 10 arguments
        return 0
    with pytest.raises(KernelError, match="takes 10 argument slots, the implementation 9"):
        resolve(reg.kernel.__class__(reg.kernel.btf, reg.kernel.path), s.defs)
    t = KfuncSet("t", module="m", prog_types={"unspec"})

    @t.kfunc()
    def bpf_kfunc_not_in_btf(vm, a):
        return 0
    with pytest.raises(KernelError, match="no prototype in the kernel BTF"):
        resolve(reg.kernel.__class__(reg.kernel.btf, reg.kernel.path), t.defs)
    with pytest.raises(KernelError, match="no kfunc 'nope'"):
        reg.kfunc("nope")
