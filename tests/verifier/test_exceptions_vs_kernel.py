"""BPF exceptions (``bpf_throw``, exception callbacks) against the live kernel's verifier.

C compiled by the project's toolchain; the kernel loads each program through libbpf
(tests/oracles ``load_object``) and our verifier gets the same object through
``pipeline.verify``.  Verdict, the kernel's verdict line and (when both accept) the
processed-instruction count must agree.  Skips where bpf() or libbpf is missing.

An exception callback is never called, so libbpf before 1.3 (this machine's system
libbpf, say) leaves it out of the program; the sources reference it once from code the
verifier proves dead (a frozen ``.rodata`` zero guards it), which makes every libbpf link
it, at the same place as our loader does.
"""

from __future__ import annotations

import re

import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

HEAD = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern void bpf_throw(__u64 cookie) __ksym;
const volatile int never = 0;
#define LINK_CB(cb) do { if (never) bpf_loop(1, (void *)(cb), 0, 0); } while (0)
#define EXC_CB(cb) __attribute__((btf_decl_tag("exception_callback:" #cb)))
"""
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

SOURCES = {
    # the default exception callback: the cookie is the return value
    "default": """
SEC("tc") int throw_main(struct __sk_buff *sk)
{ if (sk->len > 100) bpf_throw(7); return 1; }
SEC("tc") int throw_always(struct __sk_buff *sk) { bpf_throw(64); return 0; }
static __attribute__((noinline)) int st_throw(struct __sk_buff *sk)
{ if (sk->len > 100) bpf_throw(sk->len & 0xff); return sk->len; }
SEC("tc") int throw_static(struct __sk_buff *sk) { return st_throw(sk) + 1; }
__attribute__((noinline)) int gl_throw(struct __sk_buff *sk)
{ if (sk->len > 100) bpf_throw(3); return 5; }
SEC("tc") int throw_global(struct __sk_buff *sk) { return gl_throw(sk) + 2; }
static __attribute__((noinline)) int deep2(struct __sk_buff *sk)
{ if (sk->len > 100) bpf_throw(9); return 1; }
static __attribute__((noinline)) int deep1(struct __sk_buff *sk) { return deep2(sk) + 1; }
SEC("tc") int throw_deep(struct __sk_buff *sk) { return deep1(sk) + 1; }
SEC("xdp") int throw_xdp(struct xdp_md *x) { if (x->data_end - x->data > 100) bpf_throw(2); return 1; }
SEC("cgroup_skb/ingress") int throw_range_ok(struct __sk_buff *sk) { bpf_throw(1); return 1; }
SEC("cgroup_skb/ingress") int throw_range_bad(struct __sk_buff *sk) { bpf_throw(2); return 1; }
SEC("cgroup_skb/ingress") int throw_range_unknown(struct __sk_buff *sk)
{ bpf_throw(sk->len); return 1; }
SEC("socket") int throw_socket(struct __sk_buff *sk) { bpf_throw(0); return 0; }
SEC("tc") int throw_after_dead_path(struct __sk_buff *sk)
{ if (sk->len > 100) { bpf_throw(1); return *(volatile int *)0; } return 0; }
""",
    # the program types bpf_throw's kfunc set is registered for (and some it is not)
    "types": """
SEC("action") int t_sched_act(struct __sk_buff *sk) { bpf_throw(0); return 0; }
SEC("sk_skb") int t_sk_skb(struct __sk_buff *sk) { bpf_throw(0); return 0; }
SEC("lwt_in") int t_lwt_in(struct __sk_buff *sk) { bpf_throw(0); return 0; }
SEC("flow_dissector") int t_flow_dissector(struct __sk_buff *sk) { bpf_throw(0); return 0; }
SEC("kprobe/do_nanosleep") int t_kprobe(void *c) { bpf_throw(0); return 0; }
SEC("raw_tp/sys_enter") int t_raw_tp(void *c) { bpf_throw(0); return 0; }
SEC("sk_lookup") int t_sk_lookup(void *c) { bpf_throw(1); return 1; }
SEC("sk_msg") int t_sk_msg(void *c) { bpf_throw(1); return 1; }
SEC("sk_reuseport") int t_sk_reuseport(void *c) { bpf_throw(1); return 1; }
SEC("cgroup/sock") int t_cgroup_sock(void *c) { bpf_throw(1); return 1; }
SEC("sockops") int t_sock_ops(void *c) { bpf_throw(1); return 1; }
SEC("syscall") int t_syscall(void *c) { bpf_throw(1); return 1; }
SEC("tracepoint/syscalls/sys_enter_getpid") int t_tracepoint(void *c) { bpf_throw(0); return 0; }
SEC("cgroup/dev") int t_cgroup_dev(void *c) { bpf_throw(1); return 1; }
SEC("cgroup/connect4") int t_sock_addr(void *c) { bpf_throw(1); return 1; }
SEC("cgroup/getsockopt") int t_sockopt(void *c) { bpf_throw(1); return 1; }
SEC("cgroup/sysctl") int t_sysctl(void *c) { bpf_throw(1); return 1; }
SEC("perf_event") int t_perf_event(void *c) { bpf_throw(0); return 0; }
""",
    # what must not be open or held when throwing
    "held": """
struct val { struct bpf_spin_lock l; int v; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
  __type(value, struct val); } arr SEC(".maps");
static int loop_cb(__u32 i, void *ctx) { bpf_throw(0); return 0; }
SEC("tc") int throw_in_loop_cb(struct __sk_buff *sk) { bpf_loop(2, loop_cb, 0, 0); return 0; }
static __attribute__((noinline)) int thrower(struct __sk_buff *sk)
{ if (sk->len) bpf_throw(0); return 0; }
static int loop_cb2(__u32 i, void *ctx) { return thrower(ctx); }
SEC("tc") int throw_below_loop_cb(struct __sk_buff *sk) { bpf_loop(2, loop_cb2, sk, 0); return 0; }
SEC("tc") int throw_with_ref(struct __sk_buff *sk)
{
  struct bpf_sock_tuple t = {};
  struct bpf_sock *s = bpf_sk_lookup_tcp(sk, &t, sizeof(t.ipv4), -1, 0);
  if (s) bpf_throw(1);
  if (s) bpf_sk_release(s);
  return 0;
}
static __attribute__((noinline)) int sub_ref(struct __sk_buff *sk)
{
  struct bpf_sock_tuple t = {};
  struct bpf_sock *s = bpf_sk_lookup_tcp(sk, &t, sizeof(t.ipv4), -1, 0);
  if (s) bpf_throw(1);
  if (s) bpf_sk_release(s);
  return 0;
}
SEC("tc") int throw_with_ref_in_subprog(struct __sk_buff *sk) { return sub_ref(sk) + 1; }
SEC("tc") int throw_under_lock(struct __sk_buff *sk)
{
  int k = 0;
  struct val *v = bpf_map_lookup_elem(&arr, &k);
  if (!v) return 0;
  bpf_spin_lock(&v->l);
  bpf_throw(0);
  bpf_spin_unlock(&v->l);
  return 0;
}
""",
    # exception callbacks
    "callback": """
__attribute__((noinline)) int exc_cb(__u64 cookie) { return cookie + 40; }
SEC("tc") EXC_CB(exc_cb) int throw_cb(struct __sk_buff *sk)
{ LINK_CB(exc_cb); if (sk->len > 100) bpf_throw(2); return 1; }
SEC("tc") EXC_CB(exc_cb) int cb_unused(struct __sk_buff *sk) { LINK_CB(exc_cb); return 1; }
__attribute__((noinline)) int exc_cb_int(int cookie) { return cookie; }
SEC("tc") EXC_CB(exc_cb_int) int throw_cb_int(struct __sk_buff *sk)
{ LINK_CB(exc_cb_int); bpf_throw(3); return 1; }
__attribute__((noinline)) int exc_cb_two(__u64 a, __u64 b) { return a + b; }
SEC("tc") EXC_CB(exc_cb_two) int throw_cb_two_args(struct __sk_buff *sk)
{ LINK_CB(exc_cb_two); bpf_throw(3); return 1; }
__attribute__((noinline)) int exc_cb_none(void) { return 0; }
SEC("tc") EXC_CB(exc_cb_none) int throw_cb_no_args(struct __sk_buff *sk)
{ LINK_CB(exc_cb_none); bpf_throw(3); return 1; }
__attribute__((noinline)) int exc_cb_throws(__u64 c) { bpf_throw(c); return 0; }
SEC("tc") EXC_CB(exc_cb_throws) int throw_cb_throws(struct __sk_buff *sk)
{ LINK_CB(exc_cb_throws); return 1; }
__attribute__((noinline)) int exc_cb_big(__u64 c) { return c + 5; }
SEC("cgroup_skb/ingress") EXC_CB(exc_cb_big) int cb_range_bad(struct __sk_buff *sk)
{ LINK_CB(exc_cb_big); return 1; }
__attribute__((noinline)) int exc_cb_zero(__u64 c) { return 0; }
SEC("cgroup_skb/ingress") EXC_CB(exc_cb_zero) int cb_cookie_unchecked(struct __sk_buff *sk)
{ LINK_CB(exc_cb_zero); bpf_throw(77); return 1; }
""",
}

CASES = [("default", p) for p in (
    "throw_main", "throw_always", "throw_static", "throw_global", "throw_deep", "throw_xdp",
    "throw_range_ok", "throw_range_bad", "throw_range_unknown", "throw_socket",
    "throw_after_dead_path")]
TYPES_REJECTED = ("t_sched_act", "t_sk_skb", "t_lwt_in", "t_flow_dissector", "t_kprobe",
                  "t_raw_tp", "t_sk_lookup", "t_sk_msg", "t_sk_reuseport")
TYPES_ACCEPTED = ("t_cgroup_sock", "t_sock_ops", "t_syscall", "t_tracepoint", "t_cgroup_dev",
                  "t_sock_addr", "t_sockopt", "t_sysctl", "t_perf_event")
CASES += [("types", p) for p in TYPES_REJECTED + TYPES_ACCEPTED]
CASES += [("held", p) for p in (
    "throw_in_loop_cb", "throw_below_loop_cb", "throw_with_ref", "throw_with_ref_in_subprog",
    "throw_under_lock")]
CASES += [("callback", p) for p in (
    "throw_cb", "cb_unused", "throw_cb_int", "throw_cb_two_args", "throw_cb_no_args",
    "throw_cb_throws", "cb_range_bad", "cb_cookie_unchecked")]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "exceptions", SOURCES, HEAD, TAIL)


def _both(objects, src: str, prog: str, level: int = 1):
    path, obj = objects(src)
    return kernel_and_ours(path, obj, prog, level=level)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_exception_verdict_equals_kernel(objects, src, prog):
    assert_same_verdict(*_both(objects, src, prog))


# what the cases are about: each must hold on the kernel side too, or the case tests nothing
EXPECT_REJECTED = {"throw_range_bad", "throw_range_unknown", "throw_socket", "throw_in_loop_cb",
                   "throw_below_loop_cb", "throw_with_ref", "throw_with_ref_in_subprog",
                   "throw_under_lock", "throw_cb_two_args", "throw_cb_no_args",
                   "throw_cb_throws", "cb_range_bad", *TYPES_REJECTED}


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_case_means_what_it_says(objects, src, prog):
    path, _ = objects(src)
    res = kernel.load_object(path, prog)
    res.close()
    assert res.accepted == (prog not in EXPECT_REJECTED), res.log


def _kfunc_ids_out(log: str) -> list[str]:
    # a kfunc's BTF id is the kernel's own (vmlinux BTF here, the mock kernel's for us)
    return [re.sub(r"(call \w+)#\d+", r"\1#ID", line) for line in log.splitlines()]


@pytest.mark.parametrize("src, prog", [("default", "throw_static"), ("default", "throw_deep"),
                                       ("held", "throw_with_ref")])
def test_exception_level2_log_equals_kernel(objects, src, prog):
    import pipeline
    from verifier import verify
    res, _, _ = _both(objects, src, prog, level=2)
    inp = pipeline.verifier_input(objects(src)[1], prog)
    inp.static_liveness = False     # the live kernel (6.18) keeps dead registers in its states
    ours = verify(inp, log_level=2)
    assert _kfunc_ids_out(ours.log) == _kfunc_ids_out(res.log)
