"""Helpers that take or return kernel objects (PTR_TO_BTF_ID), and the helper tables of
BTF-attached tracing programs (tp_btf, iter).

Kernel counterparts: ``bpf_get_current_task_btf_proto``, ``bpf_seq_printf_proto`` /
``bpf_seq_write_proto`` / ``bpf_seq_printf_btf_proto`` (kernel/trace/bpf_trace.c),
``bpf_skc_to_*_proto``, ``bpf_skb_output_proto`` and ``bpf_sock_from_file_proto``
(net/core/filter.c); ``tracing_prog_func_proto`` and the iterator targets'
``get_func_proto`` (tcp and unix add bpf_setsockopt/bpf_getsockopt).

A ``Proto.ret_btf`` names the struct a RET_PTR_TO_BTF_ID helper returns and ``arg_btf`` the
struct an ARG_PTR_TO_BTF_ID argument must point to; both are looked up in the target BTF
(:mod:`verifier.btf_access`).  :func:`tables` is called at the end of
:mod:`verifier.helpers` with that module (which it needs for ``Proto`` and the argument
kinds, without importing it: no import cycle); it merges the result into its tables.
"""

from __future__ import annotations

TRUSTED = 1 << 15             # RET_PTR_TO_BTF_ID_TRUSTED (regtypes.PTR_TRUSTED)
ITER_SOCKOPT_TARGETS = frozenset({"tcp", "unix"})
ITER_SOCKOPT_IDS = frozenset({49, 57})

# which helper ids tp_btf and iter programs may call besides bpf_base_func_proto's, measured
# on this kernel (6.18) by loading a call of every id with attach_btf_id set to
# btf_trace_sys_enter (tp_btf) and bpf_iter_task (iter; bpf_iter_tcp/_unix add 49 and 57)
TRACING_RAW_TP = frozenset({
    4, 25, 27, 45, 46, 67, 107, 108, 111, 121, 136, 137, 138, 139, 140, 147, 162, 173, 174,
    178, 188, 196,
})
TRACING_ITER = frozenset({
    4, 25, 27, 45, 46, 67, 107, 108, 111, 121, 126, 127, 136, 137, 138, 139, 140, 147, 150,
    162, 173, 178, 188, 196,
})


def tables(H):
    """(helper id -> Proto, (program type, helper id) -> Proto) built from ``H``, the
    :mod:`verifier.helpers` module."""
    Proto, MAYBE_NULL, RO_MEM, UNINIT_MEM = H.Proto, H.MAYBE_NULL, H.RO_MEM, H.UNINIT_MEM
    RET_INTEGER, RET_PTR_TO_BTF_ID = H.RET_INTEGER, H.RET_PTR_TO_BTF_ID
    ARG_ANYTHING, ARG_CONST_MAP_PTR = H.ARG_ANYTHING, H.ARG_CONST_MAP_PTR
    ARG_CONST_SIZE, ARG_CONST_SIZE_OR_ZERO = H.ARG_CONST_SIZE, H.ARG_CONST_SIZE_OR_ZERO
    ARG_PTR_TO_BTF_ID, ARG_PTR_TO_BTF_ID_SOCK_COMMON = (H.ARG_PTR_TO_BTF_ID,
                                                       H.ARG_PTR_TO_BTF_ID_SOCK_COMMON)
    ARG_PTR_TO_MAP_VALUE, ARG_PTR_TO_MEM = H.ARG_PTR_TO_MAP_VALUE, H.ARG_PTR_TO_MEM
    ARG_PTR_TO_SOCK_COMMON, RET_PTR_TO_MAP_VALUE, WRITE = (H.ARG_PTR_TO_SOCK_COMMON,
                                                          H.RET_PTR_TO_MAP_VALUE, H.WRITE)

    def _skc(name: str, struct: str, arg: int = ARG_PTR_TO_BTF_ID_SOCK_COMMON):
        return Proto(name, RET_PTR_TO_BTF_ID, ret_flags=MAYBE_NULL, args=(arg,), ret_btf=struct)

    KOBJ_HELPERS = {
        158: Proto("bpf_get_current_task_btf", RET_PTR_TO_BTF_ID, ret_flags=TRUSTED,
                   gpl_only=True, ret_btf="task_struct"),
        136: _skc("bpf_skc_to_tcp6_sock", "tcp6_sock"),
        137: _skc("bpf_skc_to_tcp_sock", "tcp_sock"),
        138: _skc("bpf_skc_to_tcp_timewait_sock", "tcp_timewait_sock"),
        139: _skc("bpf_skc_to_tcp_request_sock", "tcp_request_sock"),
        140: _skc("bpf_skc_to_udp6_sock", "udp6_sock"),
        178: _skc("bpf_skc_to_unix_sock", "unix_sock"),
        196: _skc("bpf_skc_to_mptcp_sock", "mptcp_sock", ARG_PTR_TO_SOCK_COMMON),
        162: Proto("bpf_sock_from_file", RET_PTR_TO_BTF_ID, ret_flags=MAYBE_NULL,
                   args=(ARG_PTR_TO_BTF_ID,), ret_btf="socket", arg_btf="file"),
        111: Proto("bpf_skb_output", RET_INTEGER, gpl_only=True, arg_btf="sk_buff",
                   args=(ARG_PTR_TO_BTF_ID, ARG_CONST_MAP_PTR, ARG_ANYTHING, RO_MEM,
                         ARG_CONST_SIZE_OR_ZERO)),
        126: Proto("bpf_seq_printf", RET_INTEGER, gpl_only=True, arg_btf="seq_file",
                   args=(ARG_PTR_TO_BTF_ID, RO_MEM, ARG_CONST_SIZE, RO_MEM | MAYBE_NULL,
                         ARG_CONST_SIZE_OR_ZERO)),
        127: Proto("bpf_seq_write", RET_INTEGER, gpl_only=True, arg_btf="seq_file",
                   args=(ARG_PTR_TO_BTF_ID, RO_MEM, ARG_CONST_SIZE_OR_ZERO)),
        # struct_ops tcp_congestion_ops (net/ipv4/bpf_tcp_ca.c)
        116: Proto("bpf_tcp_send_ack", RET_INTEGER, arg_btf="tcp_sock",
                   args=(ARG_PTR_TO_BTF_ID, ARG_ANYTHING)),
        150: Proto("bpf_seq_printf_btf", RET_INTEGER, gpl_only=True, arg_btf="seq_file",
                   args=(ARG_PTR_TO_BTF_ID, RO_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING)),
        149: Proto("bpf_snprintf_btf", RET_INTEGER,
                   args=(ARG_PTR_TO_MEM | WRITE, ARG_CONST_SIZE, RO_MEM, ARG_CONST_SIZE,
                         ARG_ANYTHING)),
        175: Proto("bpf_task_pt_regs", RET_PTR_TO_BTF_ID, gpl_only=True, ret_btf="pt_regs",
                   arg_btf="task_struct", args=(ARG_PTR_TO_BTF_ID,)),
        191: Proto("bpf_copy_from_user_task", RET_INTEGER, gpl_only=True, might_sleep=True,
                   arg_btf="task_struct", args=(UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING,
                                                ARG_PTR_TO_BTF_ID, ARG_ANYTHING)),
        141: Proto("bpf_get_task_stack", RET_INTEGER, arg_btf="task_struct",
                   args=(ARG_PTR_TO_BTF_ID, UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING)),
        # local storage of tasks and cgroups (kernel/bpf/bpf_task_storage.c, bpf_cgrp_storage.c)
        156: Proto("bpf_task_storage_get", RET_PTR_TO_MAP_VALUE, ret_flags=MAYBE_NULL,
                   arg_btf="task_struct",
                   args=(ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID | MAYBE_NULL,
                         ARG_PTR_TO_MAP_VALUE | MAYBE_NULL, ARG_ANYTHING)),
        157: Proto("bpf_task_storage_delete", RET_INTEGER, arg_btf="task_struct",
                   args=(ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID | MAYBE_NULL)),
        210: Proto("bpf_cgrp_storage_get", RET_PTR_TO_MAP_VALUE, ret_flags=MAYBE_NULL,
                   arg_btf="cgroup",
                   args=(ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID | MAYBE_NULL,
                         ARG_PTR_TO_MAP_VALUE | MAYBE_NULL, ARG_ANYTHING)),
        211: Proto("bpf_cgrp_storage_delete", RET_INTEGER, arg_btf="cgroup",
                   args=(ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID | MAYBE_NULL)),
    }

    # iter/tcp and iter/unix: bpf_sk_setsockopt / bpf_sk_getsockopt
    ITER_SOCKOPT = {
        49: Proto("bpf_setsockopt", RET_INTEGER, args=(ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING,
                                                      ARG_ANYTHING, RO_MEM, ARG_CONST_SIZE)),
        57: Proto("bpf_getsockopt", RET_INTEGER, args=(ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING,
                                                      ARG_ANYTHING, UNINIT_MEM, ARG_CONST_SIZE)),
    }
    # tracing programs' socket storage (bpf_sk_storage_get/delete_tracing_proto): any pointer
    # to a socket object, NULL included (fentry/fexit are not modelled, so the kernel's
    # bpf_sk_storage_tracing_allowed always holds here)
    TRACING_SK_STORAGE = {
        107: Proto("bpf_sk_storage_get", RET_PTR_TO_MAP_VALUE, ret_flags=MAYBE_NULL,
                   arg_btf="sock_common",
                   args=(ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID | MAYBE_NULL,
                         ARG_PTR_TO_MAP_VALUE | MAYBE_NULL, ARG_ANYTHING)),
        108: Proto("bpf_sk_storage_delete", RET_INTEGER, arg_btf="sock_common",
                   args=(ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID | MAYBE_NULL)),
    }

    # tracing programs' socket cookie (bpf_get_socket_ptr_cookie_proto): any socket object
    TRACING_SOCKET_COOKIE = {
        46: Proto("bpf_get_socket_cookie", RET_INTEGER,
                  args=(ARG_PTR_TO_BTF_ID_SOCK_COMMON | MAYBE_NULL,)),
    }

    typed = {("tracing", k): v for k, v in {**ITER_SOCKOPT, **TRACING_SOCKET_COOKIE,
                                            **TRACING_SK_STORAGE}.items()}
    # struct_ops tcp_congestion_ops: bpf_sk_setsockopt / bpf_sk_getsockopt too
    typed.update({("struct_ops", k): v for k, v in ITER_SOCKOPT.items()})
    return KOBJ_HELPERS, typed


def tracing_available(func_id: int, attach: str, target: str | None) -> bool:
    """Beyond bpf_base_func_proto: tracing_prog_func_proto for tp_btf ("trace_raw_tp") and
    iter ("trace_iter", whose ``target`` may add its own helpers)."""
    if attach == "trace_iter" and target in ITER_SOCKOPT_TARGETS and func_id in ITER_SOCKOPT_IDS:
        return True
    return func_id in (TRACING_RAW_TP if attach == "trace_raw_tp" else TRACING_ITER)


# struct_ops tcp_congestion_ops (bpf_tcp_ca_get_func_proto) adds these to the base helpers,
# and bpf_setsockopt/bpf_getsockopt except in ``release``: measured on this kernel (6.18) by
# loading a call of every id as the cong_avoid and release members; bpf_dummy_ops has none
TCP_CA = frozenset({107, 108, 116, 160})
