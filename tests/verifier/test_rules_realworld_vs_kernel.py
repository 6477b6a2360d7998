"""Verifier rules behind programs of the real-world harness (bench/realworld, issue 12) that we
rejected and the kernel accepted, each reduced to a small object and compared with the live
kernel: the verdict, the kernel's verdict line and (when both accept) the processed-instruction
count must be the same.  Skips where bpf() or libbpf is missing.
"""

from __future__ import annotations

import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

HEAD = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

INNER = """struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4);
  __type(key, int); __type(value, long); };
struct inner in0 SEC(".maps"), in1 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2);
  __type(key, int); __array(values, struct inner); } aom SEC(".maps") = {
  .values = { &in0, &in1 } };
struct { __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS); __uint(max_entries, 2);
  __type(key, int); __array(values, struct {
    __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8);
    __type(key, int); __type(value, int); }); } hom SEC(".maps");
"""

SOURCES = {
    # map-in-map: a lookup in an ARRAY_OF_MAPS/HASH_OF_MAPS gives the inner map (maybe NULL)
    "map_in_map": INNER + """
SEC("socket") int array_of_maps(void *ctx)
{
  int k = 1;
  void *m = bpf_map_lookup_elem(&aom, &k);
  if (!m) return 0;
  long *v = bpf_map_lookup_elem(m, &k);
  return v ? *v : 0;
}
SEC("socket") int hash_of_maps(void *ctx)
{
  int k = 1, *v;
  void *m = bpf_map_lookup_elem(&hom, &k);
  if (!m) return 0;
  v = bpf_map_lookup_elem(m, &k);
  if (v) return *v;
  return 0;
}
SEC("socket") int inner_value_out_of_bounds(void *ctx)
{
  int k = 1;
  void *m = bpf_map_lookup_elem(&aom, &k);
  if (!m) return 0;
  long *v = bpf_map_lookup_elem(m, &k);
  return v ? v[1] : 0;
}
SEC("socket") int inner_not_null_checked(void *ctx)
{
  int k = 1;
  void *m = bpf_map_lookup_elem(&aom, &k);
  long *v = bpf_map_lookup_elem(m, &k);
  return v ? *v : 0;
}
SEC("socket") int outer_update(void *ctx)
{
  int k = 1;
  return bpf_map_update_elem(&aom, &k, &k, 0);
}
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 3);
  __type(key, int); __array(values, struct inner); } aom3 SEC(".maps") = {
  .values = { [0] = &in1, [2] = &in0 } };
struct { __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS); __uint(max_entries, 4);
  __type(key, int); __array(values, struct inner); } hom2 SEC(".maps") = {
  .values = { [3] = &in0 } };
/* runs: the slots libbpf filled, an empty one, writes through an inner map */
SEC("socket") int inner_write_read(void *ctx)
{
  int k = 1, z = 0, e = 1, h = 3, h2 = 2;
  void *m = bpf_map_lookup_elem(&aom3, &z);
  if (!m) return -1;
  if (bpf_map_lookup_elem(&aom3, &e)) return -2;
  long *v = bpf_map_lookup_elem(m, &k);
  if (!v) return -3;
  *v = 42;
  long *w = bpf_map_lookup_elem(&in1, &k);
  if (!w) return -4;
  void *hm = bpf_map_lookup_elem(&hom2, &h);
  if (!hm || bpf_map_lookup_elem(&hom2, &h2)) return -5;
  long *x = bpf_map_lookup_elem(hm, &z);
  if (!x) return -6;
  *x = 5;
  long *y = bpf_map_lookup_elem(&in0, &z);
  return y ? *w + *y : -7;
}
SEC("socket") int outer_value_read(void *ctx)
{
  int k = 1;
  int *m = bpf_map_lookup_elem(&aom, &k);
  return m ? *m : 0;
}
""",
    # libbpf makes a __hidden global subprogram static (usdt.bpf.h's bpf_usdt_arg): the
    # kernel then checks it with its caller's arguments, a plain global one on its own
    "hidden_subprog": """
__attribute__((noinline, visibility("hidden"))) int fill_hidden(long *res)
{ *res = 0; return 1; }
__attribute__((noinline)) int fill_global(long *res)
{ *res = 0; return 1; }
SEC("kprobe") int hidden_is_static(void *ctx)
{ long v; return fill_hidden(&v) + (int)v; }
SEC("kprobe") int global_is_checked_alone(void *ctx)
{ long v; return fill_global(&v) + (int)v; }
""",
    # sleepable sections (libbpf's SEC_SLEEPABLE: BPF_F_SLEEPABLE)
    "sleepable": """
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4);
  __uint(value_size, 4); } events SEC(".maps");
SEC("uprobe.s") int uprobe_sleeps(void *ctx)
{ long v = 0; bpf_copy_from_user(&v, sizeof(v), (void *)1); return (int)v; }
SEC("uprobe") int uprobe_may_not_sleep(void *ctx)
{ long v = 0; bpf_copy_from_user(&v, sizeof(v), (void *)1); return (int)v; }
SEC("uprobe.s") int sleepable_perf_event_array(void *ctx)
{ long v = 0; bpf_perf_event_output(ctx, &events, 0, &v, sizeof(v)); return 0; }
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 1); __type(key, int);
  __array(values, struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(max_entries, 4);
    __uint(key_size, 4);
    __uint(value_size, 4); }); } outer_pea SEC(".maps");
SEC("uprobe.s") int sleepable_inner_perf_event_array(void *ctx)
{ int k = 0; return bpf_map_lookup_elem(&outer_pea, &k) != 0; }
SEC("uprobe") int inner_perf_event_array(void *ctx)
{ int k = 0; return bpf_map_lookup_elem(&outer_pea, &k) != 0; }
SEC("uprobe") int perf_event_array(void *ctx)
{ long v = 0; bpf_perf_event_output(ctx, &events, 0, &v, sizeof(v)); return 0; }
""",
    # syscall programs: sleepable, their own helpers, the caller's buffer as context
    "syscall": """
struct args { unsigned long long a; int fd; int n; };
SEC("syscall") int sys_close_fd(struct args *ctx)
{ ctx->n = 1; return bpf_sys_close(ctx->fd); }
SEC("syscall") int sys_bpf_call(struct args *ctx)
{ union bpf_attr attr = {}; attr.map_fd = ctx->fd;
  return bpf_sys_bpf(BPF_MAP_FREEZE, &attr, sizeof(attr)); }
SEC("kprobe") int sys_close_elsewhere(void *ctx)
{ return bpf_sys_close(0); }
""",
    # comparing a maybe-NULL pointer with one that is never NULL (an xsk socket)
    "jeq_not_null": """
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 1); __type(key, int);
  __type(value, int); } xsks SEC(".maps");
SEC("xdp") int xsk_eq_infers_not_null(struct xdp_md *ctx)
{
  int k = 0;
  struct bpf_xdp_sock *a = bpf_map_lookup_elem(&xsks, &k), *b = bpf_map_lookup_elem(&xsks, &k);
  if (!a || a != b) return 0;
  return b->queue_id;
}
SEC("xdp") int xsk_unchecked(struct xdp_md *ctx)
{
  int k = 0;
  struct bpf_xdp_sock *a = bpf_map_lookup_elem(&xsks, &k), *b = bpf_map_lookup_elem(&xsks, &k);
  if (a != b) return 0;
  return b->queue_id;
}
""",
    # the same for sockets: a sockmap lookup gives a (referenced) socket, maybe NULL
    "sockmap_lookup": """
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 1); __type(key, int);
  __type(value, int); } sm SEC(".maps");
SEC("tc") int sockmap_unchecked(struct __sk_buff *skb)
{
  int k = 0;
  struct bpf_sock *s = bpf_map_lookup_elem(&sm, &k);
  int r = s->family;
  bpf_sk_release(s);
  return r;
}
SEC("tc") int sockmap_checked(struct __sk_buff *skb)
{
  int k = 0;
  struct bpf_sock *s = bpf_map_lookup_elem(&sm, &k);
  if (!s) return 0;
  int r = s->family;
  bpf_sk_release(s);
  return r;
}
""",
    # bpf_get_stack's return value is at most its size argument
    "get_stack": """
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, long);
  __type(value, char[48]); } h48 SEC(".maps");
SEC("tracepoint") int get_stack_within(void *ctx)
{
  long k = 0;
  char *v = bpf_map_lookup_elem(&h48, &k);
  if (!v) return 0;
  long n = bpf_get_stack(ctx, v, 24, 0);
  if (n <= 0) return 0;
  return v[n];
}
SEC("tracepoint") int get_stack_past_the_end(void *ctx)
{
  long k = 0;
  char *v = bpf_map_lookup_elem(&h48, &k);
  if (!v) return 0;
  long n = bpf_get_stack(ctx, v, 48, 0);
  if (n <= 0) return 0;
  return v[n];
}
""",
    # open-coded iterator loops: a path around an iterator loop is no infinite loop
    # (iter_active_depths_differ), and a loop in a subprogram called from a loop belongs to
    # the caller's SCC visit (compute_scc_callchain: the outermost SCC)
    "iter_loops": """
struct bpf_iter_num { unsigned long long opaque[1]; } __attribute__((aligned(8)));
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
  __type(value, int); } arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, int);
  __type(value, int); } hash SEC(".maps");
SEC("raw_tp") int for_loop(void *ctx)
{
  int i;
  bpf_for(i, 5, 10) { bpf_printk("v=%d", i); }
  return 0;
}
SEC("raw_tp") int nested_for_loops(void *ctx)
{
  int i, j, sum = 0;
  bpf_for(i, 0, 3) { bpf_for(j, 0, 4) { sum += i * j; } }
  return sum;
}
SEC("raw_tp") int repeat_lookup(void *ctx)
{
  int *v = 0, key = 0;
  int found = 0;
  bpf_repeat(1000000) { v = bpf_map_lookup_elem(&arr, &key); found = 1; }
  if (found) return v ? *v : 0;
  return 0;
}
SEC("raw_tp") int repeat_lookup_unchecked(void *ctx)
{
  int *v = 0, key = 0;
  int found = 0;
  bpf_repeat(1000000) { v = bpf_map_lookup_elem(&hash, &key); found = 1; }
  if (found) *v = 123;
  return 0;
}
__attribute__((noinline)) static int sub_loop(int n)
{
  int i, sum = 0;
  bpf_for(i, 0, 4) { sum += i * n; }
  return sum;
}
SEC("raw_tp") int loop_calls_loop(void *ctx)
{
  int i, sum = 0;
  bpf_for(i, 0, 3) { sum += sub_loop(i); }
  return sum;
}
""",
}

CASES = [("map_in_map", p) for p in ("array_of_maps", "hash_of_maps", "inner_value_out_of_bounds",
                                      "inner_not_null_checked", "outer_update",
                                      "outer_value_read", "inner_write_read")]
CASES += [("hidden_subprog", p) for p in ("hidden_is_static", "global_is_checked_alone")]
CASES += [("sleepable", p) for p in ("uprobe_sleeps", "uprobe_may_not_sleep",
                                     "sleepable_perf_event_array", "perf_event_array",
                                     "sleepable_inner_perf_event_array",
                                     "inner_perf_event_array")]
CASES += [("jeq_not_null", p) for p in ("xsk_eq_infers_not_null", "xsk_unchecked")]
CASES += [("sockmap_lookup", p) for p in ("sockmap_unchecked", "sockmap_checked")]
CASES += [("get_stack", p) for p in ("get_stack_within", "get_stack_past_the_end")]
CASES += [("iter_loops", p) for p in ("for_loop", "nested_for_loops", "repeat_lookup",
                                      "repeat_lookup_unchecked", "loop_calls_loop")]
CASES += [("syscall", p) for p in ("sys_close_fd", "sys_bpf_call", "sys_close_elsewhere")]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "rules_realworld", SOURCES, HEAD, TAIL)


def _both(objects, src: str, prog: str, level: int = 1):
    path, obj = objects(src)
    return kernel_and_ours(path, obj, prog, level=level)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_realworld_rule_equals_kernel(objects, src, prog):
    assert_same_verdict(*_both(objects, src, prog))


@pytest.mark.parametrize("engine", ["interp", "unicorn", "native"])
def test_map_in_map_run_equals_kernel(objects, engine):
    # the inner maps libbpf put in the slots (.values), NULL for an empty slot
    import pipeline
    path, obj = objects("map_in_map")
    res = kernel.load_object(path, "inner_write_read")
    try:
        assert res.accepted, res.log
        want = kernel.prog_test_run(res.fd, bytes(64)).retval
    finally:
        res.close()
    assert pipeline.run(obj, "inner_write_read", data=bytes(64), engine=engine).retval == want


# --- raw programs (BPF_PROG_LOAD) ---------------------------------------------------------

def _insn(code, dst=0, src=0, off=0, imm=0) -> bytes:
    import struct
    return struct.pack("<BBhi", code, dst | (src << 4), off, imm)


def _moved_past_end(cmp: int, arith: int) -> bytes:
    """tc: p = data + 14; if p CMP data_end: p ARITH 8; if p <= data_end: read p[100].
    A pointer known at (>=) or beyond (>) the end says nothing once moved (test_cls_redirect:
    the kernel explores the second test both ways, and the read is out of range)."""
    return (_insn(0x61, 2, 1, 80) + _insn(0x61, 1, 1, 76) + _insn(0x07, 1, 0, 0, 14)
            + _insn(cmp, 1, 2, 2) + _insn(0xB7) + _insn(0x95)
            + _insn(arith, 1, 0, 0, 8) + _insn(0xBD, 1, 2, 2) + _insn(0xB7, 0, 0, 0, 1)
            + _insn(0x95) + _insn(0x71, 0, 1, 100) + _insn(0x95))


# a checked pointer's range survives a constant move: data + 4 reads data[12] after data + 14
_KEEPS_RANGE = (_insn(0x61, 2, 1, 80) + _insn(0x61, 1, 1, 76) + _insn(0xBF, 3, 1)
                + _insn(0x07, 3, 0, 0, 14) + _insn(0x2D, 3, 2, 3) + _insn(0x07, 1, 0, 0, 4)
                + _insn(0x71, 0, 1, 8) + _insn(0x95) + _insn(0xB7) + _insn(0x95))

RAW = {f"pkt_{c}_end_then_{a}": _moved_past_end(cc, aa)
       for c, cc in (("beyond", 0x2D), ("at", 0x3D)) for a, aa in (("add", 0x07), ("sub", 0x17))}
RAW["pkt_checked_then_add"] = _KEEPS_RANGE


@pytest.mark.parametrize("name", list(RAW))
def test_raw_program_equals_kernel(name):
    from isa import decode
    from verifier import VerifierInput, verify
    res = kernel.prog_load(RAW[name], "sched_cls", log_level=1)
    try:
        processed = kernel.prog_info(res.fd).verified_insns if res.accepted else None
    finally:
        res.close()
    assert res.reached_kernel, res.error
    ours = verify(VerifierInput(decode(RAW[name]), prog_type="sched_cls", license="GPL"), 1)
    assert ours.accepted == res.accepted, (ours.error_line, res.log)
    if res.accepted:
        assert ours.processed_insns == processed
    else:
        assert ours.error_line == res.error_line, res.log
