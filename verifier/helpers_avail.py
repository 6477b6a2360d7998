"""Which helpers each program type may call (kernel: ``get_helper_proto`` asking the
type's ``*_func_proto`` switch, on top of ``bpf_base_func_proto``).

The tables were measured on this kernel (6.18) by loading a call of every helper id from
each program type; some helpers depend on the expected attach type as well
(``cgroup_common_func_proto``'s retval helpers, ``sock_addr_func_proto``, the sockopt
hooks, tp_btf/iter tracing and tcp_congestion_ops struct_ops, whose tables are
:mod:`verifier.helpers_kobj`'s).  The prototypes themselves are :mod:`verifier.helpers`'s.
"""

from __future__ import annotations

from verifier import helpers_kobj as KO

# Which helper ids each program type may call on this kernel (6.18): the union of
# bpf_base_func_proto (privileged) and the type's own *_func_proto switch, measured by
# asking the kernel (a call gets "program of this type cannot use helper" or not).
_BASE = frozenset({
    1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 35, 37, 42, 55, 80, 87, 88, 89, 93, 94,
    105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134,
    141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 175, 176, 177,
    180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211,
})
_SOCKET_FILTER = frozenset({
    25, 26, 46, 47, 68, 122, 136, 137, 138, 139, 140, 160, 178, 196,
})
_SCHED_CLS = frozenset({
    9, 10, 11, 13, 18, 19, 20, 21, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 38, 39, 40,
    41, 43, 46, 47, 48, 50, 66, 68, 69, 79, 83, 84, 85, 86, 95, 96, 97, 98, 99, 100, 107,
    108, 110, 122, 124, 135, 136, 137, 138, 139, 140, 151, 152, 155, 160, 163, 178, 192,
    196, 204, 205, 206, 207,
})
_SCHED_ACT = frozenset({
    9, 10, 11, 13, 18, 19, 20, 21, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 38, 39, 40,
    41, 43, 46, 47, 48, 50, 66, 68, 69, 79, 83, 84, 85, 86, 95, 96, 97, 98, 99, 100, 107,
    108, 110, 122, 124, 135, 136, 137, 138, 139, 140, 151, 152, 155, 160, 163, 178, 192,
    196, 204, 205, 206, 207,
})
_XDP = frozenset({
    23, 25, 28, 44, 51, 54, 65, 69, 84, 85, 86, 99, 100, 110, 136, 137, 138, 139, 140, 160,
    163, 178, 188, 189, 190, 196, 204, 205, 206, 207,
})
_CGROUP_SKB = frozenset({
    25, 26, 46, 47, 68, 79, 81, 83, 84, 85, 86, 95, 96, 97, 98, 99, 107, 108, 122, 128, 129,
    136, 137, 138, 139, 140, 160, 178, 196,
})
_KPROBE = frozenset({
    4, 25, 27, 45, 67, 173, 174,
})
_TRACEPOINT = frozenset({
    4, 25, 27, 45, 67, 173, 174,
})
_RAW_TRACEPOINT = frozenset({
    4, 25, 27, 45, 67, 173, 174,
})
_PERF_EVENT = frozenset({
    4, 25, 27, 45, 56, 67, 119, 173, 174,
})

# measured the same way for the program types the verifier has no context model for;
# bpf_perf_event_output (25) is no base helper: sk_reuseport, flow_dissector and netfilter
# programs may not call it
_CGROUP_SOCK = frozenset({
    25, 46, 81, 107, 122, 160, 186, 187,
})
_LWT_IN = frozenset({
    24, 25, 26, 28, 33, 34, 39, 73, 136, 137, 138, 139, 140, 160, 178, 196,
})
_LWT_OUT = frozenset({
    24, 25, 26, 28, 33, 34, 39, 136, 137, 138, 139, 140, 160, 178, 196,
})
_LWT_XMIT = frozenset({
    9, 10, 11, 13, 20, 21, 23, 24, 25, 26, 28, 29, 30, 33, 34, 38, 39, 40, 41, 43, 73, 135,
    136, 137, 138, 139, 140, 160, 178, 196,
})
_SOCK_OPS = frozenset({
    25, 46, 49, 53, 57, 59, 70, 81, 96, 107, 108, 122, 136, 137, 138, 139, 140, 142, 143,
    144, 160, 178, 196,
})
_SK_SKB = frozenset({
    9, 25, 26, 38, 39, 43, 46, 47, 50, 52, 72, 84, 85, 86, 99, 136, 137, 138, 139, 140, 160,
    178, 196,
})
_CGROUP_DEVICE = frozenset({
    25, 81,
})
_SK_MSG = frozenset({
    25, 60, 61, 62, 63, 71, 90, 91, 107, 108, 122, 136, 137, 138, 139, 140, 160, 178, 196,
})
_CGROUP_SOCK_ADDR = frozenset({
    25, 46, 49, 57, 81, 84, 85, 86, 99, 107, 108, 122, 136, 137, 138, 139, 140, 160, 178,
    186, 187, 196,
})
_LWT_SEG6LOCAL = frozenset({
    24, 25, 26, 28, 33, 34, 39, 136, 137, 138, 139, 140, 160, 178, 196,
})
_SK_REUSEPORT = frozenset({
    26, 46, 68, 82, 160,
})
_FLOW_DISSECTOR = frozenset({
    26, 136, 137, 138, 139, 140, 160, 178, 196,
})
_CGROUP_SYSCTL = frozenset({
    25, 81, 101, 102, 103, 104, 160,
})
_RAW_TRACEPOINT_WRITABLE = frozenset({
    4, 25, 27, 45, 67, 173, 174,
})
_CGROUP_SOCKOPT = frozenset({
    25, 81, 96, 107, 108, 122, 186, 187,
})
_SK_LOOKUP = frozenset({
    25, 86, 124, 136, 137, 138, 139, 140, 160, 178, 196,
})
_NETFILTER = frozenset()

PROG_HELPERS = {
    "socket_filter": _BASE | _SOCKET_FILTER,
    "sched_cls": _BASE | _SCHED_CLS,
    "sched_act": _BASE | _SCHED_ACT,
    "xdp": _BASE | _XDP,
    "cgroup_skb": _BASE | _CGROUP_SKB,
    "kprobe": _BASE | _KPROBE,
    "tracepoint": _BASE | _TRACEPOINT,
    "raw_tracepoint": _BASE | _RAW_TRACEPOINT,
    "perf_event": _BASE | _PERF_EVENT,
    "cgroup_sock": _BASE | _CGROUP_SOCK,
    "lwt_in": _BASE | _LWT_IN,
    "lwt_out": _BASE | _LWT_OUT,
    "lwt_xmit": _BASE | _LWT_XMIT,
    "sock_ops": _BASE | _SOCK_OPS,
    "sk_skb": _BASE | _SK_SKB,
    "cgroup_device": _BASE | _CGROUP_DEVICE,
    "sk_msg": _BASE | _SK_MSG,
    "cgroup_sock_addr": _BASE | _CGROUP_SOCK_ADDR,
    "lwt_seg6local": _BASE | _LWT_SEG6LOCAL,
    "sk_reuseport": _BASE | _SK_REUSEPORT,
    "flow_dissector": _BASE | _FLOW_DISSECTOR,
    "cgroup_sysctl": _BASE | _CGROUP_SYSCTL,
    "raw_tracepoint_writable": _BASE | _RAW_TRACEPOINT_WRITABLE,
    "cgroup_sockopt": _BASE | _CGROUP_SOCKOPT,
    "sk_lookup": _BASE | _SK_LOOKUP,
    "netfilter": _BASE | _NETFILTER,
}
# program types not measured (BTF-attached tracing, lsm, ext, struct_ops, syscall, lirc_mode2);
# tracing programs have bpf_get_func_ip (173) - check_get_func_ip then decides
_UNMEASURED = _BASE | {25}
PROG_HELPERS["tracing"] = _UNMEASURED | {173}
# kernel: syscall_prog_func_proto (bpf_kallsyms_lookup_name, 179, not modelled)
PROG_HELPERS["syscall"] = _UNMEASURED | {166, 167, 168}


# Helpers that a type's *_func_proto hands out for some expected attach types only.
_CGROUP_TYPES = frozenset({"cgroup_skb", "cgroup_sock", "cgroup_sock_addr", "sock_ops",
                           "cgroup_device", "cgroup_sysctl", "cgroup_sockopt"})
# kernel: cgroup_common_func_proto - no bpf_get_retval/bpf_set_retval for these hooks
# (None: attach type 0, BPF_CGROUP_INET_INGRESS)
_NO_RETVAL = frozenset({None, "cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_sock_ops",
                        "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_unix_recvmsg",
                        "cgroup_inet4_getpeername", "cgroup_inet6_getpeername",
                        "cgroup_unix_getpeername", "cgroup_inet4_getsockname",
                        "cgroup_inet6_getsockname", "cgroup_unix_getsockname"})
# kernel: sock_addr_func_proto
_SOCK_ADDR_SOCKOPT = frozenset({
    "cgroup_inet4_bind", "cgroup_inet6_bind", "cgroup_inet4_connect", "cgroup_inet6_connect",
    "cgroup_unix_connect", "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_unix_recvmsg",
    "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg", "cgroup_unix_sendmsg",
    "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname",
    "cgroup_inet6_getsockname"})


def _attach_allows(prog_type: str, func_id: int, attach: str | None) -> bool | None:
    """True/False where the attach type decides, None where it does not."""
    if func_id in (186, 187) and prog_type in _CGROUP_TYPES:
        if prog_type == "cgroup_sock" and attach is None:
            attach = "cgroup_inet_sock_create"     # bpf_prog_load_fixup_attach_type
        return attach not in _NO_RETVAL
    if prog_type == "cgroup_sockopt" and func_id in (49, 57):
        return attach == "cgroup_setsockopt"
    if prog_type == "cgroup_sock_addr":
        if func_id == 64:
            return attach in ("cgroup_inet4_connect", "cgroup_inet6_connect")
        if func_id in (49, 57):
            return attach in _SOCK_ADDR_SOCKOPT
    return None


# program types where the expected attach type can decide, and the helpers where it can
_BY_ATTACH_TYPES = frozenset({"tracing", "struct_ops", "cgroup_sockopt", "cgroup_sock_addr"})
_BY_ATTACH_IDS = frozenset({186, 187})


def available(prog_type: str, func_id: int, attach: str | None = None,
              target: str | None = None) -> bool:
    """kernel: get_helper_proto succeeds for this program type (and expected attach
    type; ``target``: an iterator's target, e.g. "tcp")."""
    if prog_type in _BY_ATTACH_TYPES or func_id in _BY_ATTACH_IDS:
        return _available_by_attach(prog_type, func_id, attach, target)
    return func_id in PROG_HELPERS.get(prog_type, _UNMEASURED)


def _available_by_attach(prog_type: str, func_id: int, attach: str | None,
                         target: str | None) -> bool:
    if prog_type == "tracing" and attach in ("trace_raw_tp", "trace_iter"):
        return func_id in _BASE or KO.tracing_available(func_id, attach, target)
    if prog_type == "struct_ops":
        struct, _, member = (attach or "").partition(":")
        if struct != "tcp_congestion_ops":
            return False            # bpf_dummy_ops has no get_func_proto
        return func_id in _BASE or func_id in KO.TCP_CA or (
            func_id in KO.ITER_SOCKOPT_IDS and member != "release")
    by_attach = _attach_allows(prog_type, func_id, attach)
    if by_attach is not None:
        return by_attach
    return func_id in PROG_HELPERS.get(prog_type, _UNMEASURED)
