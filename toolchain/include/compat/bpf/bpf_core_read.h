/* SPDX-License-Identifier: MIT */
/*
 * stackargs: <bpf/bpf_core_read.h> is the system's (libbpf-dev) when it has
 * one, else the fallback shipped in toolchain/include/bpf/. The compile driver
 * searches this directory before the system headers (see bpf_helpers.h here).
 */
#if __has_include_next(<bpf/bpf_core_read.h>)
#include_next <bpf/bpf_core_read.h>
#else
#include "../../bpf/bpf_core_read.h"
#endif
