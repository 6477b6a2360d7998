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
global subprograms), global functions taking trusted kernel objects (``__arg_trusted``) and
the program types each kfunc set is registered for.
Skips where bpf() or libbpf is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

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
SEC("syscall") int sleepable_helper(void *ctx)
{ char buf[8]; bpf_copy_from_user(buf, 8, 0); return buf[0]; }
SEC("syscall") int sleepable_helper_in_rcu(void *ctx)
{ char buf[8]; bpf_rcu_read_lock(); bpf_copy_from_user(buf, 8, 0); bpf_rcu_read_unlock();
  return buf[0]; }
SEC("syscall") int sleepable_helper_in_preempt(void *ctx)
{ char buf[8]; bpf_preempt_disable(); bpf_copy_from_user(buf, 8, 0); bpf_preempt_enable();
  return buf[0]; }
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
    # global functions taking a kernel object (__arg_trusted, __arg_nullable): the callee's
    # trusted pointer and the caller's check ("Caller passes invalid args into func#N")
    "trusted_args": """
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
__attribute__((noinline)) int acq_rel(struct task_struct *task __arg_trusted)
{ struct task_struct *o = bpf_task_acquire(task); if (!o) return 0; bpf_task_release(o); return 1; }
__attribute__((noinline)) int destroy(struct task_struct *task __arg_trusted)
{ bpf_task_release(task); return 0; }
__attribute__((noinline)) int read_pid(struct task_struct *task __arg_trusted)
{ return task->pid; }
__attribute__((noinline)) int maybe(struct task_struct *task __arg_trusted __arg_nullable)
{ struct task_struct *o; if (!task) return 0; o = bpf_task_acquire(task); if (!o) return 0;
  bpf_task_release(o); return 1; }
__attribute__((noinline)) int maybe_nocheck(struct task_struct *task __arg_trusted __arg_nullable)
{ struct task_struct *o = bpf_task_acquire(task); if (!o) return 0; bpf_task_release(o);
  return 1; }
SEC("tc") int trusted_ok(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); int r; if (!t) return 0;
  r = acq_rel(t) + read_pid(t); bpf_task_release(t); return r; }
SEC("tc") int trusted_destroy(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); if (!t) return 0; destroy(t);
  bpf_task_release(t); return 0; }
SEC("tc") int trusted_null(void *ctx) { return acq_rel((struct task_struct *)0); }
SEC("tc") int trusted_unchecked(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); int r = acq_rel(t); if (t) bpf_task_release(t);
  return r; }
SEC("tc") int trusted_wrong_type(void *ctx)
{ struct cgroup *c = bpf_cgroup_from_id(1); int r; if (!c) return 0;
  r = acq_rel((struct task_struct *)c); bpf_cgroup_release(c); return r; }
SEC("tc") int trusted_walked(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); int r; if (!t) return 0; r = acq_rel(t->parent);
  bpf_task_release(t); return r; }
SEC("tc") int trusted_released(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); if (!t) return 0; bpf_task_release(t);
  return acq_rel(t); }
SEC("tc") int nullable_null(void *ctx) { return maybe((struct task_struct *)0); }
SEC("tc") int nullable_unchecked(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1); int r = maybe(t); if (t) bpf_task_release(t);
  return r; }
SEC("tc") int nullable_nocheck_callee(void *ctx) { return maybe_nocheck((struct task_struct *)0); }
""",
}

CASES = [(src, p) for src, text in SOURCES.items()
         for p in re.findall(r"SEC\(\"[^\"]+\"\) int (\w+)\(", text)]

# loaded for this machine's kernel (CO-RE against /sys/kernel/btf/vmlinux, as libbpf loads it):
# RCU-protected members (task->real_parent) are rcu pointers inside bpf_rcu_read_lock() and in
# non-sleepable programs, untrusted after bpf_rcu_read_unlock()
VMLINUX_SOURCES = {
    "rcu_members": """
struct task_struct___w { int pid; struct task_struct *real_parent; }
    __attribute__((preserve_access_index));
#define PARENT(t) (((struct task_struct___w *)(t))->real_parent)
SEC("tc") int rcu_member_in_section(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *p, *q; if (!t) return 0; bpf_rcu_read_lock();
  p = PARENT(t); q = p ? bpf_task_acquire(p) : 0; bpf_rcu_read_unlock();
  if (q) bpf_task_release(q); bpf_task_release(t); return 0; }
SEC("tc") int rcu_member_after_unlock(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *p, *q = 0; if (!t) return 0; bpf_rcu_read_lock();
  p = PARENT(t); bpf_rcu_read_unlock(); if (p) q = bpf_task_acquire(p);
  if (q) bpf_task_release(q); bpf_task_release(t); return 0; }
SEC("tc") int rcu_member_no_section(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *p, *q = 0; if (!t) return 0;
  p = PARENT(t); if (p) q = bpf_task_acquire(p);
  if (q) bpf_task_release(q); bpf_task_release(t); return 0; }
SEC("tc") int rcu_member_read_after_unlock(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *p; int r = 0; if (!t) return 0;
  bpf_rcu_read_lock(); p = PARENT(t); bpf_rcu_read_unlock();
  if (p) r = ((struct task_struct___w *)p)->pid; bpf_task_release(t); return r; }
SEC("tc") int rcu_member_under_cgroup(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *p; struct cgroup *c; long r = 0; if (!t) return 0;
  c = bpf_cgroup_from_id(1); if (!c) { bpf_task_release(t); return 0; }
  bpf_rcu_read_lock(); p = PARENT(t); if (p) r = bpf_task_under_cgroup(p, c); bpf_rcu_read_unlock();
  bpf_cgroup_release(c); bpf_task_release(t); return r; }
SEC("tc") int rcu_member_under_cgroup_after(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *p; struct cgroup *c; long r = 0; if (!t) return 0;
  c = bpf_cgroup_from_id(1); if (!c) { bpf_task_release(t); return 0; }
  bpf_rcu_read_lock(); p = PARENT(t); bpf_rcu_read_unlock(); if (p) r = bpf_task_under_cgroup(p, c);
  bpf_cgroup_release(c); bpf_task_release(t); return r; }
SEC("syscall") int sleepable_walk_untrusted(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *q; if (!t) return 0;
  q = bpf_task_acquire(t->parent); if (q) bpf_task_release(q); bpf_task_release(t); return 0; }
SEC("syscall") int sleepable_walk_in_section(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(1), *p, *q = 0; if (!t) return 0; bpf_rcu_read_lock();
  p = PARENT(t); if (p) q = bpf_task_acquire(p); bpf_rcu_read_unlock();
  if (q) bpf_task_release(q); bpf_task_release(t); return 0; }
""",
}
VMLINUX_CASES = [(src, p) for src, text in VMLINUX_SOURCES.items()
                 for p in re.findall(r"SEC\(\"[^\"]+\"\) int (\w+)\(", text)]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "task_kfuncs", SOURCES, HEAD, TAIL)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_verdict_equals_kernel(objects, src, prog):
    path, obj = objects(src)
    _compare(path, obj, prog)


def _compare(path, obj, prog: str) -> None:
    assert_same_verdict(*kernel_and_ours(path, obj, prog))


@pytest.fixture(scope="module")
def vmlinux_objects(tmp_path_factory):
    if not Path("/sys/kernel/btf/vmlinux").is_file():
        pytest.skip("no /sys/kernel/btf/vmlinux")
    return object_builder(tmp_path_factory, "task_kfuncs_vmlinux", VMLINUX_SOURCES, HEAD, TAIL)


@pytest.mark.parametrize("src, prog", VMLINUX_CASES, ids=[p for _, p in VMLINUX_CASES])
def test_verdict_for_vmlinux_equals_kernel(vmlinux_objects, src, prog):
    import pipeline
    path, _ = vmlinux_objects(src)
    _compare(path, pipeline.load(path, target_btf="vmlinux"), prog)


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
