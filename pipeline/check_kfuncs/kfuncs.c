// SPDX-License-Identifier: GPL-2.0
/*
 * The kfuncs of the toolchain regression corpus (toolchain/checks/*.c), as kernel-side
 * prototypes: compiled into the mock kernel's BTF, so the corpus's extern kfunc calls
 * verify against them as against a kernel module's BTF.  Each returns what the corpus's
 * native stub returns (toolchain/checks/README.md): the sum over parameters of
 * (i + 1) * arg_i, a pointer counting as the long it points to, a 16-byte value as
 * lo + 3 * hi.  They run as check_kfuncs/kfuncs.py; `python -m toolchain check` loads this
 * module (API: kernel=pipeline.corpus_run.KMOD).
 */
#include "../kernel/core/kernel_types.h"

__bpf_kfunc long kf_sum6(long a, long b, long c, long d, long e, long f)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

__bpf_kfunc long kf_sum7(long a, long b, long c, long d, long e, long f, long g)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g;
}

__bpf_kfunc long kf_sum12(long a, long b, long c, long d, long e, long f, long g, long h,
			  long i, long j, long k, long l)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j
	       + 11 * k + 12 * l;
}

__bpf_kfunc long kf_narrow9(signed char a, short b, int c, unsigned d, _Bool e, signed char f,
			    short g, int h, unsigned char i)
{
	return a + 2 * b + 3 * c + 4L * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i;
}

__bpf_kfunc long kf_ptr7(long a, long b, long c, long d, long e, const long *f, const long *g)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * *f + 7 * *g;
}

__bpf_kfunc long kf_wide(long a, long b, long c, long d, long e, __int128 f, long g)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * ((long)f + 3 * (long)(f >> 64)) + 7 * g;
}
