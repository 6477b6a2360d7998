"""Register types: the kernel's ``enum bpf_reg_type`` base types and flag bits.

A register type is one int: a base type in the low byte plus modifier flags
(``PTR_MAYBE_NULL``, ``MEM_RDONLY``, ``MEM_RINGBUF``...), as in the kernel, so
``base(t)`` strips the flags and ``type_str(t)`` prints what the verifier log
prints (``map_value_or_null``, ``ringbuf_mem_or_null``, ``rdonly_mem``...).
"""

from __future__ import annotations

# base types (kernel order; only the numbering inside this module matters)
NOT_INIT = 0
SCALAR = 1
PTR_TO_CTX = 2
CONST_PTR_TO_MAP = 3
PTR_TO_MAP_VALUE = 4
PTR_TO_MAP_KEY = 5
PTR_TO_STACK = 6
PTR_TO_PACKET_META = 7
PTR_TO_PACKET = 8
PTR_TO_PACKET_END = 9
PTR_TO_FLOW_KEYS = 10
PTR_TO_SOCKET = 11
PTR_TO_SOCK_COMMON = 12
PTR_TO_TCP_SOCK = 13
PTR_TO_TP_BUFFER = 14
PTR_TO_XDP_SOCK = 15
PTR_TO_BTF_ID = 16
PTR_TO_MEM = 17
PTR_TO_ARENA = 18
PTR_TO_BUF = 19
PTR_TO_FUNC = 20
CONST_PTR_TO_DYNPTR = 21

BASE_MASK = 0xFF

# flags
PTR_MAYBE_NULL = 1 << 8
MEM_RDONLY = 1 << 9
MEM_RINGBUF = 1 << 10
MEM_USER = 1 << 11
MEM_PERCPU = 1 << 12
PTR_UNTRUSTED = 1 << 13
MEM_RCU = 1 << 14
PTR_TRUSTED = 1 << 15
MEM_ALLOC = 1 << 16
NON_OWN_REF = 1 << 17      # a graph node's non-owning reference (valid until bpf_spin_unlock)

_NAMES = {
    NOT_INIT: "?",
    SCALAR: "scalar",
    PTR_TO_CTX: "ctx",
    CONST_PTR_TO_MAP: "map_ptr",
    PTR_TO_MAP_VALUE: "map_value",
    PTR_TO_MAP_KEY: "map_key",
    PTR_TO_STACK: "fp",
    PTR_TO_PACKET_META: "pkt_meta",
    PTR_TO_PACKET: "pkt",
    PTR_TO_PACKET_END: "pkt_end",
    PTR_TO_FLOW_KEYS: "flow_keys",
    PTR_TO_SOCKET: "sock",
    PTR_TO_SOCK_COMMON: "sock_common",
    PTR_TO_TCP_SOCK: "tcp_sock",
    PTR_TO_TP_BUFFER: "tp_buffer",
    PTR_TO_XDP_SOCK: "xdp_sock",
    PTR_TO_BTF_ID: "ptr_",
    PTR_TO_MEM: "mem",
    PTR_TO_ARENA: "arena",
    PTR_TO_BUF: "buf",
    PTR_TO_FUNC: "func",
    CONST_PTR_TO_DYNPTR: "dynptr_ptr",
}


def base(t: int) -> int:
    return t & BASE_MASK


def may_be_null(t: int) -> bool:
    return bool(t & PTR_MAYBE_NULL)


def type_str(t: int) -> str:
    """kernel: reg_type_str()."""
    postfix = ""
    if t & PTR_MAYBE_NULL:
        postfix = "or_null_" if base(t) == PTR_TO_BTF_ID else "_or_null"
    prefix = "".join(name for flag, name in (
        (MEM_RDONLY, "rdonly_"), (MEM_RINGBUF, "ringbuf_"), (MEM_USER, "user_"),
        (MEM_PERCPU, "percpu_"), (MEM_RCU, "rcu_"), (PTR_UNTRUSTED, "untrusted_"),
        (PTR_TRUSTED, "trusted_")) if t & flag)
    return prefix + _NAMES.get(base(t), "?") + postfix


def is_pkt_pointer(t: int) -> bool:
    return base(t) in (PTR_TO_PACKET, PTR_TO_PACKET_META)


def is_sk_pointer(t: int) -> bool:
    return t in (PTR_TO_SOCKET, PTR_TO_SOCK_COMMON, PTR_TO_TCP_SOCK, PTR_TO_XDP_SOCK)


def is_map_ptr(t: int) -> bool:
    return base(t) in (CONST_PTR_TO_MAP, PTR_TO_MAP_KEY, PTR_TO_MAP_VALUE)


def type_not_null(t: int) -> bool:
    """kernel: reg_not_null() minus the trusted-BTF case: types that are never
    NULL, so comparing them with 0 has a known outcome."""
    if t & PTR_MAYBE_NULL:
        return False
    b = base(t)
    return (b in (PTR_TO_SOCKET, PTR_TO_TCP_SOCK, PTR_TO_XDP_SOCK, PTR_TO_MAP_VALUE,
                  PTR_TO_MAP_KEY, PTR_TO_SOCK_COMMON, CONST_PTR_TO_MAP)
            or (b == PTR_TO_MEM and not t & PTR_UNTRUSTED)
            or (b == PTR_TO_BTF_ID and bool(t & PTR_TRUSTED)))


def is_pointer(t: int) -> bool:
    return t not in (NOT_INIT, SCALAR)
