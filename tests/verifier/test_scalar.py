"""Tests for verifier.scalar: every ALU/ALU64 transfer function, the movsx and
load coercions and bounds synchronisation are checked for soundness by brute
force, and a few results are compared with verifier logs printed by real
kernels.

Oracles: the BPF instruction semantics (RFC 9669) written here with Python's
own integer arithmetic and applied to every member of small random concrete
sets (fixed seeds); verifier-log lines quoted from kernel sources and the bpf
mailing list (cited at each spot check).
"""

from __future__ import annotations

import random

import pytest

from isa import opcodes as op
from verifier.scalar import (
    Scalar, alu, alu_paths, bounds_sync, coerce_reg_to_size, coerce_reg_to_size_sx,
    coerce_subreg_to_size_sx, format_scalar, mov, mov_imm, zext_32_to_64,
)
from verifier.tnum import Tnum

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
S64_MIN, S64_MAX = -(1 << 63), (1 << 63) - 1
S32_MIN, S32_MAX = -(1 << 31), (1 << 31) - 1


def sx(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def bswap(v: int, nbytes: int) -> int:
    return int.from_bytes((v & ((1 << 8 * nbytes) - 1)).to_bytes(nbytes, "little"), "big")


# --- concrete semantics (RFC 9669), independent of the module under test ---

def tdiv(a: int, b: int) -> int:
    """Signed division truncating toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def concrete_alu(opc, d, s, *, alu64, off=0, imm=0, to_be=False):
    bits = 64 if alu64 else 32
    mask = (1 << bits) - 1
    if opc == op.END:
        if alu64:  # BPF_ALU64 | BPF_END: unconditional bswap
            return bswap(d, imm // 8)
        if to_be:  # host is little endian: to_be swaps
            return bswap(d, imm // 8)
        return d & ((1 << imm) - 1)  # to_le: truncation
    a, b = d & mask, s & mask
    if opc == op.ADD:
        r = a + b
    elif opc == op.SUB:
        r = a - b
    elif opc == op.MUL:
        r = a * b
    elif opc == op.NEG:
        r = -a
    elif opc == op.DIV:
        if b == 0:
            r = 0
        elif off == 1:
            r = tdiv(sx(a, bits), sx(b, bits))
        else:
            r = a // b
    elif opc == op.MOD:
        if b == 0:
            r = a
        elif off == 1:
            sa, sb = sx(a, bits), sx(b, bits)
            r = sa - tdiv(sa, sb) * sb
        else:
            r = a % b
    elif opc == op.OR:
        r = a | b
    elif opc == op.AND:
        r = a & b
    elif opc == op.XOR:
        r = a ^ b
    elif opc == op.LSH:
        r = a << (b & (bits - 1))
    elif opc == op.RSH:
        r = a >> (b & (bits - 1))
    elif opc == op.ARSH:
        r = sx(a, bits) >> (b & (bits - 1))
    else:
        raise AssertionError(opc)
    return r & mask  # ALU32 results are zero-extended


# --- random concrete sets and their abstractions -----------------------------

def rand_value(rng: random.Random) -> int:
    k = rng.randrange(9)
    if k == 0:
        return rng.randrange(0, 300)
    if k == 1:
        return rng.randrange(-300, 300) & M64
    if k == 2:
        return ((1 << 31) + rng.randrange(-40, 40)) & M64
    if k == 3:
        return ((1 << 32) + rng.randrange(-40, 40)) & M64
    if k == 4:
        return ((1 << 63) + rng.randrange(-40, 40)) & M64
    if k == 5:
        return rng.getrandbits(64)
    if k == 6:
        return rng.getrandbits(32)
    if k == 7:
        return (rng.getrandbits(32) << 32) | rng.randrange(0, 20)
    return rng.choice((0, M64, 1, M32, 1 << 63, (1 << 63) - 1))


def rand_set(rng: random.Random, max_n: int = 6) -> list[int]:
    n = rng.randrange(1, max_n + 1)
    if rng.random() < 0.6:  # clustered: tight ranges, many known bits
        base = rand_value(rng)
        spread = rng.choice((1, 4, 16, 256, 1 << 20))
        return [(base + rng.randrange(spread)) & M64 for _ in range(n)]
    return [rand_value(rng) for _ in range(n)]


def abstract(vals, rng: random.Random | None = None, sync: bool = True) -> Scalar:
    """A Scalar containing every value of ``vals``: the tightest bounds and
    tnum computed here by hand, optionally loosened at random so inputs are
    not always exact."""
    vals = [v & M64 for v in vals]
    all_and, any_or = M64, 0
    for v in vals:
        all_and &= v
        any_or |= v
    mask = all_and ^ any_or
    value = all_and
    f = dict(
        smin=min(sx(v, 64) for v in vals), smax=max(sx(v, 64) for v in vals),
        umin=min(vals), umax=max(vals),
        s32_min=min(sx(v, 32) for v in vals), s32_max=max(sx(v, 32) for v in vals),
        u32_min=min(v & M32 for v in vals), u32_max=max(v & M32 for v in vals),
    )
    if rng is not None:
        if rng.random() < 0.3:  # forget some tnum bits
            extra = rng.getrandbits(64) & rng.getrandbits(64)
            mask |= extra
            value &= ~mask
        for lo, hi, dlo, dhi in (("smin", "smax", S64_MIN, S64_MAX), ("umin", "umax", 0, M64),
                                 ("s32_min", "s32_max", S32_MIN, S32_MAX),
                                 ("u32_min", "u32_max", 0, M32)):
            r = rng.random()
            if r < 0.15:
                f[lo], f[hi] = dlo, dhi
            elif r < 0.3:
                f[lo] = rng.randint(dlo, f[lo])
                f[hi] = rng.randint(f[hi], dhi)
    return Scalar.from_bounds(var_off=Tnum(value, mask), sync=sync, **f)


def assert_contains(res: Scalar, v: int, ctx) -> None:
    assert res.contains(v), (ctx, format_scalar(res), res, hex(v))


BINOPS = (op.ADD, op.SUB, op.MUL, op.AND, op.OR, op.XOR)
N = 1200  # random cases per op and width


@pytest.mark.parametrize("alu64", [True, False], ids=["alu64", "alu32"])
@pytest.mark.parametrize("opc", BINOPS, ids=lambda o: "op%#x" % o)
def test_binop_sound(opc, alu64):
    rng = random.Random(1000 + opc + alu64)
    for _ in range(N):
        dv, svs = rand_set(rng), rand_set(rng)
        if rng.random() < 0.3:
            svs = [rand_value(rng)]  # constant source, common in programs
        if rng.random() < 0.1:
            dv = [0, M64] if rng.random() < 0.5 else [M32, 0]  # fork candidates
        d, s = abstract(dv, rng), abstract(svs, rng)
        res = alu(opc, d, s, alu64=alu64)
        paths = alu_paths(opc, d, s, alu64=alu64)
        for x in dv:
            for y in svs:
                v = concrete_alu(opc, x, y, alu64=alu64)
                assert_contains(res, v, (opc, alu64, d, s, x, y))
                assert any(p.contains(v) for p in paths), (opc, alu64, d, s, paths, x, y)


def _src_for(opc, alu64, rng):
    bits = 64 if alu64 else 32
    if opc in (op.LSH, op.RSH, op.ARSH):
        if rng.random() < 0.85:
            return [rng.randrange(bits)]
        return rand_set(rng)  # non-constant / out-of-range shifts: unknown result
    if rng.random() < 0.85:
        return [rng.choice((0, 1, 2, 3, 7, 10, 255, M64, M32, 1 << 63, (1 << 31),
                            (-2) & M64, (-7) & M64, rand_value(rng)))]
    return rand_set(rng)


@pytest.mark.parametrize("off", [0, 1], ids=["unsigned", "signed"])
@pytest.mark.parametrize("alu64", [True, False], ids=["alu64", "alu32"])
@pytest.mark.parametrize("opc", [op.DIV, op.MOD], ids=["div", "mod"])
def test_div_mod_sound(opc, alu64, off):
    rng = random.Random(2000 + opc + 2 * alu64 + off)
    for _ in range(N):
        dv, svs = rand_set(rng), _src_for(opc, alu64, rng)
        if rng.random() < 0.1:
            dv = [1 << 63, (1 << 63) + rng.randrange(3)] if alu64 else [1 << 31, rng.randrange(3)]
        d, s = abstract(dv, rng), abstract(svs, rng)
        res = alu(opc, d, s, alu64=alu64, off=off)
        for x in dv:
            for y in svs:
                assert_contains(res, concrete_alu(opc, x, y, alu64=alu64, off=off),
                                (opc, alu64, off, d, s, x, y))


@pytest.mark.parametrize("alu64", [True, False], ids=["alu64", "alu32"])
@pytest.mark.parametrize("opc", [op.LSH, op.RSH, op.ARSH], ids=["lsh", "rsh", "arsh"])
def test_shift_sound(opc, alu64):
    rng = random.Random(3000 + opc + alu64)
    for _ in range(N):
        dv, svs = rand_set(rng), _src_for(opc, alu64, rng)
        d, s = abstract(dv, rng), abstract(svs, rng)
        res = alu(opc, d, s, alu64=alu64)
        for x in dv:
            for y in svs:
                assert_contains(res, concrete_alu(opc, x, y, alu64=alu64),
                                (opc, alu64, d, s, x, y))


@pytest.mark.parametrize("alu64", [True, False], ids=["alu64", "alu32"])
def test_neg_sound(alu64):
    rng = random.Random(4000 + alu64)
    for _ in range(N):
        dv = rand_set(rng)
        d = abstract(dv, rng)
        res = alu(op.NEG, d, alu64=alu64)
        for x in dv:
            assert_contains(res, concrete_alu(op.NEG, x, 0, alu64=alu64), (alu64, d, x))


@pytest.mark.parametrize("imm", [16, 32, 64])
@pytest.mark.parametrize("kind", ["le", "be", "bswap"])
def test_end_sound(kind, imm):
    rng = random.Random(5000 + imm + len(kind))
    alu64, to_be = kind == "bswap", kind == "be"
    for _ in range(N // 2):
        dv = rand_set(rng)
        d = abstract(dv, rng)
        res = alu(op.END, d, alu64=alu64, imm=imm, to_be=to_be)
        for x in dv:
            assert_contains(res, concrete_alu(op.END, x, 0, alu64=alu64, imm=imm, to_be=to_be),
                            (kind, imm, d, x))


@pytest.mark.parametrize("alu64,off", [(True, 0), (True, 8), (True, 16), (True, 32),
                                       (False, 0), (False, 8), (False, 16)])
def test_mov_and_movsx_sound(alu64, off):
    rng = random.Random(6000 + off + alu64)
    for _ in range(N):
        sv = rand_set(rng)
        s = abstract(sv, rng)
        res = mov(s, alu64=alu64, off=off)
        for x in sv:
            if alu64:
                want = sx(x, off) & M64 if off else x
            else:
                want = sx(x, off) & M32 if off else x & M32
            assert_contains(res, want, (alu64, off, s, x))


def test_mov_imm():
    assert mov_imm(-1, alu64=True) == Scalar.const(M64)
    assert mov_imm(-1, alu64=False) == Scalar.const(M32)
    assert mov_imm(0x7FFFFFFF, alu64=True).value == 0x7FFFFFFF


@pytest.mark.parametrize("size", [1, 2, 4])
def test_coercions_sound(size):
    rng = random.Random(7000 + size)
    bits = 8 * size
    for _ in range(N):
        sv = rand_set(rng)
        s = abstract(sv, rng)
        z = coerce_reg_to_size(s, size)
        x_ = coerce_reg_to_size_sx(s, size)
        for x in sv:
            assert_contains(z, x & ((1 << bits) - 1), ("zext", size, s, x))
            assert_contains(x_, sx(x, bits) & M64, ("sext", size, s, x))
        if size < 4:
            # the 32-bit movsx before zero-extension: only the subregister
            # part (tnum low half, 32-bit bounds) describes the value yet
            w = coerce_subreg_to_size_sx(s, size)
            for x in sv:
                lo = sx(x, bits) & M32
                assert w.var_off.contains(lo | (w.var_off.value & ~M32 & M64))
                assert (w.var_off.value & M32) == (lo & ~w.var_off.mask & M32)
                assert w.u32_min <= lo <= w.u32_max and w.s32_min <= sx(lo, 32) <= w.s32_max


def test_zext_and_bounds_sync_sound():
    rng = random.Random(8000)
    for _ in range(3 * N):
        sv = rand_set(rng)
        raw = abstract(sv, rng, sync=False)
        synced = bounds_sync(raw)
        z = bounds_sync(zext_32_to_64(raw))
        for x in sv:
            assert_contains(synced, x, ("sync", raw))
            assert_contains(z, x & M32, ("zext", raw))
        # syncing never loses knowledge: each bound is at least as tight
        assert synced.umin >= raw.umin and synced.umax <= raw.umax
        assert synced.smin >= raw.smin and synced.smax <= raw.smax
        assert synced.u32_min >= raw.u32_min and synced.u32_max <= raw.u32_max
        assert synced.s32_min >= raw.s32_min and synced.s32_max <= raw.s32_max


def test_includes_is_sound_for_pruning():
    # regsafe()'s numeric test: when old includes cur, every concrete value
    # of cur must be a value of old (else pruning would skip unsafe paths).
    rng = random.Random(8500)
    hits = 0
    for _ in range(3 * N):
        cv = rand_set(rng)
        cur = abstract(cv, rng)
        ov = cv + rand_set(rng, 3) if rng.random() < 0.5 else rand_set(rng)
        old = abstract(ov, rng)
        if old.includes(cur):
            hits += 1
            for x in cv:
                assert old.contains(x), (old, cur, x)
            # extra probes: values cur admits at its bounds and tnum extremes
            for x in (cur.umin, cur.umax, cur.smin & M64, cur.smax & M64,
                      cur.var_off.value, cur.var_off.value | cur.var_off.mask):
                if cur.contains(x):
                    assert old.contains(x), (old, cur, hex(x))
        assert old.range_within(old) and old.includes(old)
    assert hits > N // 10
    assert Scalar.unknown().includes(Scalar.const(7))
    assert not Scalar.const(7).includes(Scalar.unknown())


def test_from_imm_sign_extends():
    assert Scalar.from_imm(-1).value == M64
    assert Scalar.from_imm(0x80000000).value == 0xFFFFFFFF80000000
    assert Scalar.from_imm(0x7FFFFFFF).value == 0x7FFFFFFF


def test_constants_stay_exact():
    # Constant folding: on constants the kernel computes exact constants
    # (dst and src known -> __mark_reg_known / tnum arithmetic).
    rng = random.Random(9000)
    for _ in range(N):
        x, y = rand_value(rng), rand_value(rng)
        for opc in BINOPS:
            for alu64 in (True, False):
                r = alu(opc, Scalar.const(x), Scalar.const(y), alu64=alu64)
                assert r.is_const() and r.value == concrete_alu(opc, x, y, alu64=alu64)


def test_unsafe_ops_give_unknown():
    # is_safe_to_compute_dst_reg_range: a non-constant divisor or shift
    # amount, or a shift >= the width, makes the result a plain scalar().
    u8 = coerce_reg_to_size(Scalar.unknown(), 1)
    assert alu(op.DIV, u8, u8, alu64=True) == Scalar.unknown()
    assert alu(op.LSH, u8, u8, alu64=True) == Scalar.unknown()
    assert alu(op.LSH, u8, Scalar.const(40), alu64=False) == Scalar.unknown()
    assert alu(op.RSH, u8, Scalar.const(4), alu64=False).umax == 15


def test_fork_on_minus_one_or_zero():
    # maybe_fork_scalars: an AND/OR of a value in [-1, 0] with a constant is
    # explored as dst == -1 and dst == 0 separately.
    d = abstract([0, M64])
    paths = alu_paths(op.AND, d, Scalar.const(0x10), alu64=True)
    assert [p.value for p in paths] == [0x10, 0]
    assert len(alu_paths(op.AND, abstract([0, 5]), Scalar.const(3), alu64=True)) == 1
    # the pre-op states for a core that pushes the second path itself
    from verifier.scalar import maybe_fork_scalars
    m1, z = maybe_fork_scalars(op.AND, d, Scalar.const(0x10))
    assert (m1.value, z.value) == (M64, 0)
    w = mov(Scalar.from_bounds(s32_min=-1, s32_max=0), alu64=True)
    m1, z = maybe_fork_scalars(op.OR, w, Scalar.const(1))
    assert (m1.s32_min, m1.u32_max, z.s32_max, z.u32_min) == (-1, M32, 0, 0)
    assert m1.var_off.value & M32 == M32 and z.var_off.value & M32 == 0
    assert maybe_fork_scalars(op.XOR, d, Scalar.const(1)) is None
    assert maybe_fork_scalars(op.AND, d, U) is None  # needs a constant src


# --- spot checks against verifier logs printed by real kernels ---------------

U = Scalar.unknown()


def test_log_u8_load():
    # bpf list, "selftests/bpf: ... token_lsm.c" (Xu Kuohai) log:
    #   12: (71) r6 = *(u8 *)(r1 +0) ; R6_w=scalar(smin=smin32=0,smax=umax=
    #   smax32=umax32=255,var_off=(0x0; 0xff))
    assert format_scalar(coerce_reg_to_size(U, 1)) == \
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"


def test_log_lsh56_arsh56():
    # same log, lines 14/15 (also the usdt.bpf.h log on the bpf list):
    #   r6 <<= 56 ; R6_w=scalar(smax=0x7f00000000000000,umax=0xff00000000000000,
    #               smin32=0,smax32=umax32=0,var_off=(0x0; 0xff00000000000000))
    #   r6 s>>= 56 ; R6_w=scalar(smin=smin32=-128,smax=smax32=127)
    a = alu(op.LSH, U, Scalar.const(56), alu64=True)
    assert format_scalar(a) == ("scalar(smax=0x7f00000000000000,umax=0xff00000000000000,"
                                "smin32=0,smax32=umax32=0,var_off=(0x0; 0xff00000000000000))")
    b = alu(op.ARSH, a, Scalar.const(56), alu64=True)
    assert format_scalar(b) == "scalar(smin=smin32=-128,smax=smax32=127)"


def test_log_and_ffff():
    # bpf list, dummy_st_ops_success.c log:
    #   12: (57) r4 &= 65535 ; R4_w=scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffff,
    #                          var_off=(0x0; 0xffff))
    assert format_scalar(alu(op.AND, U, Scalar.const(65535), alu64=True)) == \
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff))"


def test_log_rsh32():
    # bpf list, usdt.bpf.h verifier log, lines 173/174:
    #   R1_w=scalar(smax=0x7f00000000,umax=0xffffffff00000000,smin32=0,
    #               smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))
    #   174: (77) r1 >>= 32 ; R1_w=scalar(smin=0,smax=umax=0xffffffff,
    #                          var_off=(0x0; 0xffffffff))
    s = Scalar.from_bounds(var_off=Tnum(0, 0xFFFFFFFF00000000), smax=0x7F00000000,
                           umax=0xFFFFFFFF00000000, s32_min=0, s32_max=0, u32_max=0)
    assert format_scalar(s) == ("scalar(smax=0x7f00000000,umax=0xffffffff00000000,"
                                "smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))")
    assert format_scalar(alu(op.RSH, s, Scalar.const(32), alu64=True)) == \
        "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"


def test_log_ldsx_s8():
    # tools/testing/selftests/bpf/progs/verifier_ldsx.c, "LDSX, S8 range
    # checking, privileged": __msg("R1_w=scalar(smin=smin32=-128,smax=smax32=127)")
    assert format_scalar(coerce_reg_to_size_sx(U, 1)) == "scalar(smin=smin32=-128,smax=smax32=127)"


def test_log_movsx_after_and_256():
    # bpf list, "selftests/bpf: ... verifier_movsx.c" (Dimitar Kanaliev),
    # log with the coercion logic of the kernel we follow:
    #   2: (57) r1 &= 256 ; R1=scalar(...,var_off=(0x0; 0x100))
    #   3: (bf) r1 = (s8)r1 ; R1=scalar(smin=smin32=-128,smax=smax32=127)
    a = alu(op.AND, U, Scalar.const(256), alu64=True)
    assert format_scalar(a).endswith("var_off=(0x0; 0x100))")
    assert format_scalar(mov(a, alu64=True, off=8)) == "scalar(smin=smin32=-128,smax=smax32=127)"


def test_mod_comment_examples():
    # verifier.c scalar_min_max_umod/smod comments: "[2, 5] % 10 = [2, 5]"
    # and "[-2, 5] % 10 = [-2, 5]" (the value is left unchanged).
    d = Scalar.from_bounds(umin=2, umax=5)
    r = alu(op.MOD, d, Scalar.const(10), alu64=True)
    assert (r.umin, r.umax) == (2, 5)
    d = Scalar.from_bounds(smin=-2, smax=5)
    r = alu(op.MOD, d, Scalar.const(10), alu64=True, off=1)
    assert (r.smin, r.smax) == (-2, 5)


def test_print_format():
    assert format_scalar(Scalar.const(0)) == "0"
    assert format_scalar(Scalar.const(M64)) == "-1"
    assert format_scalar(Scalar.const(0x12345)) == "0x12345"
    assert format_scalar(U) == "scalar()"
    assert format_scalar(U, precise=True, reg_id=3) == "Pscalar(id=3)"
    assert format_scalar(Scalar.const(5), precise=True) == "P5"
    # 6.18 log seen by the live-kernel test: "R0=scalar(id=1+2147483647,smin=..."
    s = coerce_reg_to_size(U, 2)
    assert format_scalar(s, reg_id=1, delta=2147483647).startswith("scalar(id=1+2147483647,smin=")
    assert format_scalar(s, reg_id=2, delta=-4).startswith("scalar(id=2-4,")
    # log.c print_scalar_ranges: "smin=-2 and smin32=-2 are exactly the same
    # in decimal, but in hex ... smin=0xfffffffffffffffe and
    # smin32=0xfffffffe" - so hex values are not merged across widths.
    s = Scalar.from_bounds(smin=-2, smax=-1, sync=False)
    s = Scalar(s.var_off, -2, 5, 0, M64, -2, 5, 0, M32)
    assert format_scalar(s) == "scalar(smin=smin32=-2,smax=smax32=5)"
    s = Scalar(U.var_off, -100000, 5, 0, M64, -100000, 5, 0, M32)
    assert format_scalar(s) == "scalar(smin=0xfffffffffffe7960,smax=smax32=5,smin32=0xfffe7960)"


# --- differential check against the live kernel's verifier log ---------------
#
# Oracle 2 of DESIGN.md: random straight-line programs are loaded into the
# running kernel with log_level 2, and the register state the kernel prints
# after every instruction must equal ours, character for character.  The
# kernel here (6.18) predates DIV/MOD range tracking, so DIV/MOD are modelled
# with track_div_mod=False; everything else is the same code path.

import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from oracles import kernel as kernel_oracle  # noqa: E402
import seeds  # noqa: E402
from tests.support.kernel_log import raw_insn as _insn, reg_text  # noqa: E402
from tests.support.skips import needs_kernel  # noqa: E402


def insn_lines(log: str) -> dict[int, str]:
    """First ``N: (op) insn ; state`` line per instruction index."""
    out: dict[int, str] = {}
    for line in log.splitlines():
        m = re.match(r"^(\d+): \(\w\w\) [^;]*; (.*)$", line)
        if m and int(m.group(1)) not in out:
            out[int(m.group(1))] = m.group(2)
    return out


_KOPS = (op.ADD, op.SUB, op.MUL, op.AND, op.OR, op.XOR, op.LSH, op.RSH, op.ARSH,
         op.NEG, op.END, op.MOV, op.DIV, op.MOD)


def _random_program(rng: random.Random):
    """r6 and r0 start as two unrelated unknown scalars; a few random ALU ops
    follow.  Returns (code, steps) where each step knows its insn index."""
    code = [_insn(0x85, imm=7), _insn(op.ALU64 | op.MOV | op.X, 6, 0), _insn(0x85, imm=7)]
    steps = []
    for _ in range(rng.randrange(1, 6)):
        dst = rng.choice((0, 0, 6))
        opc = rng.choice(_KOPS)
        alu64 = rng.random() < 0.6
        cls = op.ALU64 if alu64 else op.ALU
        idx = len(code)
        if opc in (op.LSH, op.RSH, op.ARSH):
            imm = rng.choice((rng.randrange(64 if alu64 else 32), 32 if alu64 else 16, 1,
                              63 if alu64 else 31))  # s>>63 makes [-1, 0]: forks
            code.append(_insn(cls | opc | op.K, dst, 0, 0, imm))
            steps.append((idx, dst, "alu", opc, alu64, ("k", imm), 0, 0, False))
        elif opc == op.NEG:
            code.append(_insn(cls | opc, dst))
            steps.append((idx, dst, "alu", opc, alu64, None, 0, 0, False))
        elif opc == op.END:
            imm, to_be = rng.choice((16, 32, 64)), rng.random() < 0.5
            code.append(_insn(cls | opc | (op.X if to_be and not alu64 else 0), dst, 0, 0, imm))
            steps.append((idx, dst, "alu", opc, alu64, None, 0, imm, to_be))
        elif opc == op.MOV:
            off = rng.choice((8, 16, 32) if alu64 else (0, 8, 16))
            code.append(_insn(cls | opc | op.X, dst, dst, off))
            steps.append((idx, dst, "mov", alu64, off))
        else:
            off = rng.choice((0, 1)) if opc in (op.DIV, op.MOD) else 0
            r = rng.random()
            if r < 0.25 and opc not in (op.DIV, op.MOD):
                other = 6 - dst  # the other unknown-derived register
                code.append(_insn(cls | opc | op.X, dst, other, off))
                steps.append((idx, dst, "alu", opc, alu64, ("reg", other), off, 0, False))
            elif r < 0.5:
                v = rng.choice((rng.getrandbits(64), 0xFFFFFFFF00000000, M32, 1 << 63,
                                (1 << 40) - 1, rng.getrandbits(40), 7)) or 5
                code += [_insn(0x18, 1, 0, 0, v & M32), _insn(0, 0, 0, 0, v >> 32)]
                code.append(_insn(cls | opc | op.X, dst, 1, off))
                steps.append((idx + 2, dst, "alu", opc, alu64, ("k", v), off, 0, False))
            else:
                imm = rng.choice((rng.randrange(-300, 300), rng.getrandbits(31),
                                  -rng.getrandbits(31), 0xFF, 0xFFFF, 0x7FFFFFFF, -1,
                                  1 << rng.randrange(31))) or 3
                code.append(_insn(cls | opc | op.K, dst, 0, off, imm))
                steps.append((idx, dst, "alu", opc, alu64, ("k", imm & M64), off, 0, False))
    code.append(_insn(0x95))
    return b"".join(code), steps


@needs_kernel
def test_matches_live_kernel_log():
    rng, seed_text = seeds.rng(424242)
    compared = forks = 0
    for _ in range(2500):
        code, steps = _random_program(rng)
        res = kernel_oracle.prog_load(code, "socket_filter", log_level=2)
        assert res.accepted, (seed_text, res.log[-500:])
        res.close()
        lines = insn_lines(res.log)
        regs = {0: U, 6: U}
        for st in steps:
            idx, dst = st[0], st[1]
            if st[2] == "mov":
                regs[dst] = mov(regs[dst], alu64=st[3], off=st[4])
                paths = [regs[dst]]
            else:
                _, _, _, opc, alu64, src, off, imm, to_be = st
                if src is None:
                    s = None
                elif src[0] == "reg":
                    s = regs[src[1]]
                else:  # the kernel's fake register for BPF_K: sign-extended imm
                    s = Scalar.const(src[1])
                paths = alu_paths(opc, regs[dst], s, alu64=alu64, off=off, imm=imm,
                                  to_be=to_be, track_div_mod=False)
                regs[dst] = paths[0]  # the kernel continues with the dst == -1 path
            got = reg_text(lines.get(idx, ""), dst)
            assert got == format_scalar(regs[dst]), (seed_text, st, lines.get(idx), res.log)
            compared += 1
            if len(paths) > 1:
                # maybe_fork_scalars: the dst == 0 copy is explored later, from
                # a state pushed at this very instruction ("from N to N:")
                tail = res.log.split("from %d to %d:" % (idx, idx), 1)
                assert len(tail) == 2, res.log
                again = insn_lines(tail[1]).get(idx, "")
                assert reg_text(again, dst) == format_scalar(paths[1]), (seed_text, st, again)
                forks += 1
                break
    assert compared > 5000 and forks > 3


# --- DIV/MOD precision: tools/testing/selftests/bpf/progs/verifier_div_mod_bounds.c
#
# Each selftest builds a dividend with ALU ops and fall-through conditional
# jumps, divides by a constant and expects the verifier log line quoted in its
# __msg().  The steps below replay those programs literally; the expected
# strings are copied from the selftest file.

from verifier.branch import jmp_imm, reg_set_min_max  # noqa: E402

_MASK32 = [("mov32",), ("alu", op.AND, False, 8), ("alu", op.OR, False, 1)]
_MASK64 = [("alu", op.AND, True, 8), ("alu", op.OR, True, 1)]


def _rng32(first, second):
    return [("mov32",), ("br", first[0], True, first[1]), ("br", second[0], True, second[1])]


def _rng64(first, second):
    return [("br", first[0], False, first[1]), ("br", second[0], False, second[1])]


_POS32 = _rng32((op.JSLT, 8), (op.JSGT, 10))
_NEG32 = _rng32((op.JSGT, -8), (op.JSLT, -10))
_MIX32 = _rng32((op.JSLT, -8), (op.JSGT, 10))
_POS64 = _rng64((op.JSLT, 8), (op.JSGT, 10))
_NEG64 = _rng64((op.JSGT, -8), (op.JSLT, -10))
_MIX64 = _rng64((op.JSLT, -8), (op.JSGT, 10))
# w2 = INT_MIN; w2 += 10; if w1 s> w2 goto ...   (r2 = LLONG_MIN ll for 64-bit)
_OVF32 = [("mov32",), ("brx", op.JSGT, True, 0x8000000A)]
_OVF64 = [("brx", op.JSGT, False, (1 << 63) + 10)]

_D2 = "scalar(smin=umin=smin32=umin32=2,smax=umax=smax32=umax32=3,var_off=(0x2; 0x1))"
_DM32 = ("scalar(smin=umin=umin32=0xfffffffd,smax=umax=umax32=0xfffffffe,smin32=-3,"
         "smax32=-2,var_off=(0xfffffffc; 0x3))")
_DM64 = ("scalar(smin=smin32=-3,smax=smax32=-2,umin=0xfffffffffffffffd,umax=0xfffffffffffffffe,"
         "umin32=0xfffffffd,umax32=0xfffffffe,var_off=(0xfffffffffffffffc; 0x3))")
_U3 = "scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))"
_M2 = "scalar(smin=smin32=0,smax=umax=smax32=umax32=2,var_off=(0x0; 0x3))"
_M19 = "scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=9,var_off=(0x1; 0x8))"
_W = "scalar(smin=0,smax=umax=0xffffffff,smin32=%d,smax32=%d,var_off=(0x0; 0xffffffff))"

DIV_MOD_CASES = [
    # (description, start, steps, op, alu64, off (1 = signed), divisor, expected)
    ("UDIV32, positive divisor", None, _MASK32, op.DIV, False, 0, 3, _U3),
    ("UDIV32, zero divisor", None, _MASK32, op.DIV, False, 0, 0, "0"),
    ("UDIV64, positive divisor", None, _MASK64, op.DIV, True, 0, 3, _U3),
    ("UDIV64, zero divisor", None, _MASK64, op.DIV, True, 0, 0, "0"),
    ("SDIV32, pos divisor, pos dividend", None, _POS32, op.DIV, False, 1, 3, _D2),
    ("SDIV32, pos divisor, neg dividend", None, _NEG32, op.DIV, False, 1, 3, _DM32),
    ("SDIV32, pos divisor, mixed dividend", None, _MIX32, op.DIV, False, 1, 3, _W % (-2, 3)),
    ("SDIV32, neg divisor, pos dividend", None, _POS32, op.DIV, False, 1, -3, _DM32),
    ("SDIV32, neg divisor, neg dividend", None, _NEG32, op.DIV, False, 1, -3, _D2),
    ("SDIV32, neg divisor, mixed dividend", None, _MIX32, op.DIV, False, 1, -3, _W % (-3, 2)),
    ("SDIV32, zero divisor", None, _MASK32, op.DIV, False, 1, 0, "0"),
    ("SDIV32, overflow (S32_MIN/-1)", None, _OVF32, op.DIV, False, 1, -1,
     "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"),
    ("SDIV32, overflow, constant dividend", 0x80000000, [], op.DIV, False, 1, -1, "0x80000000"),
    ("SDIV64, pos divisor, pos dividend", None, _POS64, op.DIV, True, 1, 3, _D2),
    ("SDIV64, pos divisor, neg dividend", None, _NEG64, op.DIV, True, 1, 3, _DM64),
    ("SDIV64, pos divisor, mixed dividend", None, _MIX64, op.DIV, True, 1, 3,
     "scalar(smin=smin32=-2,smax=smax32=3)"),
    ("SDIV64, neg divisor, pos dividend", None, _POS64, op.DIV, True, 1, -3, _DM64),
    ("SDIV64, neg divisor, neg dividend", None, _NEG64, op.DIV, True, 1, -3, _D2),
    ("SDIV64, neg divisor, mixed dividend", None, _MIX64, op.DIV, True, 1, -3,
     "scalar(smin=smin32=-3,smax=smax32=2)"),
    ("SDIV64, zero divisor", None, _MASK64, op.DIV, True, 1, 0, "0"),
    ("SDIV64, overflow (S64_MIN/-1)", None, _OVF64, op.DIV, True, 1, -1, "scalar()"),
    ("SDIV64, overflow, constant dividend", 1 << 63, [], op.DIV, True, 1, -1,
     "0x8000000000000000"),
    ("UMOD32, positive divisor", None, _MASK32, op.MOD, False, 0, 3, _M2),
    ("UMOD32, small dividend", None, _MASK32, op.MOD, False, 0, 10, _M19),
    ("UMOD32, zero divisor", None, _MASK32, op.MOD, False, 0, 0, _M19),
    ("UMOD64, positive divisor", None, _MASK64, op.MOD, True, 0, 3, _M2),
    ("UMOD64, small dividend", None, _MASK64, op.MOD, True, 0, 10, _M19),
    ("UMOD64, zero divisor", None, _MASK64, op.MOD, True, 0, 0, _M19),
    ("SMOD32, pos divisor, pos dividend", None, _POS32, op.MOD, False, 1, 3, _M2),
    ("SMOD32, pos divisor, neg dividend", None, _NEG32, op.MOD, False, 1, 3, _W % (-2, 0)),
    ("SMOD32, pos divisor, mixed dividend", None, _MIX32, op.MOD, False, 1, 3, _W % (-2, 2)),
    ("SMOD32, pos divisor, small dividend", None, _MIX32, op.MOD, False, 1, 11, _W % (-8, 10)),
    ("SMOD32, neg divisor, pos dividend", None, _POS32, op.MOD, False, 1, -3, _M2),
    ("SMOD32, neg divisor, neg dividend", None, _NEG32, op.MOD, False, 1, -3, _W % (-2, 0)),
    ("SMOD32, neg divisor, mixed dividend", None, _MIX32, op.MOD, False, 1, -3, _W % (-2, 2)),
    ("SMOD32, neg divisor, small dividend", None, _MIX32, op.MOD, False, 1, -11, _W % (-8, 10)),
    ("SMOD32, zero divisor", None, _MIX32, op.MOD, False, 1, 0, _W % (-8, 10)),
    ("SMOD32, overflow (S32_MIN%-1)", None, _OVF32, op.MOD, False, 1, -1, "0"),
    ("SMOD32, overflow, constant dividend", 0x80000000, [], op.MOD, False, 1, -1, "0"),
    ("SMOD64, pos divisor, pos dividend", None, _POS64, op.MOD, True, 1, 3, _M2),
    ("SMOD64, pos divisor, neg dividend", None, _NEG64, op.MOD, True, 1, 3,
     "scalar(smin=smin32=-2,smax=smax32=0)"),
    ("SMOD64, pos divisor, mixed dividend", None, _MIX64, op.MOD, True, 1, 3,
     "scalar(smin=smin32=-2,smax=smax32=2)"),
    ("SMOD64, pos divisor, small dividend", None, _MIX64, op.MOD, True, 1, 11,
     "scalar(smin=smin32=-8,smax=smax32=10)"),
    ("SMOD64, neg divisor, pos dividend", None, _POS64, op.MOD, True, 1, -3, _M2),
    ("SMOD64, neg divisor, neg dividend", None, _NEG64, op.MOD, True, 1, -3,
     "scalar(smin=smin32=-2,smax=smax32=0)"),
    ("SMOD64, neg divisor, mixed dividend", None, _MIX64, op.MOD, True, 1, -3,
     "scalar(smin=smin32=-2,smax=smax32=2)"),
    ("SMOD64, neg divisor, small dividend", None, _MIX64, op.MOD, True, 1, -11,
     "scalar(smin=smin32=-8,smax=smax32=10)"),
    ("SMOD64, zero divisor", None, _MIX64, op.MOD, True, 1, 0,
     "scalar(smin=smin32=-8,smax=smax32=10)"),
    ("SMOD64, overflow (S64_MIN%-1)", None, _OVF64, op.MOD, True, 1, -1, "0"),
    ("SMOD64, overflow, constant dividend", 1 << 63, [], op.MOD, True, 1, -1, "0"),
]


@pytest.mark.parametrize("desc,start,steps,opc,alu64,off,divisor,expected", DIV_MOD_CASES,
                         ids=[c[0] for c in DIV_MOD_CASES])
def test_div_mod_selftest_logs(desc, start, steps, opc, alu64, off, divisor, expected):
    r = U if start is None else Scalar.const(start)
    for st in steps:
        if st[0] == "mov32":
            r = mov(r, alu64=False)
        elif st[0] == "alu":
            r = alu(st[1], r, Scalar.from_imm(st[3]), alu64=st[2])
        else:  # fall through a conditional jump: keep its false branch
            other = jmp_imm(st[3]) if st[0] == "br" else Scalar.const(st[3])
            r = reg_set_min_max(r, other, st[1], st[2]).false_a
    src = Scalar.from_imm(divisor)  # the kernel's fake register for BPF_K
    assert format_scalar(alu(opc, r, src, alu64=alu64, off=off)) == expected


# --- arithmetic precision: tools/testing/selftests/bpf/progs/verifier_bounds.c
#
# Straight-line selftests replayed on a tiny register machine; the expected
# register strings are the selftests' __msg() log expectations.

def _replay(steps):
    regs: dict[int, Scalar] = {}
    for st in steps:
        kind = st[0]
        if kind == "unk":      # rX = bpf_get_prandom_u32() result (RET_INTEGER)
            regs[st[1]] = U
        elif kind == "mov":    # rD = rS
            regs[st[1]] = regs[st[2]]
        elif kind == "mov32":  # wD = wS
            regs[st[1]] = mov(regs[st[2]], alu64=False)
        elif kind == "movsx":  # rD = (sN)rS  /  wD = (sN)wS
            regs[st[1]] = mov(regs[st[2]], alu64=st[4], off=st[3])
        elif kind == "movi":   # rD = imm / wD = imm
            regs[st[1]] = mov_imm(st[2], alu64=st[3])
        elif kind == "ldi":    # rD = imm64 ll
            regs[st[1]] = Scalar.const(st[2])
        elif kind == "alu":    # rD op= rS | imm
            _, opc, d, s, imm, alu64 = st
            src = regs[s] if s is not None else Scalar.from_imm(imm)
            regs[d] = alu(opc, regs[d], src, alu64=alu64)
        elif kind == "fall":   # if rD op rS|imm goto ...; continue on the false branch
            _, opc, d, s, imm, jmp32 = st
            other = regs[s] if s is not None else Scalar.from_imm(imm)
            ref = reg_set_min_max(regs[d], other, opc, jmp32)
            regs[d] = ref.false_a
            if s is not None:
                regs[s] = ref.false_b
        else:
            raise AssertionError(kind)
    return regs


_A, _S = op.AND, op.SUB
BOUNDS_CASES = [
    ("multiply mixed sign bounds. test 1",
     [("unk", 6), ("unk", 7), ("alu", _A, 6, None, 0xF, True),
      ("alu", _S, 6, None, 1000000000, True), ("alu", _A, 7, None, 0xF, True),
      ("alu", _S, 7, None, 2000000000, True), ("alu", op.MUL, 6, 7, 0, True)],
     {6: "scalar(smin=umin=0x1bc16d5cd4927ee1,smax=umax=0x1bc16d674ec80000,smax32=0x7ffffeff,"
         "umax32=0xfffffeff,var_off=(0x1bc16d4000000000; 0x3ffffffeff))"}),
    ("multiply mixed sign bounds. test 2",
     [("unk", 6), ("unk", 7), ("alu", _A, 6, None, 0xF, True), ("alu", _S, 6, None, 0xA, True),
      ("alu", _A, 7, None, 0xF, True), ("alu", _S, 7, None, 0x14, True),
      ("alu", op.MUL, 6, 7, 0, True)],
     {6: "scalar(smin=smin32=-100,smax=smax32=200)"}),
    ("multiply negative bounds",
     [("movi", 8, 0x7FFF, True), ("unk", 6), ("unk", 7), ("alu", _A, 6, None, 0xA, True),
      ("alu", _S, 6, 8, 0, True), ("alu", _A, 7, None, 0xF, True), ("alu", _S, 7, 8, 0, True),
      ("alu", op.MUL, 6, 7, 0, True)],
     {6: "scalar(smin=umin=smin32=umin32=0x3ff280b0,smax=umax=smax32=umax32=0x3fff0001,"
         "var_off=(0x3ff00000; 0xf81ff))"}),
    ("multiply bounds that don't cross signed boundary",
     [("movi", 6, 0xB, True), ("ldi", 8, 0xB3C3F8C99262687), ("unk", 7),
      ("alu", _A, 6, 7, 0, True), ("alu", op.MUL, 8, 6, 0, True)],
     {6: "scalar(smin=smin32=0,smax=umax=smax32=umax32=11,var_off=(0x0; 0xb))",
      8: "scalar(smin=0,smax=umax=0x7b96bb0a94a3a7cd,var_off=(0x0; 0x7fffffffffffffff))"}),
    ("multiplication overflow, result in unbounded reg. test 1",
     [("ldi", 8, 0x7FFFFFFFFFF), ("unk", 6), ("unk", 7), ("alu", _A, 6, None, 0x7FFFFFFF, True),
      ("alu", _A, 7, 8, 0, True), ("alu", op.MUL, 6, 7, 0, True)],
     {6: "scalar()"}),
    ("multiplication overflow, result in unbounded reg. test 2",
     [("ldi", 8, 0x7FFFFFFFF), ("unk", 6), ("unk", 7), ("alu", _A, 6, None, 0xA, True),
      ("alu", _S, 6, 8, 0, True), ("alu", _A, 7, None, 0x7FFFFFFF, True),
      ("alu", op.MUL, 6, 7, 0, True)],
     {6: "scalar()"}),
    ("64-bit addition, all outcomes overflow",
     [("unk", 4), ("ldi", 3, 0xA000000000000000), ("alu", op.OR, 3, 4, 0, True),
      ("alu", op.ADD, 3, 3, 0, True)],
     {3: "scalar(umin=0x4000000000000000,umax=0xfffffffffffffffe)"}),
    ("64-bit addition, partial overflow, result in unbounded reg",
     [("unk", 4), ("movi", 3, 2, True), ("alu", op.OR, 3, 4, 0, True),
      ("alu", op.ADD, 3, 3, 0, True)],
     {3: "scalar()"}),
    ("32-bit addition overflow, all outcomes overflow",
     [("unk", 0), ("mov32", 4, 0), ("movi", 3, 0xA0000000, False),
      ("alu", op.OR, 3, 4, 0, False), ("alu", op.ADD, 3, 3, 0, False)],
     {3: "scalar(smin=umin=umin32=0x40000000,smax=umax=umax32=0xfffffffe,"
         "var_off=(0x0; 0xffffffff))"}),
    ("32-bit addition, partial overflow, result in unbounded u32 bounds",
     [("unk", 0), ("mov32", 4, 0), ("movi", 3, 2, False), ("alu", op.OR, 3, 4, 0, False),
      ("alu", op.ADD, 3, 3, 0, False)],
     {3: "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"}),
    ("64-bit subtraction, all outcomes underflow",
     [("unk", 1), ("ldi", 2, 1 << 63), ("alu", op.OR, 1, 2, 0, True), ("movi", 3, 0, True),
      ("alu", _S, 3, 1, 0, True)],
     {3: "scalar(umin=1,umax=0x8000000000000000)"}),
    ("64-bit subtraction, partial overflow, result in unbounded reg",
     [("unk", 3), ("movi", 2, 1, True), ("alu", _S, 3, 2, 0, True)],
     {3: "scalar()"}),
    ("32-bit subtraction overflow, all outcomes underflow",
     [("unk", 0), ("mov32", 1, 0), ("movi", 2, 0x80000000, False),
      ("alu", op.OR, 1, 2, 0, False), ("movi", 3, 0, False), ("alu", _S, 3, 1, 0, False)],
     {3: "scalar(smin=umin=umin32=1,smax=umax=umax32=0x80000000,var_off=(0x0; 0xffffffff))"}),
    ("32-bit subtraction, partial overflow, result in unbounded u32 bounds",
     [("unk", 0), ("mov32", 3, 0), ("movi", 2, 1, False), ("alu", _S, 3, 2, 0, False)],
     {3: "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"}),
    ("bounds deduction cross sign boundary, negative overlap",
     [("unk", 0), ("mov32", 3, 0), ("movsx", 6, 0, 8, False), ("movsx", 0, 0, 8, True),
      ("fall", op.JGE, 6, None, 0xF0000000, True), ("alu", op.ADD, 0, 6, 0, True),
      ("alu", op.ADD, 6, None, 400, True), ("alu", _S, 0, 6, 0, True)],
     {0: "scalar(smin=smin32=-655,smax=smax32=-146,umin=0xfffffffffffffd71,"
         "umax=0xffffffffffffff6e,umin32=0xfffffd71,umax32=0xffffff6e,"
         "var_off=(0xfffffffffffffc00; 0x3ff))"}),
]


@pytest.mark.parametrize("desc,steps,expected", BOUNDS_CASES, ids=[c[0] for c in BOUNDS_CASES])
def test_bounds_selftest_logs(desc, steps, expected):
    regs = _replay(steps)
    for regno, text in expected.items():
        assert format_scalar(regs[regno]) == text, (desc, regno)


@needs_kernel
@pytest.mark.parametrize("off", [8, 16, 32])
def test_movsx_of_an_already_narrow_value_matches_live_kernel(off):
    # `r0 s>>= 56` leaves r0 in [-128, 127]: a 64-bit movsx from 8, 16 or 32 bits is then
    # the identity, and the kernel keeps the bounds (it once widened them to the s32 range)
    code = b"".join([_insn(0x85, imm=7), _insn(op.ALU64 | op.ARSH | op.K, 0, 0, 0, 56),
                     _insn(op.ALU64 | op.MOV | op.X, 0, 0, off), _insn(0x95)])
    res = kernel_oracle.prog_load(code, "socket_filter", log_level=2)
    assert res.accepted, res.log
    res.close()
    ours = mov(alu_paths(op.ARSH, U, Scalar.const(56), alu64=True, off=0, imm=0,
                         to_be=False, track_div_mod=False)[0], alu64=True, off=off)
    assert reg_text(insn_lines(res.log)[2], 0) == format_scalar(ours), res.log
