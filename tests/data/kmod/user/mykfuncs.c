/* A user's kfunc module: prototypes (compiled into the mock kernel's BTF). */
#include "kernel_types.h"

__bpf_kfunc u64 my_weighted_sum(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g;
}
