"""Tests for verifier.tnum: soundness by brute-force enumeration of members,
optimality where the literature proves it, and facts quoted from the kernel.

Oracles: Python integer arithmetic on every member of small tnums (at most a
few unknown bits, so all members can be listed), and documented behaviour of
the kernel's kernel/bpf/tnum.c.
"""

from __future__ import annotations

import itertools
import random

import pytest

from verifier.tnum import (
    TNUM_UNKNOWN, U64_MAX, Tnum, tnum_add, tnum_and, tnum_arshift, tnum_bswap16,
    tnum_bswap32, tnum_bswap64, tnum_cast, tnum_clear_subreg, tnum_const,
    tnum_const_subreg, tnum_equals_const, tnum_in, tnum_intersect, tnum_is_aligned,
    tnum_is_const, tnum_is_unknown, tnum_lshift, tnum_mul, tnum_neg, tnum_or,
    tnum_overlap, tnum_range, tnum_rshift, tnum_sbin, tnum_step, tnum_strn,
    tnum_sub, tnum_subreg, tnum_subreg_is_const, tnum_union, tnum_with_subreg,
    tnum_xor,
)

M64 = U64_MAX
M32 = (1 << 32) - 1


def members(t: Tnum) -> list[int]:
    """Every concrete value of t (t must have few unknown bits)."""
    bits = [i for i in range(64) if (t.mask >> i) & 1]
    out = []
    for combo in itertools.product((0, 1), repeat=len(bits)):
        v = t.value
        for b, on in zip(bits, combo):
            if on:
                v |= 1 << b
        out.append(v)
    return out


def abstract(vals) -> Tnum:
    """The tightest tnum of a set of u64 values, computed independently of
    the module under test: known bits are those equal in every value."""
    vals = [v & M64 for v in vals]
    all_and = M64
    any_or = 0
    for v in vals:
        all_and &= v
        any_or |= v
    mask = all_and ^ any_or
    return Tnum(all_and, mask)


def rand_tnum(rng: random.Random, max_unknown: int = 3) -> Tnum:
    """A tnum with a random value and 0..max_unknown unknown bits, placed
    either anywhere or clustered near interesting positions."""
    style = rng.randrange(4)
    if style == 0:
        v = rng.getrandbits(64)
    elif style == 1:
        v = rng.getrandbits(8)
    elif style == 2:
        v = (-rng.getrandbits(8)) & M64
    else:
        v = (rng.getrandbits(4) << rng.choice((28, 29, 30, 31, 32, 60, 61))) & M64
    n = rng.randrange(max_unknown + 1)
    positions = list(range(64)) if rng.random() < 0.5 else \
        [p for p in (0, 1, 2, 3, 7, 8, 15, 30, 31, 32, 33, 62, 63)]
    mask = 0
    for p in rng.sample(positions, n):
        mask |= 1 << p
    return Tnum(v & ~mask, mask)


def check_binop(rng, fn, concrete, cases=1500, optimal=False):
    for _ in range(cases):
        a, b = rand_tnum(rng), rand_tnum(rng)
        r = fn(a, b)
        results = {concrete(x, y) & M64 for x in members(a) for y in members(b)}
        for v in results:
            assert r.contains(v), (a, b, r, hex(v))
        assert r.value & r.mask == 0
        if optimal:
            assert r == abstract(results), (a, b, r, abstract(results))


# --- soundness (and optimality where proven) of the arithmetic -------------

def test_add_sound_and_optimal():
    # tnum_add/tnum_sub are proven sound and optimal in Vishwanathan et al.,
    # "Sound, Precise, and Fast Abstract Interpretation with Tristate
    # Numbers" (CGO 2022, arXiv:2105.05398), the paper tnum.c cites.
    check_binop(random.Random(1), tnum_add, lambda x, y: x + y, optimal=True)


def test_sub_sound_and_optimal():
    check_binop(random.Random(2), tnum_sub, lambda x, y: x - y, optimal=True)


def test_bitwise_ops_sound_and_optimal():
    # and/or/xor act bit by bit, so the tightest tnum is reached exactly
    check_binop(random.Random(3), tnum_and, lambda x, y: x & y, optimal=True)
    check_binop(random.Random(4), tnum_or, lambda x, y: x | y, optimal=True)
    check_binop(random.Random(5), tnum_xor, lambda x, y: x ^ y, optimal=True)


def test_mul_sound():
    check_binop(random.Random(6), tnum_mul, lambda x, y: x * y, cases=2000)


def test_neg_sound_and_optimal():
    rng = random.Random(7)
    for _ in range(2000):
        a = rand_tnum(rng)
        res = {(-x) & M64 for x in members(a)}
        r = tnum_neg(a)
        assert all(r.contains(v) for v in res)
        assert r == abstract(res)  # neg is sub from a constant: optimal


def test_union_optimal():
    # tnum.c: "This represents a superset of the union of the concrete sets
    # of both a and b. Despite the overapproximation, it is optimal."
    rng = random.Random(8)
    for _ in range(2000):
        a, b = rand_tnum(rng), rand_tnum(rng)
        assert tnum_union(a, b) == abstract(members(a) + members(b))


def test_intersect_exact_when_compatible():
    rng = random.Random(9)
    for _ in range(2000):
        a, b = rand_tnum(rng, 5), rand_tnum(rng, 5)
        common = set(members(a)) & set(members(b))
        r = tnum_intersect(a, b)
        if common:
            assert set(members(r)) == common
        # overlap is exactly "the intersection is non-empty"
        assert tnum_overlap(a, b) == bool(common)


def test_shifts_exact():
    rng = random.Random(10)
    for _ in range(1500):
        a = rand_tnum(rng, 4)
        sh = rng.randrange(64)
        assert set(members(tnum_lshift(a, sh))) == {(x << sh) & M64 for x in members(a)}
        assert set(members(tnum_rshift(a, sh))) == {x >> sh for x in members(a)}
        r = tnum_arshift(a, sh, 64)
        for x in members(a):
            sx = x - (1 << 64) if x >> 63 else x
            assert r.contains((sx >> sh) & M64)
        sh32 = rng.randrange(32)
        r32 = tnum_arshift(a, sh32, 32)
        for x in members(a):
            lo = x & M32
            s = lo - (1 << 32) if lo >> 31 else lo
            assert r32.contains((s >> sh32) & M32)
        assert r32.value >> 32 == 0 and r32.mask >> 32 == 0


def test_cast_subreg_and_bswap_exact():
    rng = random.Random(11)
    for _ in range(1500):
        a = rand_tnum(rng, 4)
        xs = members(a)
        for size in (1, 2, 4):
            assert set(members(tnum_cast(a, size))) == {x & ((1 << 8 * size) - 1) for x in xs}
        assert set(members(tnum_subreg(a))) == {x & M32 for x in xs}
        assert set(members(tnum_clear_subreg(a))) == {x & ~M32 & M64 for x in xs}
        b = rand_tnum(rng, 3)
        w = tnum_with_subreg(a, b)
        assert set(members(w)) == {(x & ~M32 & M64) | (y & M32) for x in xs for y in members(b)}
        c = rng.getrandbits(32)
        assert set(members(tnum_const_subreg(a, c))) == {(x & ~M32 & M64) | c for x in xs}
        for fn, n in ((tnum_bswap16, 2), (tnum_bswap32, 4), (tnum_bswap64, 8)):
            want = {int.from_bytes((x & ((1 << 8 * n) - 1)).to_bytes(n, "little"), "big")
                    for x in xs}
            assert set(members(fn(a))) == want


def test_range_contains_interval_and_matches_kernel_comment():
    rng = random.Random(12)
    for _ in range(2000):
        lo = rng.choice((rng.getrandbits(64), rng.getrandbits(12), M64 - rng.getrandbits(12)))
        hi = min(M64, lo + rng.getrandbits(rng.choice((3, 8, 12))))
        t = tnum_range(lo, hi)
        for v in (lo, hi, (lo + hi) // 2, *(rng.randint(lo, hi) for _ in range(20))):
            assert t.contains(v)
        # the shared prefix of lo and hi stays known
        keep = ~((1 << (lo ^ hi).bit_length()) - 1) & M64
        assert t.value & keep == lo & keep and t.mask & keep == 0
    # tnum.c comment: "if chi = 4, bits = 3, delta = (1<<3) - 1 = 7"
    assert tnum_range(0, 4) == Tnum(0, 7)
    assert tnum_range(5, 5) == tnum_const(5)
    assert tnum_range(0, M64) == TNUM_UNKNOWN


def test_in_and_predicates_match_enumeration():
    rng = random.Random(13)
    for _ in range(2000):
        a, b = rand_tnum(rng, 4), rand_tnum(rng, 3)
        assert tnum_in(a, b) == set(members(b)).issubset(members(a))
        assert tnum_is_const(a) == (len(members(a)) == 1)
        x = rng.choice(members(a))
        assert tnum_equals_const(a, x) == (a.mask == 0)
        assert tnum_subreg_is_const(a) == (len({m & M32 for m in members(a)}) == 1)
        size = rng.choice((0, 1, 2, 4, 8))
        assert tnum_is_aligned(a, size) == all(size == 0 or m % size == 0 for m in members(a))
    assert tnum_is_unknown(TNUM_UNKNOWN) and not tnum_is_unknown(tnum_const(0))


def test_step_matches_enumeration():
    rng = random.Random(14)
    for _ in range(3000):
        t = rand_tnum(rng, 5)
        ms = sorted(members(t))
        z = rng.choice((rng.choice(ms), rng.choice(ms) + rng.choice((-1, 1)),
                        rng.getrandbits(64)))
        z &= M64
        got = tnum_step(t, z)
        if z >= ms[-1]:
            assert got == ms[-1]
        elif z < ms[0]:
            assert got == ms[0]
        else:
            assert got == min(m for m in ms if m > z)


def test_step_kernel_example():
    # tnum.c: t = x11100x0, z = 11110001 (241), result = 11110010 (242)
    assert tnum_step(Tnum(0b01110000, 0b10000010), 241) == 242


def test_mul_kernel_example():
    # tnum.c tnum_mul comment: 11 * x1 gives union(0011, 1001) == x0x1
    # (a = x1 is the multiplier walked bit by bit, b = 11).
    assert tnum_mul(Tnum(0b01, 0b10), tnum_const(0b11)) == Tnum(0b0001, 0b1010)


def test_union_mailing_list_example():
    # bpf list, tnum_union review: a=0b1010, b=0b0101 have no bits in
    # common, so their union is (0; 0b1111).
    assert tnum_union(tnum_const(0b1010), tnum_const(0b0101)) == Tnum(0, 0b1111)


def test_printing():
    # kernel logs print var_off as "(0x0; 0xff)" (kernel vsnprintf gives
    # "0x0" for %#llx of zero); log.c tnum_strn prints constants plainly.
    assert tnum_strn(Tnum(0, 0xFF)) == "(0x0; 0xff)"
    assert tnum_strn(Tnum(0x100, 0xFF0000000000)) == "(0x100; 0xff0000000000)"
    assert tnum_strn(tnum_const(7)) == "7"
    assert tnum_strn(tnum_const(0x10000)) == "0x10000"
    assert str(Tnum(0, 0xFFFFFFFF)) == "(0x0; 0xffffffff)"
    s = tnum_sbin(Tnum(0b1010, 0b0101))
    assert len(s) == 64 and s.endswith("1x1x") and set(s[:-4]) == {"0"}
    assert tnum_sbin(TNUM_UNKNOWN) == "x" * 64


@pytest.mark.parametrize("v", [0, 1, M64, 1 << 63, 0xDEADBEEF])
def test_const_contains_only_itself(v):
    t = tnum_const(v)
    assert t.contains(v) and not t.contains(v ^ 1) and members(t) == [v]
