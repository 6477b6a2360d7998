// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-object kfuncs of the mock kernel: tasks, cgroups, cpumasks, RCU
 * read-side sections and preemption (kernel/bpf/helpers.c generic_btf_ids and
 * common_btf_ids, kernel/bpf/cpumask.c).  Included at the end of kfuncs.c, so
 * these prototypes are part of the core (vmlinux) BTF; the implementations
 * are the Python functions in task_kfuncs.py.
 *
 * The objects are the mock kernel's own, much smaller than vmlinux's: CO-RE
 * relocations against the mock kernel's BTF (the default target) resolve to
 * these members.  Against another target BTF (vmlinux) the verifier matches
 * kernel types by kind and name.  struct cpumask has the kernel's layout for
 * NR_CPUS = 256 (the mock kernel's CONFIG_NR_CPUS, pipeline/kconfig.py), so a
 * program's own struct cpumask has vmlinux's size; the mock kernel has a
 * single online CPU (nr_cpu_ids = 1: only bit 0 is used).  struct bpf_cpumask keeps
 * the kernel's shape: the cpumask first (so a struct bpf_cpumask * may be
 * passed where a struct cpumask * is expected), then its refcount.
 */

#define NR_CPUS 256

struct cpumask {
	unsigned long bits[NR_CPUS / 64];
};

struct bpf_cpumask {
	struct cpumask cpumask;
	refcount_t usage;
};

struct cgroup {
	refcount_t refcnt;
	int level;			/* 0 for the root */
	u64 id;				/* kernfs id: what bpf_cgroup_from_id looks up */
	struct cgroup *ancestors[1];	/* ancestors[level] is the cgroup itself */
};

struct task_struct {
	refcount_t usage;
	int pid;
	int tgid;
	char comm[16];
	struct cgroup *cgroup;		/* its cgroup in the default hierarchy */
	const struct cpumask *cpus_ptr;
	struct task_struct *parent;
};

/* ---- kernel/bpf/helpers.c: tasks and cgroups (generic_btf_ids) ---- */

__bpf_kfunc struct task_struct *bpf_task_acquire(struct task_struct *p)
{
	p->usage.refs.counter++;
	return p;
}

__bpf_kfunc void bpf_task_release(struct task_struct *p)
{
	p->usage.refs.counter--;
}

__bpf_kfunc struct task_struct *bpf_task_from_pid(s32 pid)
{
	return NULL;
}

__bpf_kfunc struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp)
{
	cgrp->refcnt.refs.counter++;
	return cgrp;
}

__bpf_kfunc void bpf_cgroup_release(struct cgroup *cgrp)
{
	cgrp->refcnt.refs.counter--;
}

__bpf_kfunc struct cgroup *bpf_cgroup_ancestor(struct cgroup *cgrp, int level)
{
	if (level > cgrp->level || level < 0)
		return NULL;
	return bpf_cgroup_acquire(cgrp->ancestors[level]);
}

__bpf_kfunc struct cgroup *bpf_cgroup_from_id(u64 cgid)
{
	return NULL;
}

__bpf_kfunc long bpf_task_under_cgroup(struct task_struct *task, struct cgroup *ancestor)
{
	return task->cgroup == ancestor;
}

__bpf_kfunc struct cgroup *bpf_task_get_cgroup1(struct task_struct *task, int hierarchy_id)
{
	return NULL;
}

/* ---- kernel/bpf/helpers.c: RCU and preemption (common_btf_ids) ---- */

__bpf_kfunc void bpf_rcu_read_lock(void)
{
}

__bpf_kfunc void bpf_rcu_read_unlock(void)
{
}

__bpf_kfunc void bpf_preempt_disable(void)
{
}

__bpf_kfunc void bpf_preempt_enable(void)
{
}

/* ---- kernel/bpf/cpumask.c ---- */

__bpf_kfunc struct bpf_cpumask *bpf_cpumask_create(void)
{
	return NULL;
}

__bpf_kfunc struct bpf_cpumask *bpf_cpumask_acquire(struct bpf_cpumask *cpumask)
{
	cpumask->usage.refs.counter++;
	return cpumask;
}

__bpf_kfunc void bpf_cpumask_release(struct bpf_cpumask *cpumask)
{
	cpumask->usage.refs.counter--;
}

__bpf_kfunc u32 bpf_cpumask_first(const struct cpumask *cpumask)
{
	return cpumask->bits[0];
}

__bpf_kfunc u32 bpf_cpumask_first_zero(const struct cpumask *cpumask)
{
	return ~cpumask->bits[0];
}

__bpf_kfunc u32 bpf_cpumask_first_and(const struct cpumask *src1, const struct cpumask *src2)
{
	return src1->bits[0] & src2->bits[0];
}

__bpf_kfunc void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask)
{
	cpumask->cpumask.bits[0] |= 1UL << cpu;
}

__bpf_kfunc void bpf_cpumask_clear_cpu(u32 cpu, struct bpf_cpumask *cpumask)
{
	cpumask->cpumask.bits[0] &= ~(1UL << cpu);
}

__bpf_kfunc bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask)
{
	return cpumask->bits[0] >> cpu & 1;
}

__bpf_kfunc bool bpf_cpumask_test_and_set_cpu(u32 cpu, struct bpf_cpumask *cpumask)
{
	bool old = cpumask->cpumask.bits[0] >> cpu & 1;

	cpumask->cpumask.bits[0] |= 1UL << cpu;
	return old;
}

__bpf_kfunc bool bpf_cpumask_test_and_clear_cpu(u32 cpu, struct bpf_cpumask *cpumask)
{
	bool old = cpumask->cpumask.bits[0] >> cpu & 1;

	cpumask->cpumask.bits[0] &= ~(1UL << cpu);
	return old;
}

__bpf_kfunc void bpf_cpumask_setall(struct bpf_cpumask *cpumask)
{
	cpumask->cpumask.bits[0] = 1;
}

__bpf_kfunc void bpf_cpumask_clear(struct bpf_cpumask *cpumask)
{
	cpumask->cpumask.bits[0] = 0;
}

__bpf_kfunc bool bpf_cpumask_and(struct bpf_cpumask *dst, const struct cpumask *src1,
				 const struct cpumask *src2)
{
	dst->cpumask.bits[0] = src1->bits[0] & src2->bits[0];
	return dst->cpumask.bits[0] != 0;
}

__bpf_kfunc void bpf_cpumask_or(struct bpf_cpumask *dst, const struct cpumask *src1,
				const struct cpumask *src2)
{
	dst->cpumask.bits[0] = src1->bits[0] | src2->bits[0];
}

__bpf_kfunc void bpf_cpumask_xor(struct bpf_cpumask *dst, const struct cpumask *src1,
				 const struct cpumask *src2)
{
	dst->cpumask.bits[0] = src1->bits[0] ^ src2->bits[0];
}

__bpf_kfunc bool bpf_cpumask_equal(const struct cpumask *src1, const struct cpumask *src2)
{
	return src1->bits[0] == src2->bits[0];
}

__bpf_kfunc bool bpf_cpumask_intersects(const struct cpumask *src1, const struct cpumask *src2)
{
	return (src1->bits[0] & src2->bits[0]) != 0;
}

__bpf_kfunc bool bpf_cpumask_subset(const struct cpumask *src1, const struct cpumask *src2)
{
	return (src1->bits[0] & ~src2->bits[0]) == 0;
}

__bpf_kfunc bool bpf_cpumask_empty(const struct cpumask *cpumask)
{
	return cpumask->bits[0] == 0;
}

__bpf_kfunc bool bpf_cpumask_full(const struct cpumask *cpumask)
{
	return cpumask->bits[0] == 1;
}

__bpf_kfunc void bpf_cpumask_copy(struct bpf_cpumask *dst, const struct cpumask *src)
{
	dst->cpumask.bits[0] = src->bits[0];
}

__bpf_kfunc u32 bpf_cpumask_any_distribute(const struct cpumask *cpumask)
{
	return cpumask->bits[0];
}

__bpf_kfunc u32 bpf_cpumask_any_and_distribute(const struct cpumask *src1,
					       const struct cpumask *src2)
{
	return src1->bits[0] & src2->bits[0];
}

__bpf_kfunc u32 bpf_cpumask_weight(const struct cpumask *cpumask)
{
	return cpumask->bits[0] != 0;
}

/* since Linux 6.16: fill a cpumask from a bitmap in program memory */
typedef unsigned long size_t;

__bpf_kfunc int bpf_cpumask_populate(struct bpf_cpumask *cpumask, void *src, size_t src__sz)
{
	if (src__sz < sizeof(unsigned long))
		return -13;		/* -EACCES: the bitmap must cover nr_cpu_ids bits */
	cpumask->cpumask.bits[0] = *(unsigned long *)src;
	return 0;
}
