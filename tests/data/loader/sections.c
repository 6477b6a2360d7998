/* Many libbpf section kinds, one program each, none calling subprograms. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/do_unlinkat") int kp(void *ctx) { return 0; }
SEC("kretprobe/do_unlinkat") int krp(void *ctx) { return 0; }
SEC("uprobe") int up(void *ctx) { return 0; }
SEC("tracepoint/sched/sched_switch") int tp(void *ctx) { return 0; }
SEC("raw_tracepoint/sys_enter") int rtp(void *ctx) { return 0; }
SEC("fentry/do_unlinkat") int fe(void *ctx) { return 0; }
SEC("fexit/do_unlinkat") int fx(void *ctx) { return 0; }
SEC("lsm/file_open") int ls(void *ctx) { return 0; }
SEC("classifier") int cls(void *ctx) { return 0; }
SEC("tc") int tcp(void *ctx) { return 0; }
SEC("cgroup_skb/ingress") int cgi(void *ctx) { return 1; }
SEC("perf_event") int pe(void *ctx) { return 0; }
SEC("syscall") int sc(void *ctx) { return 0; }
SEC("sk_msg") int skm(void *ctx) { return 0; }
SEC("iter/task") int it(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
