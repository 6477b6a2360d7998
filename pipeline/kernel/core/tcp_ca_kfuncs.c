// SPDX-License-Identifier: GPL-2.0
/*
 * TCP congestion-control kfuncs of the mock kernel: the ones a struct_ops
 * tcp_congestion_ops program may call (net/ipv4/bpf_tcp_ca.c
 * bpf_tcp_ca_check_kfunc_ids and net/ipv4/tcp_cubic.c tcp_cubic_check_kfunc_ids,
 * both registered for BPF_PROG_TYPE_STRUCT_OPS).  Included at the end of
 * kfuncs.c.  The socket types are placeholders: struct_ops programs are
 * verified against the target BTF's (vmlinux) types, matched by kind and name,
 * and never run in the mock kernel (tcp_ca_kfuncs.py).
 */

struct sock {
	u32 sk_placeholder;		/* the kernel's layout is the target BTF's */
};

struct tcp_sock {
	struct sock sk;			/* a tcp_sock starts with its sock */
};

struct ack_sample {
	u32 pkts_acked;
	s32 rtt_us;
	u32 in_flight;
};
enum tcp_ca_event { CA_EVENT_TX_START };

__bpf_kfunc u32 tcp_reno_ssthresh(struct sock *sk) { return 0; }
__bpf_kfunc void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked) { }
__bpf_kfunc u32 tcp_reno_undo_cwnd(struct sock *sk) { return 0; }
__bpf_kfunc u32 tcp_slow_start(struct tcp_sock *tp, u32 acked) { return 0; }
__bpf_kfunc void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked) { }

__bpf_kfunc void cubictcp_init(struct sock *sk) { }
__bpf_kfunc u32 cubictcp_recalc_ssthresh(struct sock *sk) { return 0; }
__bpf_kfunc void cubictcp_cong_avoid(struct sock *sk, u32 ack, u32 acked) { }
__bpf_kfunc void cubictcp_state(struct sock *sk, u8 new_state) { }
__bpf_kfunc void cubictcp_cwnd_event(struct sock *sk, enum tcp_ca_event event) { }
__bpf_kfunc void cubictcp_acked(struct sock *sk, const struct ack_sample *sample) { }
