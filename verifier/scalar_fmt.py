"""Log text of a scalar register (kernel/bpf/log.c: print_reg_state /
print_scalar_ranges): ``R0=5``, ``R1=scalar(id=1+5,smin=...,var_off=(0x0; 0xff))``.

Split from :mod:`verifier.scalar_bounds`, which re-exports both public names.
"""

from __future__ import annotations

from isa.ints import S32_MAX, S32_MIN, S64_MAX, S64_MIN, s64, u32, u64
from verifier.tnum import U32_MAX, U64_MAX, tnum_is_const, tnum_is_unknown, tnum_strn


def _verbose_unum(v: int) -> str:
    return str(v) if v <= 0xFFFF else "0x%x" % v


def _verbose_snum(v: int) -> str:
    v = s64(v)
    return str(v) if -0x8000 <= v <= 0x7FFF else "0x%x" % u64(v)


def _is_snum_decimal(v: int) -> bool:
    return -0x8000 <= v <= 0x7FFF


def format_scalar_ranges(s) -> list[str]:
    """The ``name=...`` items of print_scalar_ranges (defaults omitted, equal
    values merged as ``smin=smin32=0``)."""
    # smin32/smax32 are sign-extended only when printed in decimal: in hex a
    # sign-extended 0xfffffffe would read as a different number.
    def sv32(v: int) -> int:
        return u64(v) if _is_snum_decimal(v) else u32(v)

    table = [
        ["smin", u64(s.smin), s.smin == S64_MIN],
        ["smax", u64(s.smax), s.smax == S64_MAX],
        ["umin", s.umin, s.umin == 0],
        ["umax", s.umax, s.umax == U64_MAX],
        ["smin32", sv32(s.s32_min), s.s32_min == S32_MIN],
        ["smax32", sv32(s.s32_max), s.s32_max == S32_MAX],
        ["umin32", s.u32_min, s.u32_min == 0],
        ["umax32", s.u32_max, s.u32_max == U32_MAX],
    ]
    items = []
    for i, (name, val, omit) in enumerate(table):
        if omit:
            continue
        neg1 = name[0] == "s" and s64(val) < 0
        names = [name]
        for j in range(i + 2, len(table), 2):
            name2, val2, omit2 = table[j]
            if omit2 or val2 != val:
                continue
            if (name2[0] == "s" and s64(val2) < 0) != neg1:
                continue  # don't mix negatives with positives
            table[j][2] = True
            names.append(name2)
        num = _verbose_snum(val) if name[0] == "s" else _verbose_unum(val)
        items.append("=".join(names) + "=" + num)
    return items


def format_scalar(s, *, precise: bool = False, reg_id: int = 0,
                  delta: int | None = None) -> str:
    """A scalar register as the verifier log prints it after ``R0=``
    (kernel/bpf/log.c print_reg_state): a constant as a plain number (``5``,
    ``-1``, ``0x10000``), otherwise ``scalar(id=..,smin=...,var_off=(0x0;
    0xff))``; ``P`` marks a precise register.  ``delta`` is the constant of a
    linked register (``r1 = r0; r1 += 5`` prints ``id=1+5``)."""
    prefix = "P" if precise else ""
    if tnum_is_const(s.var_off):
        return prefix + _verbose_snum(s.var_off.value)
    items = []
    if reg_id:
        items.append("id=%d" % reg_id + ("%+d" % delta if delta is not None else ""))
    items += format_scalar_ranges(s)
    if not tnum_is_unknown(s.var_off):
        items.append("var_off=" + tnum_strn(s.var_off))
    return prefix + "scalar(" + ",".join(items) + ")"
