"""The toolchain regression corpus's kfuncs (``toolchain/checks/*.c``) as Python.

Each returns the corpus convention (toolchain/checks/README.md): the sum over parameters of
``(i + 1) * arg_i``, each 64-bit piece read as its C parameter type (width, signedness,
``_Bool``), so a caller that extends a narrow argument wrongly changes the result; a pointer
counts as the ``long`` it points to, a 16-byte value as lo + 3 * hi.  Registered for ``tc``
(``sched_cls``), the corpus's program type.  Prototypes: ``kfuncs.c`` beside this file.
"""

from __future__ import annotations

from isa.ints import s32, s64, sext

from pipeline.kernel.registry import KfuncSet
from pipeline.kernel.state import U64, load_s64

CHECKS = KfuncSet("stackargs_checks_kfunc_ids", module="stackargs_checks",
                  prog_types={"sched_cls"})
KFUNC_SETS = [CHECKS]


def _weighted(*values: int) -> int:
    return sum((i + 1) * v for i, v in enumerate(values)) & U64


@CHECKS.kfunc()
def kf_sum6(vm, a, b, c, d, e, f):
    return _weighted(*map(s64, (a, b, c, d, e, f)))


@CHECKS.kfunc()
def kf_sum7(vm, a, b, c, d, e, f, g):
    return _weighted(*map(s64, (a, b, c, d, e, f, g)))


@CHECKS.kfunc()
def kf_sum12(vm, a, b, c, d, e, f, g, h, i, j, k, l):
    return _weighted(*map(s64, (a, b, c, d, e, f, g, h, i, j, k, l)))


@CHECKS.kfunc()
def kf_narrow9(vm, a, b, c, d, e, f, g, h, i):
    # signed char, short, int, unsigned, _Bool, signed char, short, int, unsigned char
    return _weighted(sext(a, 8), sext(b, 16), s32(c), d & 0xFFFFFFFF, int((e & 0xFF) != 0),
                     sext(f, 8), sext(g, 16), s32(h), i & 0xFF)


@CHECKS.kfunc()
def kf_ptr7(vm, a, b, c, d, e, f, g):
    return _weighted(*map(s64, (a, b, c, d, e)), load_s64(vm, f), load_s64(vm, g))


@CHECKS.kfunc()
def kf_wide(vm, a, b, c, d, e, f_lo, f_hi, g):
    return _weighted(*map(s64, (a, b, c, d, e)), s64(f_lo) + 3 * s64(f_hi), s64(g))
