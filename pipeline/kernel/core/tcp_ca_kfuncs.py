"""TCP congestion-control kfuncs: registered for struct_ops programs, never run.

Kernel counterparts: net/ipv4/bpf_tcp_ca.c (``bpf_tcp_ca_check_kfunc_ids``: the Reno
helpers, tcp_slow_start, tcp_cong_avoid_ai) and net/ipv4/tcp_cubic.c
(``tcp_cubic_check_kfunc_ids``), both registered for BPF_PROG_TYPE_STRUCT_OPS with no
KF_* flags.  Prototypes are in tcp_ca_kfuncs.c.  struct_ops programs do not run in the
mock kernel (there is no TCP stack to attach to), so a call here is an inconsistency.
"""

from __future__ import annotations

from ..registry import KernelError, KfuncSet

TCP_CA = KfuncSet("bpf_tcp_ca_check_kfunc_ids", module="vmlinux", prog_types={"struct_ops"})
TCP_CUBIC = KfuncSet("tcp_cubic_check_kfunc_ids", module="vmlinux", prog_types={"struct_ops"})
KFUNC_SETS = [TCP_CA, TCP_CUBIC]


def _no_run():
    raise KernelError("TCP congestion-control kfuncs have no run-time model: struct_ops "
                      "programs do not run in the mock kernel")


@TCP_CA.kfunc()
def tcp_reno_ssthresh(vm, sk):
    _no_run()


@TCP_CA.kfunc()
def tcp_reno_cong_avoid(vm, sk, ack, acked):
    _no_run()


@TCP_CA.kfunc()
def tcp_reno_undo_cwnd(vm, sk):
    _no_run()


@TCP_CA.kfunc()
def tcp_slow_start(vm, tp, acked):
    _no_run()


@TCP_CA.kfunc()
def tcp_cong_avoid_ai(vm, tp, w, acked):
    _no_run()


@TCP_CUBIC.kfunc()
def cubictcp_init(vm, sk):
    _no_run()


@TCP_CUBIC.kfunc()
def cubictcp_recalc_ssthresh(vm, sk):
    _no_run()


@TCP_CUBIC.kfunc()
def cubictcp_cong_avoid(vm, sk, ack, acked):
    _no_run()


@TCP_CUBIC.kfunc()
def cubictcp_state(vm, sk, new_state):
    _no_run()


@TCP_CUBIC.kfunc()
def cubictcp_cwnd_event(vm, sk, event):
    _no_run()


@TCP_CUBIC.kfunc()
def cubictcp_acked(vm, sk, sample):
    _no_run()
