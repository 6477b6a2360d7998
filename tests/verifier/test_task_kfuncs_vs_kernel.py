"""Task, cgroup, cpumask, RCU and preemption kfuncs, each program against the live kernel.

Every program here is C compiled by the project's toolchain; the kernel loads it through
libbpf (tests/oracles/kernel.py ``load_object``: the kernel's own kfuncs, resolved in its
vmlinux BTF) and our verifier gets the same object through ``pipeline.verify`` (the mock
kernel's kfuncs, core/task_kfuncs).  The verdict, the kernel's verdict line and (when both
accept) the processed-instruction count must be the same.  Covered: acquire/release and
NULL checks, leaks (``Unreleased reference``), double release, pointers walked from a
referenced task (untrusted), type matching (``struct bpf_cpumask *`` for ``struct cpumask
*``, and a task for a cpumask), stack memory for a cpumask argument (vmlinux's size), RCU
sections (nesting, unmatched unlock, exit/tail call/LD_ABS inside, references inside),
preempt-disabled regions (nesting, unmatched enable, exit/tail call inside, static and
global subprograms) and the program types each kfunc set is registered for.
Skips where bpf() or libbpf is missing.
"""

from __future__ import annotations

import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder

pytestmark = needs_kernel_objects

# the kernel's types as the program sees them (only what it reads: CO-RE does the rest);
# struct cpumask has the size of this kernel's (CONFIG_NR_CPUS=256) and the mock kernel's
HEAD = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct task_struct { int pid; struct task_struct *parent; } __attribute__((preserve_access_index));
struct cgroup { int level; } __attribute__((preserve_access_index));
struct cpumask { unsigned long bits[4]; };
struct bpf_cpumask { struct cpumask cpumask; };
extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct cgroup *bpf_cgroup_from_id(unsigned long long cgid) __ksym;
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *p) __ksym;
extern struct cgroup *bpf_cgroup_ancestor(struct cgroup *p, int level) __ksym;
extern void bpf_cgroup_release(struct cgroup *p) __ksym;
extern long bpf_task_under_cgroup(struct task_struct *task, struct cgroup *ancestor) __ksym;
extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
extern struct bpf_cpumask *bpf_cpumask_acquire(struct bpf_cpumask *m) __ksym;
extern void bpf_cpumask_release(struct bpf_cpumask *m) __ksym;
extern void bpf_cpumask_set_cpu(unsigned int cpu, struct bpf_cpumask *m) __ksym;
extern _Bool bpf_cpumask_test_cpu(unsigned int cpu, const struct cpumask *m) __ksym;
extern unsigned int bpf_cpumask_weight(const struct cpumask *m) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;
"""
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

TASK = "struct task_struct *t = bpf_task_from_pid(1); if (!t) return 0; bpf_task_release(t);"
MASK = "struct bpf_cpumask *m = bpf_cpumask_create(); if (!m) return 0; bpf_cpumask_release(m);"
CGRP = "struct cgroup *c = bpf_cgroup_from_id(1); if (!c) return 1; bpf_cgroup_release(c);"

SOURCES = {
    "refs": """
SEC("syscall") int task_ok(void *ctx) { """ + TASK + """ return 1; }
SEC("syscall") int task_leak(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); if (!t) return 0; return 1; }
SEC("syscall") int task_nocheck(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); bpf_task_release(t); return 1; }
SEC("syscall") int task_double_release(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); if (!t) return 0;
  bpf_task_release(t); bpf_task_release(t); return 1; }
SEC("syscall") int task_acquire(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *u; if (!t) return 0;
  u = bpf_task_acquire(t); if (u) bpf_task_release(u); bpf_task_release(t); return 1; }
SEC("syscall") int release_walked(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); if (!t) return 0;
  bpf_task_release(t->parent); bpf_task_release(t); return 0; }
SEC("syscall") int acquire_walked(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *q; if (!t) return 0;
  q = bpf_task_acquire(t->parent); if (q) bpf_task_release(q); bpf_task_release(t); return 0; }
SEC("syscall") int acquire_walked_rcu(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *q; if (!t) return 0; bpf_rcu_read_lock();
  q = bpf_task_acquire(t->parent); bpf_rcu_read_unlock(); if (q) bpf_task_release(q);
  bpf_task_release(t); return 0; }
SEC("syscall") int acquire_null(void *ctx)
{ struct task_struct *q = bpf_task_acquire((struct task_struct *)0);
  if (q) bpf_task_release(q); return 0; }
SEC("syscall") int release_null(void *ctx) { bpf_task_release((struct task_struct *)0); return 0; }
SEC("syscall") int cgrp_ok(void *ctx)
{ struct cgroup *c = bpf_cgroup_from_id(1), *a; if (!c) return 0; a = bpf_cgroup_ancestor(c, 0);
  if (a) bpf_cgroup_release(a); bpf_cgroup_release(c); return 1; }
SEC("syscall") int cgrp_leak(void *ctx)
{ struct cgroup *c = bpf_cgroup_from_id(1); if (!c) return 0; return 1; }
SEC("syscall") int under_cgroup(void *ctx)
{ struct cgroup *c = bpf_cgroup_from_id(1); struct task_struct *t; long r = 0; if (!c) return 0;
  t = bpf_task_from_pid(1); if (t) { r = bpf_task_under_cgroup(t, c); bpf_task_release(t); }
  bpf_cgroup_release(c); return r; }
SEC("syscall") int under_cgroup_unchecked(void *ctx)
{ struct cgroup *c = bpf_cgroup_from_id(1); struct task_struct *t = bpf_task_from_pid(1); long r = 0;
  if (t) { r = bpf_task_under_cgroup(t, c); bpf_task_release(t); }
  if (c) bpf_cgroup_release(c); return r; }
""",
    "cpumask": """
SEC("syscall") int mask_ok(void *ctx)
{ struct bpf_cpumask *m = bpf_cpumask_create(); int r; if (!m) return 0; bpf_cpumask_set_cpu(0, m);
  r = bpf_cpumask_test_cpu(0, (const struct cpumask *)m)
      + bpf_cpumask_weight((const struct cpumask *)m);
  bpf_cpumask_release(m); return r; }
SEC("syscall") int mask_leak(void *ctx)
{ struct bpf_cpumask *m = bpf_cpumask_create(); if (!m) return 0; bpf_cpumask_set_cpu(0, m);
  return 0; }
SEC("syscall") int mask_null_tracking(void *ctx)
{ struct bpf_cpumask *m1 = bpf_cpumask_create(), *m2 = bpf_cpumask_create();
  if (!m1 || !m2) goto out;
  bpf_cpumask_test_cpu(0, (const struct cpumask *)m1);
out:
  if (m1) bpf_cpumask_release(m1);
  if (m2) bpf_cpumask_release(m2);
  return 0; }
SEC("syscall") int mask_wrong_type(void *ctx)
{ struct bpf_cpumask *m = bpf_cpumask_create(); struct task_struct *t; if (!m) return 0;
  t = bpf_task_from_pid(1);
  if (t) { bpf_cpumask_set_cpu(0, (struct bpf_cpumask *)t); bpf_task_release(t); }
  bpf_cpumask_release(m); return 0; }
SEC("syscall") int mask_release_as_task(void *ctx)
{ struct bpf_cpumask *m = bpf_cpumask_create(); if (!m) return 0;
  bpf_task_release((struct task_struct *)m); return 0; }
SEC("syscall") int mask_use_after_release(void *ctx)
{ struct bpf_cpumask *m = bpf_cpumask_create(); if (!m) return 0; bpf_cpumask_release(m);
  bpf_cpumask_test_cpu(0, (const struct cpumask *)m); return 0; }
SEC("syscall") int mask_on_stack(void *ctx)
{ struct cpumask c = {}; return bpf_cpumask_test_cpu(0, &c); }
SEC("syscall") int mask_stack_too_small(void *ctx)
{ unsigned long c = 0; return bpf_cpumask_test_cpu(0, (const struct cpumask *)&c); }
SEC("syscall") int bpf_cpumask_on_stack(void *ctx)
{ struct bpf_cpumask c = {}; bpf_cpumask_set_cpu(0, &c); return 0; }
""",
    "regions": """
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 1); __type(key, int);
         __type(value, int); } jt SEC(".maps");
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
SEC("syscall") int rcu_ok(void *ctx) { bpf_rcu_read_lock(); bpf_rcu_read_unlock(); return 0; }
SEC("syscall") int rcu_twice(void *ctx)
{ bpf_rcu_read_lock(); bpf_rcu_read_unlock(); bpf_rcu_read_lock(); bpf_rcu_read_unlock();
  return 0; }
SEC("syscall") int rcu_unlock_only(void *ctx) { bpf_rcu_read_unlock(); return 0; }
SEC("syscall") int rcu_nested(void *ctx)
{ bpf_rcu_read_lock(); bpf_rcu_read_lock(); bpf_rcu_read_unlock(); bpf_rcu_read_unlock();
  return 0; }
SEC("syscall") int rcu_missing_unlock(void *ctx) { bpf_rcu_read_lock(); return 0; }
SEC("syscall") int ref_in_rcu(void *ctx)
{ struct task_struct *t; bpf_rcu_read_lock(); t = bpf_task_from_pid(1);
  if (t) bpf_task_release(t); bpf_rcu_read_unlock(); return 0; }
SEC("syscall") int leak_from_rcu(void *ctx)
{ struct task_struct *t; bpf_rcu_read_lock(); t = bpf_task_from_pid(1); bpf_rcu_read_unlock();
  if (!t) return 0; return 1; }
static __attribute__((noinline)) int sub_lock(void) { bpf_rcu_read_lock(); return 0; }
SEC("syscall") int rcu_lock_in_static_sub(void *ctx) { sub_lock(); bpf_rcu_read_unlock(); return 0; }
SEC("tc") int socket_rcu(struct __sk_buff *skb)
{ bpf_rcu_read_lock(); bpf_rcu_read_unlock(); return 0; }
SEC("tc") int tail_call_in_rcu(struct __sk_buff *skb)
{ bpf_rcu_read_lock(); bpf_tail_call(skb, &jt, 0); bpf_rcu_read_unlock(); return 0; }
SEC("tc") int ld_abs_in_rcu(struct __sk_buff *skb)
{ int r; bpf_rcu_read_lock(); r = load_byte(skb, 0); bpf_rcu_read_unlock(); return r; }
__attribute__((noinline)) int glob(int x) { return x + 1; }
SEC("tc") int global_in_rcu(struct __sk_buff *skb)
{ int r; bpf_rcu_read_lock(); r = glob(skb->len); bpf_rcu_read_unlock(); return r; }
SEC("tc") int preempt_ok(struct __sk_buff *skb)
{ bpf_preempt_disable(); bpf_preempt_enable(); return 0; }
SEC("tc") int preempt_nested(struct __sk_buff *skb)
{ bpf_preempt_disable(); bpf_preempt_disable(); bpf_preempt_enable(); bpf_preempt_enable();
  return 0; }
SEC("tc") int preempt_unmatched(struct __sk_buff *skb) { bpf_preempt_enable(); return 0; }
SEC("tc") int preempt_missing(struct __sk_buff *skb) { bpf_preempt_disable(); return 0; }
SEC("tc") int preempt_missing_2(struct __sk_buff *skb)
{ bpf_preempt_disable(); bpf_preempt_disable(); bpf_preempt_enable(); return 0; }
SEC("tc") int tail_call_in_preempt(struct __sk_buff *skb)
{ bpf_preempt_disable(); bpf_tail_call(skb, &jt, 0); bpf_preempt_enable(); return 0; }
static __attribute__((noinline)) int sub_preempt(void) { bpf_preempt_disable(); return 0; }
SEC("tc") int preempt_in_static_sub(struct __sk_buff *skb)
{ sub_preempt(); bpf_preempt_enable(); return 0; }
SEC("tc") int global_in_preempt(struct __sk_buff *skb)
{ int r; bpf_preempt_disable(); r = glob(skb->len); bpf_preempt_enable(); return r; }
""",
    # kernel/bpf/btf.c's registration hooks: a set registered for tracing serves tracepoint
    # and perf_event programs, one for cgroup_skb every cgroup program type
    "prog_types": """
SEC("tc") int tc_task(void *ctx) { """ + TASK + """ return 1; }
SEC("tc") int tc_mask(void *ctx) { """ + MASK + """ return 1; }
SEC("tracepoint") int tp_task(void *ctx) { """ + TASK + """ return 1; }
SEC("perf_event") int pe_mask(void *ctx) { """ + MASK + """ return 1; }
SEC("raw_tp") int rawtp_task(void *ctx) { """ + TASK + """ return 1; }
SEC("kprobe") int kprobe_task(void *ctx) { """ + TASK + """ return 1; }
SEC("action") int act_task(void *ctx) { """ + TASK + """ return 0; }
SEC("cgroup/sock_create") int cgsock_task(void *ctx) { """ + TASK + """ return 1; }
SEC("xdp") int xdp_cgrp(void *ctx) { """ + CGRP + """ return 1; }
SEC("sk_skb") int skskb_cgrp(void *ctx) { """ + CGRP + """ return 1; }
SEC("socket") int socket_preempt(void *ctx) { bpf_preempt_disable(); bpf_preempt_enable(); return 0; }
""",
}

CASES = [(src, p) for src, text in SOURCES.items()
         for p in __import__("re").findall(r"\bint (\w+)\((?:void|struct __sk_buff) \*", text)
         if p not in ("glob",)]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "task_kfuncs", SOURCES, HEAD, TAIL)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_verdict_equals_kernel(objects, src, prog):
    import pipeline
    path, obj = objects(src)
    res = kernel.load_object(path, prog, log_level=1)
    try:
        processed = kernel.prog_info(res.fd).verified_insns if res.accepted else None
    finally:
        res.close()
    assert res.reached_kernel, res.error
    ours = pipeline.verify(obj, prog)
    assert ours.accepted == res.accepted, (ours.error_line, res.log)
    if res.accepted:
        assert ours.processed_insns == processed
    else:
        assert ours.error_line == res.error_line, res.log


def test_leak_names_the_reference_like_the_kernel(objects):
    # "Unreleased reference id=N alloc_insn=M": the same object, the same instruction
    import pipeline
    path, obj = objects("refs")
    res = kernel.load_object(path, "task_leak", log_level=1)
    res.close()
    assert not res.accepted
    theirs = [ln for ln in res.log.splitlines() if ln.startswith("Unreleased reference")]
    ours = [ln for ln in pipeline.verify(obj, "task_leak", log_level=1).log.splitlines()
            if ln.startswith("Unreleased reference")]
    assert theirs and ours == theirs
