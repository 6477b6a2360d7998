"""BTF-typed tracing contexts and kernel-object pointers, each program against the live kernel.

tp_btf programs read their tracepoint's arguments (``btf_trace_<name>``) and the kernel
objects they point to, iter programs their target's objects (maybe NULL), helpers return
kernel objects (``bpf_get_current_task_btf``, ``bpf_skc_to_tcp_sock``).  The kernel loads each
object through libbpf (which resolves the attach target in /sys/kernel/btf/vmlinux); ours is
``pipeline.verify`` of the same object with ``target_btf="vmlinux"``.  Verdict, the kernel's
verdict line and (when both accept) the processed-instruction count must be equal.  Struct
members are read through ``preserve_access_index`` (CO-RE), as programs without vmlinux.h
do.  Skips where bpf() or libbpf is missing, or where the kernel refuses tracing loads.
"""

from __future__ import annotations


import pytest

from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

HEAD = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define __pai __attribute__((preserve_access_index))
struct pt_regs { long di; long si; } __pai;
struct sock_common { unsigned short skc_family; } __pai;
struct sock { struct sock_common __sk_common; unsigned int sk_mark; } __pai;
struct sk_buff { unsigned int len; struct sock *sk; char cb[48]; } __pai;
struct task_struct { int pid; int tgid; struct task_struct *real_parent;
  struct task_struct *group_leader; struct mm_struct *mm; } __pai;
struct mm_struct { unsigned long task_size; } __pai;
struct seq_file { char *buf; } __pai;
struct bpf_iter_meta { struct seq_file *seq; unsigned long long session_id; } __pai;
struct bpf_iter__task { struct bpf_iter_meta *meta; struct task_struct *task; } __pai;
struct tcp_sock { unsigned int snd_cwnd; } __pai;
"""
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

SOURCES = {
    "tp_btf": """
SEC("tp_btf/sys_enter") int regs_and_id(unsigned long long *ctx)
{ struct pt_regs *regs = (void *)ctx[0]; long id = ctx[1]; return regs->di + id == 7; }
SEC("tp_btf/sys_enter") int past_last_arg(unsigned long long *ctx) { return ctx[2] == 1; }
SEC("tp_btf/sys_enter") int ptr_arg_narrow(unsigned int *ctx) { return ctx[0] == 1; }
SEC("tp_btf/sys_enter") int scalar_arg_narrow(unsigned int *ctx) { return ctx[2] == 1; }
SEC("tp_btf/sys_enter") int write_ctx(unsigned long long *ctx) { ctx[1] = 0; return 0; }
SEC("tp_btf/sys_enter") int write_object(unsigned long long *ctx)
{ struct pt_regs *regs = (void *)ctx[0]; regs->si = 1; return 0; }
SEC("tp_btf/kfree_skb") int skb_len(unsigned long long *ctx)
{ struct sk_buff *skb = (void *)ctx[0]; return skb->len > 100; }
SEC("tp_btf/kfree_skb") int skb_cb_end(unsigned long long *ctx)
{ struct sk_buff *skb = (void *)ctx[0]; return *(volatile int *)&skb->cb[44] == 1; }
SEC("tp_btf/kfree_skb") int skb_sk_no_check(unsigned long long *ctx)
{ struct sk_buff *skb = (void *)ctx[0]; return skb->sk->sk_mark == 1; }
SEC("tp_btf/kfree_skb") int skb_sk_checked(unsigned long long *ctx)
{ struct sk_buff *skb = (void *)ctx[0]; struct sock *sk = skb->sk;
  return sk ? sk->sk_mark == 1 : 0; }
SEC("tp_btf/kfree_skb") int rx_sk_no_check(unsigned long long *ctx)
{ struct sock *sk = (void *)ctx[3]; return sk->sk_mark == 1; }
SEC("tp_btf/kfree_skb") int rx_sk_checked(unsigned long long *ctx)
{ struct sock *sk = (void *)ctx[3]; return sk ? sk->sk_mark == 1 : 0; }
SEC("tp_btf/task_newtask") int probe_read_into_object(unsigned long long *ctx)
{ struct task_struct *t = (void *)ctx[0]; bpf_probe_read_kernel(&t->pid, 4, 0); return 0; }
SEC("tp_btf/task_newtask") int task_walk(unsigned long long *ctx)
{ struct task_struct *t = (void *)ctx[0];
  return t->real_parent->pid + t->group_leader->tgid + (t->mm ? 1 : 0); }
""",
    "iter": """
SEC("iter/task") int task_checked(struct bpf_iter__task *ctx)
{ struct task_struct *t = ctx->task; struct seq_file *seq = ctx->meta->seq;
  if (!t) return 0;
  bpf_seq_write(seq, &t->pid, sizeof(t->pid)) ;
  return 0; }
SEC("iter/task") int task_no_check(struct bpf_iter__task *ctx)
{ return ctx->task->pid == 1; }
SEC("iter/task") int task_seq_printf(struct bpf_iter__task *ctx)
{ static const char fmt[] = "%d\\n"; unsigned long long args[1];
  struct task_struct *t = ctx->task;
  if (!t) return 0;
  args[0] = t->pid;
  bpf_seq_printf(ctx->meta->seq, fmt, sizeof(fmt), args, sizeof(args));
  return 0; }
""",
    "helpers": """
struct { __uint(type, BPF_MAP_TYPE_TASK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int); __type(value, long); } task_st SEC(".maps");
SEC("tp_btf/task_newtask") int task_storage(unsigned long long *ctx)
{ struct task_struct *t = (void *)ctx[0];
  long *v = bpf_task_storage_get(&task_st, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  return v ? *v == 1 : 0; }
SEC("tp_btf/task_newtask") int task_storage_parent(unsigned long long *ctx)
{ struct task_struct *t = (void *)ctx[0];
  long *v = bpf_task_storage_get(&task_st, t->real_parent, 0, 0);
  return v ? *v == 1 : 0; }
SEC("tp_btf/task_newtask") int task_storage_mm(unsigned long long *ctx)
{ struct task_struct *t = (void *)ctx[0];
  long *v = bpf_task_storage_get(&task_st, (void *)t->mm, 0, 0);
  return v ? *v == 1 : 0; }
SEC("tp_btf/kfree_skb") int task_storage_wrong_type(unsigned long long *ctx)
{ long *v = bpf_task_storage_get(&task_st, (void *)ctx[0], 0, 0); return v ? 1 : 0; }
SEC("iter/task") int task_stack(struct bpf_iter__task *ctx)
{ unsigned long long buf[8]; struct task_struct *t = ctx->task; long n;
  if (!t) return 0;
  n = bpf_get_task_stack(t, buf, sizeof(buf), 0);
  return n > 0 && buf[n / 8 - 1 < 8 ? 0 : 0] == 1; }
SEC("tp_btf/sys_enter") int current_task(void *ctx)
{ struct task_struct *t = bpf_get_current_task_btf(); return t->pid == t->real_parent->pid; }
SEC("raw_tp/sys_enter") int current_task_raw_tp(void *ctx)
{ struct task_struct *t = bpf_get_current_task_btf(); return t->pid == 1; }
SEC("cgroup_skb/egress") int tcp_sock_checked(struct __sk_buff *skb)
{ struct bpf_sock *sk = skb->sk; struct tcp_sock *tp;
  if (!sk) return 1;
  tp = bpf_skc_to_tcp_sock(sk);
  return tp ? tp->snd_cwnd > 10 : 1; }
SEC("cgroup_skb/egress") int tcp_sock_no_check(struct __sk_buff *skb)
{ struct bpf_sock *sk = skb->sk;
  if (!sk) return 1;
  return bpf_skc_to_tcp_sock(sk)->snd_cwnd > 10; }
SEC("tp_btf/kfree_skb") int skc_from_object(unsigned long long *ctx)
{ struct sk_buff *skb = (void *)ctx[0]; struct sock *sk = skb->sk; struct tcp_sock *tp;
  if (!sk) return 0;
  tp = bpf_skc_to_tcp_sock(sk);
  return tp ? tp->snd_cwnd : 0; }
""",
}
CASES = [("tp_btf", p) for p in (
    "regs_and_id", "past_last_arg", "ptr_arg_narrow", "scalar_arg_narrow", "write_ctx",
    "write_object", "skb_len", "skb_cb_end", "skb_sk_no_check", "skb_sk_checked",
    "rx_sk_no_check", "rx_sk_checked", "probe_read_into_object", "task_walk")]
CASES += [("iter", p) for p in ("task_checked", "task_no_check", "task_seq_printf")]
CASES += [("helpers", p) for p in ("current_task", "current_task_raw_tp", "tcp_sock_checked",
                                   "tcp_sock_no_check", "skc_from_object", "task_storage",
                                   "task_storage_parent", "task_storage_mm",
                                   "task_storage_wrong_type", "task_stack")]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "btf_ctx_objects", SOURCES, HEAD, TAIL)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_verdict_equals_kernel(objects, src, prog):
    path, obj = objects(src)
    assert_same_verdict(*kernel_and_ours(path, obj, prog, target_btf="vmlinux", skip_eperm=True))


def test_tp_btf_without_target_btf_is_refused_by_name(objects):
    import pipeline
    _, obj = objects("tp_btf")
    v = pipeline.verify(obj, "skb_len")
    assert not v.accepted
    assert v.error_line.startswith("tp_btf programs need the kernel's BTF"), v.error_line
    assert "--target-btf vmlinux" in v.error_line


def test_tracing_programs_do_not_run(objects):
    import pipeline
    _, obj = objects("iter")
    with pytest.raises(pipeline.Error, match="iter programs run on kernel events"):
        pipeline.run(obj, "task_checked", target_btf="vmlinux")
