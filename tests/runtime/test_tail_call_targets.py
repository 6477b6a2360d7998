"""Tail-call targets that call helpers, kfuncs and subprograms, on every engine, compared
with the live kernel's BPF_PROG_TEST_RUN (libbpf fills the prog arrays' ``.values``).

Regressions: the native engine once placed its helper/kfunc stubs at a fixed 64-byte stride
while ``bpf_tail_call``'s stub is longer, so linking a tail-call target that calls any
helper or kfunc (even on a branch never taken) overwrote the end of that stub and the
caller fell through (10 instead of the target's 2); and it kept LD_ABS's out-of-range flag set,
so a later tail call that fell through jumped to address 0.  Expected values are the kernel's.
"""

from __future__ import annotations

import pytest

import pipeline
from pipeline.kernel import INCLUDE_DIR
from tests.support.skips import need_engine, need_kernel_objects

ENGINES = ["native", "unicorn", "interp"]
DATA = bytes(64)                 # the packet of every run (skb->len 64)

HEAD = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_kfuncs.h"

long visited;                    /* programs run, one decimal digit each */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");
"""


def prog_array(targets: dict[int, str], max_entries: int = 2) -> str:
    """The prog array ``arr`` whose slots libbpf fills from ``.values`` (slot -> program),
    after the programs' forward declarations."""
    decls = "".join(f"int {name}(struct __sk_buff *skb);\n" for name in targets.values())
    values = ", ".join(f"[{slot}] = (void *)&{name}" for slot, name in targets.items())
    return decls + f"""struct {{
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, {max_entries});
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
}} arr SEC(".maps") = {{ .values = {{ {values} }} }};
"""


def entry_calling(slot: int) -> str:
    """The entry program: marks its visit, tail-calls slot ``slot``, returns 10 if that fails."""
    return f"""
SEC("tc") int entry(struct __sk_buff *skb)
{{
	visited = 1;
	bpf_tail_call(skb, &arr, {slot});
	return 10;
}}
"""


# name -> (source after HEAD, entry program); each prog array names its targets
SOURCES = {
    # the helper is never called: the target's link alone broke native
    "helper_not_taken": (prog_array({0: "target"}) + entry_calling(0) + """
SEC("tc") int target(struct __sk_buff *skb)
{
	visited = visited * 10 + 2;
	if (skb->len == 12345)
		return bpf_get_prandom_u32() | 1000;
	return 2;
}
""", "entry"),
    "helper_taken": (prog_array({1: "target"}) + """
SEC("tc") int entry(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (v)
		*v += 5;
	visited = 1;
	bpf_tail_call(skb, &arr, 1);
	return 10;
}

SEC("tc") int target(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	visited = visited * 10 + 2;
	if (!v)
		return 99;
	*v += 7;
	return *v + (bpf_ktime_get_ns() ? 100 : 200);
}
""", "entry"),
    "kfunc": (prog_array({0: "target"}) + entry_calling(0) + """
SEC("tc") int target(struct __sk_buff *skb)
{
	struct bpf_dynptr dp;

	visited = visited * 10 + 2;
	if (bpf_dynptr_from_skb(skb, 0, &dp))
		return 77;
	return 1000 + bpf_dynptr_size(&dp);
}
""", "entry"),
    "chain": (prog_array({1: "mid", 2: "last"}, max_entries=4) + entry_calling(1) + """
SEC("tc") int mid(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	visited = visited * 10 + 2;
	if (v)
		*v += 3;
	bpf_tail_call(skb, &arr, 2);
	return 20;
}

SEC("tc") int last(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	visited = visited * 10 + 3;
	bpf_tail_call(skb, &arr, 3);          /* empty slot: falls through */
	if (skb->len == 12345)
		return bpf_get_prandom_u32();
	return v ? 30 + *v : 99;
}
""", "entry"),
    "subprograms": (prog_array({0: "target"}) + """
static __attribute__((noinline)) int bump(int by)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (!v)
		return 0;
	*v += by;
	return *v;
}

static __attribute__((noinline)) int twice(struct __sk_buff *skb)
{
	return bump(skb->len) + bump(1);
}

SEC("tc") int entry(struct __sk_buff *skb)
{
	visited = 1;
	bpf_tail_call(skb, &arr, 0);
	return 10;
}

SEC("tc") int target(struct __sk_buff *skb)
{
	visited = visited * 10 + 2;
	return twice(skb) + 1000;
}
""", "entry"),
    # the tail call from a subprogram of the caller, into a target that calls helpers
    "from_subprogram": (prog_array({0: "target"}) + """
__attribute__((noinline)) int jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &arr, 0);
	return 10;
}

SEC("tc") int entry(struct __sk_buff *skb)
{
	visited = 1;
	return jump(skb) + 500;
}

SEC("tc") int target(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	visited = visited * 10 + 2;
	return v ? 40 + *v : 99;
}
""", "entry"),
    # LD_ABS out of range ends the first run with 0; the second run's tail call finds an
    # empty slot and falls through (native once kept LD_ABS's flag and jumped to 0)
    "ld_abs_then_empty_slot": ("""
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} arr SEC(".maps");

SEC("tc") int entry(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (!v)
		return 1;
	*v += 1;
	if (*v == 1)
		return load_byte(skb, 1000) + 3;
	bpf_tail_call(skb, &arr, 1);
	return 5;
}
""", "entry"),
}

TAIL = '\nchar _license[] SEC("license") = "GPL";\n'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("tail_targets")
    objs = {}
    for name, (body, _) in SOURCES.items():
        src = out / f"{name}.c"
        src.write_text(HEAD + body + TAIL)
        path = out / f"{name}.o"
        objs[name] = (path, pipeline.build(src, include=[INCLUDE_DIR], output=path))
    return objs


@pytest.fixture(scope="module")
def kernel_retvals(built):
    """What the live kernel's BPF_PROG_TEST_RUN returns for each case's entry."""
    from tests.oracles import kernel
    need_kernel_objects()
    return {name: kernel.run_object(path, SOURCES[name][1], DATA).retval
            for name, (path, _) in built.items()}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", sorted(SOURCES))
def test_tail_call_target_matches_the_kernel(built, kernel_retvals, engine, case):
    need_engine(engine)
    res = pipeline.run(built[case][1], SOURCES[case][1], data=DATA, engine=engine)
    assert res.retval == kernel_retvals[case]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case, repeat", [("helper_taken", 10), ("chain", 3),
                                          ("ld_abs_then_empty_slot", 2)])
def test_repeated_runs_keep_tail_calls_right(built, engine, case, repeat):
    """Several runs in one call (the native engine's Python loop for programs that
    tail-call): map counters persist across runs, so compare with the kernel's last run."""
    from tests.oracles import kernel
    need_engine(engine)
    need_kernel_objects()
    path, obj = built[case]
    res = pipeline.run(obj, SOURCES[case][1], data=DATA, engine=engine, repeat=repeat)
    assert res.retval == kernel.run_object(path, SOURCES[case][1], DATA, repeat=repeat).retval
