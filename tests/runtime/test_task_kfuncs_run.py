"""Task, cgroup and cpumask kfuncs run like the live kernel's (BPF_PROG_TEST_RUN of the same
syscall programs; results that depend only on the current task, its cgroup and CPU 0, so a
one-task, one-CPU mock kernel and this machine must agree)."""

from __future__ import annotations

import pytest

import pipeline
from tests.oracles import kernel as K
from tests.support.skips import need_kernel_objects

SRC = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct task_struct { int pid; int tgid; } __attribute__((preserve_access_index));
/* complete types: this machine's libbpf (1.1) finds a kfunc taking a pointer to a forward
   declaration incompatible with the kernel's prototype */
struct cgroup { int level; };
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
extern void bpf_cpumask_release(struct bpf_cpumask *m) __ksym;
extern void bpf_cpumask_set_cpu(unsigned int cpu, struct bpf_cpumask *m) __ksym;
extern void bpf_cpumask_clear_cpu(unsigned int cpu, struct bpf_cpumask *m) __ksym;
extern _Bool bpf_cpumask_test_cpu(unsigned int cpu, const struct cpumask *m) __ksym;
extern _Bool bpf_cpumask_test_and_set_cpu(unsigned int cpu, struct bpf_cpumask *m) __ksym;
extern _Bool bpf_cpumask_test_and_clear_cpu(unsigned int cpu, struct bpf_cpumask *m) __ksym;
extern void bpf_cpumask_clear(struct bpf_cpumask *m) __ksym;
extern _Bool bpf_cpumask_and(struct bpf_cpumask *d, const struct cpumask *a,
                             const struct cpumask *b) __ksym;
extern void bpf_cpumask_or(struct bpf_cpumask *d, const struct cpumask *a,
                           const struct cpumask *b) __ksym;
extern void bpf_cpumask_xor(struct bpf_cpumask *d, const struct cpumask *a,
                            const struct cpumask *b) __ksym;
extern void bpf_cpumask_copy(struct bpf_cpumask *d, const struct cpumask *s) __ksym;
extern _Bool bpf_cpumask_empty(const struct cpumask *m) __ksym;
extern _Bool bpf_cpumask_equal(const struct cpumask *a, const struct cpumask *b) __ksym;
extern _Bool bpf_cpumask_intersects(const struct cpumask *a, const struct cpumask *b) __ksym;
extern _Bool bpf_cpumask_subset(const struct cpumask *a, const struct cpumask *b) __ksym;
extern unsigned int bpf_cpumask_first(const struct cpumask *m) __ksym;
extern unsigned int bpf_cpumask_first_and(const struct cpumask *a, const struct cpumask *b) __ksym;
extern unsigned int bpf_cpumask_any_distribute(const struct cpumask *m) __ksym;
extern unsigned int bpf_cpumask_weight(const struct cpumask *m) __ksym;
extern int bpf_cpumask_populate(struct bpf_cpumask *m, void *src, unsigned long src__sz) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;
#define CM(m) ((const struct cpumask *)(m))

SEC("syscall") int current_task(void *ctx)
{ int pid = bpf_get_current_pid_tgid() >> 32; struct task_struct *t = bpf_task_from_pid(pid), *u;
  int r;
  if (!t) return -1;
  u = bpf_task_acquire(t);
  r = (t->pid == pid) | (t->tgid == pid) << 1 | (u == t) << 2;
  if (u) bpf_task_release(u);
  bpf_task_release(t); return r; }
SEC("syscall") int no_such_task(void *ctx)
{ struct task_struct *t = bpf_task_from_pid(-1); if (!t) return 7; bpf_task_release(t); return 1; }
SEC("syscall") int current_cgroup(void *ctx)
{ int pid = bpf_get_current_pid_tgid() >> 32;
  struct cgroup *c = bpf_cgroup_from_id(bpf_get_current_cgroup_id()), *a, *b;
  struct task_struct *t; long r = 0;
  if (!c) return -1;
  a = bpf_cgroup_ancestor(c, 0);
  if (!a) { bpf_cgroup_release(c); return -2; }
  b = bpf_cgroup_acquire(a);
  if (b) { r |= 8; bpf_cgroup_release(b); }
  t = bpf_task_from_pid(pid);
  if (t) { r |= bpf_task_under_cgroup(t, a) | 2 * bpf_task_under_cgroup(t, c);
           bpf_task_release(t); }
  bpf_cgroup_release(a); bpf_cgroup_release(c); return r; }
SEC("syscall") int no_such_cgroup(void *ctx)
{ struct cgroup *c = bpf_cgroup_from_id(0), *a;
  if (c) { bpf_cgroup_release(c); return 1; }
  c = bpf_cgroup_from_id(bpf_get_current_cgroup_id()); if (!c) return -1;
  a = bpf_cgroup_ancestor(c, -1); if (a) { bpf_cgroup_release(a); bpf_cgroup_release(c); return 2; }
  bpf_cgroup_release(c); return 3; }
SEC("syscall") int cpumask_ops(void *ctx)
{ struct bpf_cpumask *m = bpf_cpumask_create(), *n; long r = 0; if (!m) return -1;
  n = bpf_cpumask_create(); if (!n) { bpf_cpumask_release(m); return -2; }
  bpf_rcu_read_lock(); bpf_preempt_disable();
  r |= bpf_cpumask_empty(CM(m));
  bpf_cpumask_set_cpu(0, m);
  r |= bpf_cpumask_test_cpu(0, CM(m)) << 1;
  r |= bpf_cpumask_weight(CM(m)) << 2;
  r |= bpf_cpumask_first(CM(m)) << 4;
  r |= bpf_cpumask_equal(CM(m), CM(n)) << 6;
  r |= bpf_cpumask_intersects(CM(m), CM(n)) << 7;
  r |= bpf_cpumask_subset(CM(n), CM(m)) << 8;
  r |= bpf_cpumask_and(n, CM(m), CM(m)) << 9;
  r |= bpf_cpumask_equal(CM(m), CM(n)) << 10;
  bpf_cpumask_xor(n, CM(m), CM(n));
  r |= bpf_cpumask_empty(CM(n)) << 11;
  bpf_cpumask_or(n, CM(n), CM(m));
  r |= bpf_cpumask_test_cpu(0, CM(n)) << 12;
  r |= bpf_cpumask_test_and_clear_cpu(0, n) << 13;
  r |= bpf_cpumask_test_and_clear_cpu(0, n) << 14;
  r |= bpf_cpumask_test_and_set_cpu(0, n) << 15;
  r |= bpf_cpumask_test_and_set_cpu(0, n) << 16;
  r |= (long)bpf_cpumask_first_and(CM(m), CM(n)) << 17;
  r |= (long)bpf_cpumask_any_distribute(CM(n)) << 20;
  bpf_cpumask_clear(n);
  r |= bpf_cpumask_empty(CM(n)) << 23;
  bpf_cpumask_copy(n, CM(m));
  r |= bpf_cpumask_equal(CM(m), CM(n)) << 24;
  bpf_cpumask_clear_cpu(0, m);
  r |= bpf_cpumask_empty(CM(m)) << 25;
  r |= bpf_cpumask_and(m, CM(m), CM(n)) << 26;
  bpf_preempt_enable(); bpf_rcu_read_unlock();
  bpf_cpumask_release(n); bpf_cpumask_release(m); return r; }
SEC("syscall") int cpumask_populate(void *ctx)
{ unsigned long bits = 1; unsigned int half = 1; long r;
  struct bpf_cpumask *m = bpf_cpumask_create(); if (!m) return -1;
  r = bpf_cpumask_populate(m, &half, sizeof(half)) & 0xff;
  r |= bpf_cpumask_test_cpu(0, CM(m)) << 8;
  r |= (long)(bpf_cpumask_populate(m, &bits, sizeof(bits)) & 0xff) << 9;
  r |= bpf_cpumask_test_cpu(0, CM(m)) << 17;
  bpf_cpumask_release(m); return r; }
char LICENSE[] SEC("license") = "GPL";
"""
PROGS = ["current_task", "no_such_task", "current_cgroup", "no_such_cgroup", "cpumask_ops",
         "cpumask_populate"]


@pytest.fixture(scope="module")
def obj(tmp_path_factory):
    need_kernel_objects()
    src = tmp_path_factory.mktemp("task_kfuncs_run") / "task_kfuncs.c"
    src.write_text(SRC)
    return pipeline.build(src, output=src.with_suffix(".o"))


@pytest.mark.parametrize("engine", ["interp", "unicorn"])
@pytest.mark.parametrize("prog", PROGS)
def test_syscall_program_returns_what_the_kernel_returns(obj, prog, engine):
    if engine == "unicorn":
        pytest.importorskip("unicorn")
    # BPF_PROG_TEST_RUN of a syscall program takes no repeat count
    want = K.run_object(obj.elf.path, prog, repeat=0).retval
    got = pipeline.run(obj, prog, engine=engine)
    assert got.retval == want, (prog, engine)

