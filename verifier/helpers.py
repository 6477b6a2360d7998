"""Helper function prototypes (kernel: struct bpf_func_proto).  Which program types may
call them (the ``*_func_proto`` switches, ``available`` and ``PROG_HELPERS``) is
:mod:`verifier.helpers_avail`.

An argument type is a base kind plus flags, mirroring ``enum bpf_arg_type``:
``MEM | RDONLY`` is "pointer to memory the helper reads", ``MEM | UNINIT |
WRITE`` is "memory the helper fills" (``ARG_PTR_TO_UNINIT_MEM``), a ``MEM``
argument is followed by its ``CONST_SIZE`` / ``CONST_SIZE_OR_ZERO``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from isa.helper_names import helper_name

# which program types may call which helper
from verifier.helpers_avail import available

# argument base kinds
ARG_DONTCARE = 0
ARG_ANYTHING = 1
ARG_CONST_MAP_PTR = 2
ARG_PTR_TO_MAP_KEY = 3
ARG_PTR_TO_MAP_VALUE = 4
ARG_PTR_TO_MEM = 5
ARG_CONST_SIZE = 6
ARG_CONST_SIZE_OR_ZERO = 7
ARG_PTR_TO_CTX = 8
ARG_PTR_TO_SOCK_COMMON = 9
ARG_PTR_TO_BTF_ID_SOCK_COMMON = 10
ARG_PTR_TO_SOCKET = 11
ARG_PTR_TO_FUNC = 12
ARG_PTR_TO_STACK = 13
ARG_PTR_TO_TIMER = 14
ARG_PTR_TO_RINGBUF_MEM = 15
ARG_CONST_ALLOC_SIZE_OR_ZERO = 16
ARG_PTR_TO_LONG = 17
ARG_PTR_TO_INT = 18
ARG_PTR_TO_CONST_STR = 19
ARG_PTR_TO_BTF_ID = 20
ARG_PTR_TO_SPIN_LOCK = 21
ARG_PTR_TO_DYNPTR = 22
ARG_BASE_MASK = 0xFF

# argument flags (shared bit values with regtypes where the kernel shares them)
MAYBE_NULL = 1 << 8
RDONLY = 1 << 9
RINGBUF = 1 << 10
UNINIT = 1 << 17
WRITE = 1 << 18
RELEASE = 1 << 19
FIXED_SIZE = 1 << 20
DYNPTR_LOCAL = 1 << 21               # the dynptr type an ARG_PTR_TO_DYNPTR names
DYNPTR_RINGBUF = 1 << 22

# return kinds
RET_INTEGER = 0
RET_VOID = 1
RET_PTR_TO_MAP_VALUE = 2
RET_PTR_TO_SOCKET = 3
RET_PTR_TO_TCP_SOCK = 4
RET_PTR_TO_SOCK_COMMON = 5
RET_PTR_TO_MEM = 6
RET_PTR_TO_BTF_ID = 7

UNINIT_MEM = ARG_PTR_TO_MEM | UNINIT | WRITE
RO_MEM = ARG_PTR_TO_MEM | RDONLY


@dataclass(frozen=True)
class Proto:
    name: str
    ret: int
    ret_flags: int = 0                   # MAYBE_NULL, RINGBUF
    args: tuple = ()
    gpl_only: bool = False
    pkt_access: bool = False
    might_sleep: bool = False
    changes_pkt_data: bool = False
    arg_sizes: tuple = ()
    ret_btf: str = ""                    # RET_PTR_TO_BTF_ID: the struct returned
    arg_btf: str = ""                    # ARG_PTR_TO_BTF_ID: the struct expected
    acquire: bool = False
    callback: str | None = None          # "loop", "timer", "for_each"


def _p(name, ret, args=(), **kw):
    return Proto(name, ret, args=tuple(args), **kw)


HELPERS: dict[int, Proto] = {
    1: _p("bpf_map_lookup_elem", RET_PTR_TO_MAP_VALUE, (ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY),
          ret_flags=MAYBE_NULL, pkt_access=True),
    2: _p("bpf_map_update_elem", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY,
                                               ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING),
          pkt_access=True),
    3: _p("bpf_map_delete_elem", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY),
          pkt_access=True),
    4: _p("bpf_probe_read", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING),
          gpl_only=True),
    5: _p("bpf_ktime_get_ns", RET_INTEGER),
    6: _p("bpf_trace_printk", RET_INTEGER, (RO_MEM, ARG_CONST_SIZE), gpl_only=True),
    7: _p("bpf_get_prandom_u32", RET_INTEGER),
    8: _p("bpf_get_smp_processor_id", RET_INTEGER),
    9: _p("bpf_skb_store_bytes", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, RO_MEM,
                                               ARG_CONST_SIZE, ARG_ANYTHING),
          changes_pkt_data=True),
    10: _p("bpf_l3_csum_replace", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING,
                                                ARG_ANYTHING, ARG_ANYTHING),
           changes_pkt_data=True),
    11: _p("bpf_l4_csum_replace", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING,
                                                ARG_ANYTHING, ARG_ANYTHING),
           changes_pkt_data=True),
    12: _p("bpf_tail_call", RET_VOID, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    13: _p("bpf_clone_redirect", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING),
           changes_pkt_data=True),
    14: _p("bpf_get_current_pid_tgid", RET_INTEGER),
    15: _p("bpf_get_current_uid_gid", RET_INTEGER),
    16: _p("bpf_get_current_comm", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE)),
    17: _p("bpf_get_cgroup_classid", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    18: _p("bpf_skb_vlan_push", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING),
           changes_pkt_data=True),
    19: _p("bpf_skb_vlan_pop", RET_INTEGER, (ARG_PTR_TO_CTX,), changes_pkt_data=True),
    23: _p("bpf_redirect", RET_INTEGER, (ARG_ANYTHING, ARG_ANYTHING)),
    24: _p("bpf_get_route_realm", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    25: _p("bpf_perf_event_output", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR,
                                                  ARG_ANYTHING, RO_MEM, ARG_CONST_SIZE_OR_ZERO)),
    26: _p("bpf_skb_load_bytes", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, UNINIT_MEM,
                                               ARG_CONST_SIZE)),
    28: _p("bpf_csum_diff", RET_INTEGER, (RO_MEM | MAYBE_NULL, ARG_CONST_SIZE_OR_ZERO,
                                          RO_MEM | MAYBE_NULL, ARG_CONST_SIZE_OR_ZERO,
                                          ARG_ANYTHING), pkt_access=True),
    31: _p("bpf_skb_change_proto", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING),
           changes_pkt_data=True),
    32: _p("bpf_skb_change_type", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    34: _p("bpf_get_hash_recalc", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    35: _p("bpf_get_current_task", RET_INTEGER),
    38: _p("bpf_skb_change_tail", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING),
           changes_pkt_data=True),
    39: _p("bpf_skb_pull_data", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING),
           changes_pkt_data=True),
    40: _p("bpf_csum_update", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    41: _p("bpf_set_hash_invalid", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    42: _p("bpf_get_numa_node_id", RET_INTEGER),
    43: _p("bpf_skb_change_head", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING),
           changes_pkt_data=True),
    44: _p("bpf_xdp_adjust_head", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING),
           changes_pkt_data=True),
    46: _p("bpf_get_socket_cookie", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    47: _p("bpf_get_socket_uid", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    48: _p("bpf_set_hash", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    50: _p("bpf_skb_adjust_room", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING,
                                                ARG_ANYTHING), changes_pkt_data=True),
    51: _p("bpf_redirect_map", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING)),
    54: _p("bpf_xdp_adjust_meta", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING),
           changes_pkt_data=True),
    65: _p("bpf_xdp_adjust_tail", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING),
           changes_pkt_data=True),
    68: _p("bpf_skb_load_bytes_relative", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING,
                                                        UNINIT_MEM, ARG_CONST_SIZE,
                                                        ARG_ANYTHING)),
    80: _p("bpf_get_current_cgroup_id", RET_INTEGER),
    84: _p("bpf_sk_lookup_tcp", RET_PTR_TO_SOCKET, (ARG_PTR_TO_CTX, RO_MEM, ARG_CONST_SIZE,
                                                    ARG_ANYTHING, ARG_ANYTHING),
           ret_flags=MAYBE_NULL, acquire=True, changes_pkt_data=False, pkt_access=True),
    85: _p("bpf_sk_lookup_udp", RET_PTR_TO_SOCKET, (ARG_PTR_TO_CTX, RO_MEM, ARG_CONST_SIZE,
                                                    ARG_ANYTHING, ARG_ANYTHING),
           ret_flags=MAYBE_NULL, acquire=True, pkt_access=True),
    86: _p("bpf_sk_release", RET_INTEGER, (ARG_PTR_TO_BTF_ID_SOCK_COMMON | RELEASE,)),
    87: _p("bpf_map_push_elem", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE,
                                              ARG_ANYTHING), pkt_access=True),
    88: _p("bpf_map_pop_elem", RET_INTEGER, (ARG_CONST_MAP_PTR,
                                             ARG_PTR_TO_MAP_VALUE | UNINIT | WRITE)),
    89: _p("bpf_map_peek_elem", RET_INTEGER, (ARG_CONST_MAP_PTR,
                                              ARG_PTR_TO_MAP_VALUE | UNINIT | WRITE)),
    93: _p("bpf_spin_lock", RET_VOID, (ARG_PTR_TO_SPIN_LOCK,)),
    94: _p("bpf_spin_unlock", RET_VOID, (ARG_PTR_TO_SPIN_LOCK,)),
    95: _p("bpf_sk_fullsock", RET_PTR_TO_SOCKET, (ARG_PTR_TO_SOCK_COMMON,), ret_flags=MAYBE_NULL),
    96: _p("bpf_tcp_sock", RET_PTR_TO_TCP_SOCK, (ARG_PTR_TO_SOCK_COMMON,), ret_flags=MAYBE_NULL),
    97: _p("bpf_skb_ecn_set_ce", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    98: _p("bpf_get_listener_sock", RET_PTR_TO_SOCKET, (ARG_PTR_TO_SOCK_COMMON,),
           ret_flags=MAYBE_NULL),
    27: _p("bpf_get_stackid", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    67: _p("bpf_get_stack", RET_INTEGER, (ARG_PTR_TO_CTX, UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO,
                                          ARG_ANYTHING)),
    22: _p("bpf_perf_event_read", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    109: _p("bpf_send_signal", RET_INTEGER, (ARG_ANYTHING,)),
    99: _p("bpf_skc_lookup_tcp", RET_PTR_TO_SOCK_COMMON, (ARG_PTR_TO_CTX, RO_MEM,
                                                          ARG_CONST_SIZE, ARG_ANYTHING,
                                                          ARG_ANYTHING),
           ret_flags=MAYBE_NULL, acquire=True, pkt_access=True),
    112: _p("bpf_probe_read_user", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO,
                                                 ARG_ANYTHING), gpl_only=True),
    113: _p("bpf_probe_read_kernel", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO,
                                                   ARG_ANYTHING), gpl_only=True),
    114: _p("bpf_probe_read_user_str", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO,
                                                     ARG_ANYTHING), gpl_only=True),
    115: _p("bpf_probe_read_kernel_str", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO,
                                                       ARG_ANYTHING), gpl_only=True),
    118: _p("bpf_jiffies64", RET_INTEGER),
    125: _p("bpf_ktime_get_boot_ns", RET_INTEGER),
    130: _p("bpf_ringbuf_output", RET_INTEGER, (ARG_CONST_MAP_PTR, RO_MEM,
                                                ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING)),
    131: _p("bpf_ringbuf_reserve", RET_PTR_TO_MEM, (ARG_CONST_MAP_PTR,
                                                   ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_ANYTHING),
           ret_flags=MAYBE_NULL | RINGBUF, acquire=True),
    132: _p("bpf_ringbuf_submit", RET_VOID, (ARG_PTR_TO_RINGBUF_MEM | RELEASE, ARG_ANYTHING)),
    133: _p("bpf_ringbuf_discard", RET_VOID, (ARG_PTR_TO_RINGBUF_MEM | RELEASE, ARG_ANYTHING)),
    134: _p("bpf_ringbuf_query", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    160: _p("bpf_ktime_get_coarse_ns", RET_INTEGER),
    164: _p("bpf_for_each_map_elem", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_PTR_TO_FUNC,
                                                   ARG_PTR_TO_STACK | MAYBE_NULL, ARG_ANYTHING),
           callback="for_each"),
    169: _p("bpf_timer_init", RET_INTEGER, (ARG_PTR_TO_TIMER, ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    170: _p("bpf_timer_set_callback", RET_INTEGER, (ARG_PTR_TO_TIMER, ARG_PTR_TO_FUNC),
           callback="timer"),
    171: _p("bpf_timer_start", RET_INTEGER, (ARG_PTR_TO_TIMER, ARG_ANYTHING, ARG_ANYTHING)),
    172: _p("bpf_timer_cancel", RET_INTEGER, (ARG_PTR_TO_TIMER,)),
    181: _p("bpf_loop", RET_INTEGER, (ARG_ANYTHING, ARG_PTR_TO_FUNC,
                                      ARG_PTR_TO_STACK | MAYBE_NULL, ARG_ANYTHING),
           callback="loop"),
    182: _p("bpf_strncmp", RET_INTEGER, (RO_MEM, ARG_CONST_SIZE, ARG_PTR_TO_CONST_STR)),
    208: _p("bpf_ktime_get_tai_ns", RET_INTEGER),
    20: _p("bpf_skb_get_tunnel_key", RET_INTEGER, (ARG_PTR_TO_CTX, UNINIT_MEM, ARG_CONST_SIZE,
                                                   ARG_ANYTHING)),
    21: _p("bpf_skb_set_tunnel_key", RET_INTEGER, (ARG_PTR_TO_CTX, RO_MEM, ARG_CONST_SIZE,
                                                   ARG_ANYTHING)),
    29: _p("bpf_skb_get_tunnel_opt", RET_INTEGER, (ARG_PTR_TO_CTX, UNINIT_MEM, ARG_CONST_SIZE)),
    30: _p("bpf_skb_set_tunnel_opt", RET_INTEGER, (ARG_PTR_TO_CTX, RO_MEM, ARG_CONST_SIZE)),
    33: _p("bpf_skb_under_cgroup", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    37: _p("bpf_current_task_under_cgroup", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    45: _p("bpf_probe_read_str", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING),
          gpl_only=True),
    55: _p("bpf_perf_event_read_value", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_ANYTHING,
                                                      UNINIT_MEM, ARG_CONST_SIZE)),
    56: _p("bpf_perf_prog_read_value", RET_INTEGER, (ARG_PTR_TO_CTX, UNINIT_MEM, ARG_CONST_SIZE)),
    66: _p("bpf_skb_get_xfrm_state", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, UNINIT_MEM,
                                                   ARG_CONST_SIZE, ARG_ANYTHING)),
    69: _p("bpf_fib_lookup", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE,
                                           ARG_ANYTHING)),
    79: _p("bpf_skb_cgroup_id", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    83: _p("bpf_skb_ancestor_cgroup_id", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    100: _p("bpf_tcp_check_syncookie", RET_INTEGER, (ARG_PTR_TO_BTF_ID_SOCK_COMMON, RO_MEM,
                                                     ARG_CONST_SIZE, RO_MEM, ARG_CONST_SIZE),
            pkt_access=True),
    105: _p("bpf_strtol", RET_INTEGER, (RO_MEM, ARG_CONST_SIZE, ARG_ANYTHING,
                                        ARG_PTR_TO_LONG | WRITE | UNINIT)),
    106: _p("bpf_strtoul", RET_INTEGER, (RO_MEM, ARG_CONST_SIZE, ARG_ANYTHING,
                                         ARG_PTR_TO_LONG | WRITE | UNINIT)),
    110: _p("bpf_tcp_gen_syncookie", RET_INTEGER, (ARG_PTR_TO_BTF_ID_SOCK_COMMON, RO_MEM,
                                                   ARG_CONST_SIZE, RO_MEM, ARG_CONST_SIZE),
           pkt_access=True),
    117: _p("bpf_send_signal_thread", RET_INTEGER, (ARG_ANYTHING,)),
    120: _p("bpf_get_ns_current_pid_tgid", RET_INTEGER, (ARG_ANYTHING, ARG_ANYTHING, UNINIT_MEM,
                                                         ARG_CONST_SIZE)),
    123: _p("bpf_get_current_ancestor_cgroup_id", RET_INTEGER, (ARG_ANYTHING,)),
    128: _p("bpf_sk_cgroup_id", RET_INTEGER, (ARG_PTR_TO_BTF_ID_SOCK_COMMON,)),
    129: _p("bpf_sk_ancestor_cgroup_id", RET_INTEGER, (ARG_PTR_TO_BTF_ID_SOCK_COMMON,
                                                      ARG_ANYTHING)),
    135: _p("bpf_csum_level", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    152: _p("bpf_redirect_neigh", RET_INTEGER, (ARG_ANYTHING, RO_MEM | MAYBE_NULL,
                                               ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING)),
    155: _p("bpf_redirect_peer", RET_INTEGER, (ARG_ANYTHING, ARG_ANYTHING)),
    151: _p("bpf_skb_cgroup_classid", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    163: _p("bpf_check_mtu", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING,
                                          ARG_PTR_TO_INT | WRITE, ARG_ANYTHING, ARG_ANYTHING)),
    188: _p("bpf_xdp_get_buff_len", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    189: _p("bpf_xdp_load_bytes", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, UNINIT_MEM,
                                               ARG_CONST_SIZE)),
    190: _p("bpf_xdp_store_bytes", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, RO_MEM,
                                                ARG_CONST_SIZE), changes_pkt_data=True),
    192: _p("bpf_skb_set_tstamp", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING)),
    195: _p("bpf_map_lookup_percpu_elem", RET_PTR_TO_MAP_VALUE, (ARG_CONST_MAP_PTR,
                                                                 ARG_PTR_TO_MAP_KEY, ARG_ANYTHING),
           ret_flags=MAYBE_NULL, pkt_access=True),
    173: _p("bpf_get_func_ip", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    174: _p("bpf_get_attach_cookie", RET_INTEGER, (ARG_PTR_TO_CTX,)),
    177: _p("bpf_trace_vprintk", RET_INTEGER, (RO_MEM, ARG_CONST_SIZE, RO_MEM | MAYBE_NULL,
                                              ARG_CONST_SIZE_OR_ZERO), gpl_only=True),
    148: _p("bpf_copy_from_user", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING),
           might_sleep=True),
    # sockmap / sockhash redirection and sk_msg data (net/core/filter.c, net/core/sock_map.c)
    52: _p("bpf_sk_redirect_map", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING,
                                                ARG_ANYTHING)),
    53: _p("bpf_sock_map_update", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR,
                                                ARG_PTR_TO_MAP_KEY, ARG_ANYTHING),
           pkt_access=True),
    59: _p("bpf_sock_ops_cb_flags_set", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    60: _p("bpf_msg_redirect_map", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING,
                                                 ARG_ANYTHING)),
    61: _p("bpf_msg_apply_bytes", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    62: _p("bpf_msg_cork_bytes", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING)),
    63: _p("bpf_msg_pull_data", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING,
                                              ARG_ANYTHING), changes_pkt_data=True),
    70: _p("bpf_sock_hash_update", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR,
                                                 ARG_PTR_TO_MAP_KEY, ARG_ANYTHING),
           pkt_access=True),
    71: _p("bpf_msg_redirect_hash", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR,
                                                  ARG_PTR_TO_MAP_KEY, ARG_ANYTHING)),
    72: _p("bpf_sk_redirect_hash", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR,
                                                 ARG_PTR_TO_MAP_KEY, ARG_ANYTHING)),
    82: _p("bpf_sk_select_reuseport", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR,
                                                    ARG_PTR_TO_MAP_KEY, ARG_ANYTHING)),
    90: _p("bpf_msg_push_data", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING,
                                              ARG_ANYTHING), changes_pkt_data=True),
    91: _p("bpf_msg_pop_data", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING,
                                             ARG_ANYTHING), changes_pkt_data=True),
    124: _p("bpf_sk_assign", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_PTR_TO_BTF_ID_SOCK_COMMON,
                                           ARG_ANYTHING)),
    # cgroup hooks (kernel/bpf/cgroup.c, net/core/filter.c); setsockopt/getsockopt as
    # sock_addr and sock_ops programs call them (on their context)
    49: _p("bpf_setsockopt", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, RO_MEM,
                                           ARG_CONST_SIZE)),
    57: _p("bpf_getsockopt", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING,
                                           UNINIT_MEM, ARG_CONST_SIZE)),
    64: _p("bpf_bind", RET_INTEGER, (ARG_PTR_TO_CTX, RO_MEM, ARG_CONST_SIZE)),
    81: _p("bpf_get_local_storage", RET_PTR_TO_MAP_VALUE, (ARG_CONST_MAP_PTR, ARG_ANYTHING)),
    101: _p("bpf_sysctl_get_name", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_PTR_TO_MEM | WRITE,
                                                 ARG_CONST_SIZE, ARG_ANYTHING)),
    102: _p("bpf_sysctl_get_current_value", RET_INTEGER, (ARG_PTR_TO_CTX, UNINIT_MEM,
                                                          ARG_CONST_SIZE)),
    103: _p("bpf_sysctl_get_new_value", RET_INTEGER, (ARG_PTR_TO_CTX, UNINIT_MEM,
                                                      ARG_CONST_SIZE)),
    104: _p("bpf_sysctl_set_new_value", RET_INTEGER, (ARG_PTR_TO_CTX, RO_MEM, ARG_CONST_SIZE)),
    # socket local storage (net/core/bpf_sk_storage.c)
    107: _p("bpf_sk_storage_get", RET_PTR_TO_MAP_VALUE, (ARG_CONST_MAP_PTR,
                                                         ARG_PTR_TO_BTF_ID_SOCK_COMMON,
                                                         ARG_PTR_TO_MAP_VALUE | MAYBE_NULL,
                                                         ARG_ANYTHING), ret_flags=MAYBE_NULL),
    108: _p("bpf_sk_storage_delete", RET_INTEGER, (ARG_CONST_MAP_PTR,
                                                   ARG_PTR_TO_BTF_ID_SOCK_COMMON)),
    # TCP header options in sock_ops programs (net/core/filter.c)
    142: _p("bpf_load_hdr_opt", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_PTR_TO_MEM | WRITE,
                                              ARG_CONST_SIZE, ARG_ANYTHING)),
    143: _p("bpf_store_hdr_opt", RET_INTEGER, (ARG_PTR_TO_CTX, RO_MEM, ARG_CONST_SIZE,
                                               ARG_ANYTHING), changes_pkt_data=True),
    144: _p("bpf_reserve_hdr_opt", RET_INTEGER, (ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING)),
    # branch records (kernel/trace/bpf_trace.c)
    119: _p("bpf_read_branch_records", RET_INTEGER, (ARG_PTR_TO_CTX,
                                                     ARG_PTR_TO_MEM | MAYBE_NULL | WRITE,
                                                     ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING),
            gpl_only=True),
    176: _p("bpf_get_branch_snapshot", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO),
            gpl_only=True),
    # kernel/bpf/helpers.c; the format is checked at the call (verifier.bprintf)
    165: _p("bpf_snprintf", RET_INTEGER, (ARG_PTR_TO_MEM | MAYBE_NULL | WRITE,
                                          ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_CONST_STR,
                                          RO_MEM | MAYBE_NULL, ARG_CONST_SIZE_OR_ZERO),
            gpl_only=True),
    # kernel/bpf/syscall.c and btf.c: syscall programs only (syscall_prog_func_proto)
    166: _p("bpf_sys_bpf", RET_INTEGER, (ARG_ANYTHING, RO_MEM, ARG_CONST_SIZE), might_sleep=True),
    167: _p("bpf_btf_find_by_name_kind", RET_INTEGER, (RO_MEM, ARG_CONST_SIZE, ARG_ANYTHING,
                                                      ARG_ANYTHING), might_sleep=True),
    168: _p("bpf_sys_close", RET_INTEGER, (ARG_ANYTHING,), might_sleep=True),
    186: _p("bpf_get_retval", RET_INTEGER),
    187: _p("bpf_set_retval", RET_INTEGER, (ARG_ANYTHING,)),
}

# dynptr helpers (kernel/bpf/helpers.c, ringbuf.c); the dynptr argument is verifier.dynptr's
_DYNPTR = ARG_PTR_TO_DYNPTR
HELPERS.update({
    197: _p("bpf_dynptr_from_mem", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING,
                                                 _DYNPTR | DYNPTR_LOCAL | UNINIT | WRITE)),
    198: _p("bpf_ringbuf_reserve_dynptr", RET_INTEGER, (ARG_CONST_MAP_PTR, ARG_ANYTHING,
                                                        ARG_ANYTHING,
                                                        _DYNPTR | DYNPTR_RINGBUF | UNINIT | WRITE)),
    199: _p("bpf_ringbuf_submit_dynptr", RET_VOID, (_DYNPTR | DYNPTR_RINGBUF | RELEASE,
                                                    ARG_ANYTHING)),
    200: _p("bpf_ringbuf_discard_dynptr", RET_VOID, (_DYNPTR | DYNPTR_RINGBUF | RELEASE,
                                                     ARG_ANYTHING)),
    201: _p("bpf_dynptr_read", RET_INTEGER, (UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, _DYNPTR | RDONLY,
                                             ARG_ANYTHING, ARG_ANYTHING)),
    202: _p("bpf_dynptr_write", RET_INTEGER, (_DYNPTR | RDONLY, ARG_ANYTHING, RO_MEM,
                                              ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING)),
    203: _p("bpf_dynptr_data", RET_PTR_TO_MEM, (_DYNPTR | RDONLY, ARG_ANYTHING,
                                               ARG_CONST_ALLOC_SIZE_OR_ZERO),
           ret_flags=MAYBE_NULL),
})

# Helpers whose prototype depends on the program type (the type's *_func_proto returns a
# different struct bpf_func_proto for the same id).
_NETNS_COOKIE_CTX = _p("bpf_get_netns_cookie", RET_INTEGER, (ARG_PTR_TO_CTX | MAYBE_NULL,))
TYPE_HELPERS: dict[tuple[str, int], Proto] = {
    # kernel: bpf_sk_lookup_assign_proto (a socket or NULL; tc's takes a sock_common)
    ("sk_lookup", 124): _p("bpf_sk_assign", RET_INTEGER, (ARG_PTR_TO_CTX,
                                                         ARG_PTR_TO_SOCKET | MAYBE_NULL,
                                                         ARG_ANYTHING)),
    # kernel: bpf_get_netns_cookie_{sock,sock_addr,sock_ops,sk_msg}_proto
    ("cgroup_sock", 122): _NETNS_COOKIE_CTX,
    ("cgroup_sock_addr", 122): _NETNS_COOKIE_CTX,
    ("sock_ops", 122): _NETNS_COOKIE_CTX,
    ("sk_msg", 122): _NETNS_COOKIE_CTX,
    ("cgroup_sockopt", 122): _NETNS_COOKIE_CTX,
    **{(t, 122): _NETNS_COOKIE_CTX for t in ("socket_filter", "sched_cls", "sched_act",
                                             "cgroup_skb")},
    # kernel: bpf_get_socket_ptr_cookie_proto (a socket, or NULL)
    ("sk_reuseport", 46): _p("bpf_get_socket_cookie", RET_INTEGER,
                             (ARG_PTR_TO_BTF_ID_SOCK_COMMON | MAYBE_NULL,)),
    # kernel: bpf_sk_storage_get_cg_sock_proto (the context is the socket)
    ("cgroup_sock", 107): _p("bpf_sk_storage_get", RET_PTR_TO_MAP_VALUE,
                             (ARG_CONST_MAP_PTR, ARG_PTR_TO_CTX,
                              ARG_PTR_TO_MAP_VALUE | MAYBE_NULL, ARG_ANYTHING),
                             ret_flags=MAYBE_NULL),
    # kernel: bpf_sk_setsockopt_proto / bpf_sk_getsockopt_proto (on ctx->sk)
    ("cgroup_sockopt", 49): _p("bpf_setsockopt", RET_INTEGER,
                               (ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING, ARG_ANYTHING,
                                RO_MEM, ARG_CONST_SIZE)),
    ("cgroup_sockopt", 57): _p("bpf_getsockopt", RET_INTEGER,
                               (ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING, ARG_ANYTHING,
                                UNINIT_MEM, ARG_CONST_SIZE)),
}

# one past the last helper id this kernel knows (enum bpf_func_id)
BPF_FUNC_MAX_ID = 212

def get_proto(prog_type: str, func_id: int, attach: str | None = None) -> Proto | None:
    """The prototype, or None when the type may not call it (or we lack a model)."""
    if not available(prog_type, func_id, attach):
        return None
    return proto(prog_type, func_id)


def proto(prog_type: str, func_id: int) -> Proto | None:
    """The prototype of helper ``func_id`` as program type ``prog_type`` sees it."""
    return TYPE_HELPERS.get((prog_type, func_id)) or HELPERS.get(func_id)


def func_name(func_id: int) -> str:
    """The helper's name as the kernel's messages print it (``func_id_name``)."""
    return helper_name(func_id) or "unknown"


def helper_changes_pkt_data(func_id: int) -> bool:
    p = HELPERS.get(func_id)
    return bool(p and p.changes_pkt_data)


class CallMeta:
    """kernel: struct bpf_call_arg_meta (one per helper call: a plain slotted object)."""

    __slots__ = ("func_id", "map", "raw_mode", "pkt_access", "release_regno", "regno",
                 "access_size", "mem_size", "msize_max_value", "ref_obj_id", "subprogno",
                 "const_map_key", "insn", "dynptr_regno")

    def __init__(self, func_id: int, pkt_access: bool, insn) -> None:
        self.func_id = func_id
        self.map = None
        self.raw_mode = False
        self.pkt_access = pkt_access
        self.release_regno = 0
        self.regno = 0
        self.access_size = 0
        self.mem_size = 0
        self.msize_max_value = 0
        self.ref_obj_id = 0
        self.subprogno = 0
        self.const_map_key = -1
        self.insn = insn                 # the call instruction
        self.dynptr_regno = 0            # the ARG_PTR_TO_DYNPTR argument's register

# helpers of kernel objects and the tp_btf/iter tables (they use the names above)
from verifier import helpers_kobj as KO  # noqa: E402
_KOBJ, _KOBJ_TYPED = KO.tables(sys.modules[__name__])
HELPERS.update(_KOBJ)
TYPE_HELPERS.update(_KOBJ_TYPED)
