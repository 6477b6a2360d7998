"""A user's kfunc module: the implementation, its KF_* flags and program types."""
from pipeline.kernel import KfuncSet

MINE = KfuncSet("my_kfunc_ids", module="my_module", prog_types={"sched_cls"})
KFUNC_SETS = [MINE]


@MINE.kfunc()
def my_weighted_sum(vm, a, b, c, d, e, f, g):
    return (a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g) & (2**64 - 1)
