/* extern __ksym kfunc calls (calls relocated against UND symbols in .ksyms), a weak
 * kfunc, and a typed ksym variable whose address is loaded with LD_IMM64. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym __weak;
extern const int bpf_prog_active __ksym;

static __attribute__((noinline)) int locked(void)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return 0;
}

SEC("tp_btf/task_newtask")
int newtask(__u64 *ctx)
{
	struct task_struct *t = (void *)ctx[0];
	struct task_struct *got = bpf_task_acquire(t);

	int *active = bpf_this_cpu_ptr(&bpf_prog_active);

	if (got)
		bpf_task_release(got);
	if (bpf_cgroup_release)
		bpf_cgroup_release((void *)0);
	return locked() + *active;
}

char LICENSE[] SEC("license") = "GPL";
