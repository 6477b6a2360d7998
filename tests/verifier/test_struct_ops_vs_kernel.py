"""struct_ops programs (TCP congestion control, bpf_dummy_ops), each against the live kernel.

A struct_ops program implements one function-pointer member of a kernel struct: libbpf finds
which from the ``.struct_ops`` map that stores it, and the kernel types its context by that
member's prototype and applies the struct's verifier ops (writable tcp_sock members, the
helpers of a congestion-control program).  The kernel loads each object through libbpf
(resolving the struct in /sys/kernel/btf/vmlinux); ours is ``pipeline.verify`` of the same
object with ``target_btf="vmlinux"``.  Verdict, verdict line and (when both accept) the
processed-instruction count must be equal.  Members are read through
``preserve_access_index`` (CO-RE), as programs without vmlinux.h do.
"""

from __future__ import annotations


import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

HEAD = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define __pai __attribute__((preserve_access_index))
struct sock { unsigned int sk_mark; unsigned long sk_pacing_rate; } __pai;
struct tcp_sock { unsigned int snd_cwnd; unsigned int snd_ssthresh; unsigned int rcv_nxt;
  unsigned int snd_cwnd_cnt; } __pai;
struct tcp_congestion_ops {
  unsigned int (*ssthresh)(struct sock *sk);
  void (*cong_avoid)(struct sock *sk, unsigned int ack, unsigned int acked);
  unsigned int (*undo_cwnd)(struct sock *sk);
  void (*init)(struct sock *sk);
  void (*release)(struct sock *sk);
  char name[16];
} __pai;
extern void tcp_reno_cong_avoid(struct sock *sk, unsigned int ack, unsigned int acked) __ksym;
extern unsigned int tcp_reno_undo_cwnd(struct sock *sk) __ksym;
#define CTX_SK(ctx) ((struct sock *)(ctx)[0])
"""
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

TCP = """
SEC("struct_ops") unsigned int BPF_STRUCT_OPS_ssthresh(unsigned long long *ctx)
{ struct tcp_sock *tp = (void *)CTX_SK(ctx); return tp->snd_cwnd > 2 ? tp->snd_cwnd / 2 : 2; }
SEC("struct_ops") void cong_avoid_writes(unsigned long long *ctx)
{ struct tcp_sock *tp = (void *)CTX_SK(ctx); tp->snd_cwnd += 1; tp->snd_cwnd_cnt = 0;
  CTX_SK(ctx)->sk_pacing_rate = 1000; }
SEC("struct_ops") unsigned int undo_reno(unsigned long long *ctx)
{ return tcp_reno_undo_cwnd(CTX_SK(ctx)); }
SEC("struct_ops") void init_bad_write(unsigned long long *ctx)
{ struct tcp_sock *tp = (void *)CTX_SK(ctx); tp->rcv_nxt = 1; }
SEC("struct_ops") void release_setsockopt(unsigned long long *ctx)
{ int v = 1; bpf_setsockopt(CTX_SK(ctx), 6, 1, &v, sizeof(v)); }
SEC(".struct_ops") struct tcp_congestion_ops ca = {
  .ssthresh = (void *)BPF_STRUCT_OPS_ssthresh, .cong_avoid = (void *)cong_avoid_writes,
  .undo_cwnd = (void *)undo_reno, .init = (void *)init_bad_write,
  .release = (void *)release_setsockopt, .name = "sa_test_ca",
};
"""
WIDE = """
SEC("struct_ops") void wide_write(unsigned long long *ctx)
{ struct tcp_sock *tp = (void *)CTX_SK(ctx); *(volatile unsigned long *)&tp->snd_cwnd = 1; }
SEC("struct_ops") void reno(unsigned long long *ctx)
{ tcp_reno_cong_avoid(CTX_SK(ctx), ctx[1], ctx[2]); }
SEC("struct_ops") void ctx_write(unsigned long long *ctx) { ctx[0] = 0; }
SEC(".struct_ops") struct tcp_congestion_ops ca2 = {
  .init = (void *)wide_write, .cong_avoid = (void *)reno, .release = (void *)ctx_write,
  .name = "sa_test_ca2",
};
"""
SOURCES = {"tcp": TCP, "wide": WIDE}
CASES = [("tcp", p) for p in ("BPF_STRUCT_OPS_ssthresh", "cong_avoid_writes", "undo_reno",
                              "init_bad_write", "release_setsockopt")]
CASES += [("wide", p) for p in ("wide_write", "reno", "ctx_write")]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "struct_ops_objects", SOURCES, HEAD, TAIL)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_verdict_equals_kernel(objects, src, prog):
    path, obj = objects(src)
    assert_same_verdict(*kernel_and_ours(path, obj, prog, target_btf="vmlinux", skip_eperm=True))


def test_non_gpl_struct_ops_is_refused_like_the_kernel(tmp_path_factory):
    import pipeline
    build = object_builder(tmp_path_factory, "struct_ops_nongpl", {"tcp": TCP}, HEAD,
                           '\nchar LICENSE[] SEC("license") = "BSD";\n')
    path, obj = build("tcp")
    res = kernel.load_object(path, "undo_reno", log_level=1)
    res.close()
    assert res.reached_kernel, res.error
    ours = pipeline.verify(obj, "undo_reno", target_btf="vmlinux")
    assert (ours.accepted, ours.error_line) == (res.accepted, res.error_line), res.log


def test_struct_ops_without_target_btf_is_refused_by_name(objects):
    import pipeline
    _, obj = objects("tcp")
    with pytest.raises(pipeline.Error, match="struct_ops programs need the kernel's BTF"):
        pipeline.verify(obj, "undo_reno")


def test_struct_ops_programs_do_not_run(objects):
    import pipeline
    _, obj = objects("tcp")
    with pytest.raises(pipeline.Error, match="struct_ops programs run on calls from the kernel"):
        pipeline.run(obj, "BPF_STRUCT_OPS_ssthresh", target_btf="vmlinux")
