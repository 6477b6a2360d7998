"""Facts of the kernel's user API (``include/uapi/linux/bpf.h``, errno) that several stages need.

One home per fact: helper names by id, map type names by id, the errno values BPF
programs and helpers return, and the field offsets of the program contexts
``struct __sk_buff`` and ``struct xdp_md``.  Leaf module: it imports nothing.
Program-type names from ``SEC()`` are the loader's (:mod:`pipeline.prog_types`).
"""

from __future__ import annotations

# --- helpers ------------------------------------------------------------------------------
# ``__BPF_FUNC_MAPPER`` (ids 0..211; the kernel froze it at 211, new functionality is kfuncs).
# ``HELPER_NAMES[id]`` is the bare uapi name, :func:`helper_name` the verifier-log spelling
# (``bpf_`` + the uapi name).  tests/isa/test_disasm_kernel.py checks every entry against
# the running kernel's own ``func_id_name()``.

HELPER_NAMES: tuple[str, ...] = (
    "unspec", "map_lookup_elem", "map_update_elem", "map_delete_elem", "probe_read",
    "ktime_get_ns", "trace_printk", "get_prandom_u32", "get_smp_processor_id", "skb_store_bytes",
    "l3_csum_replace", "l4_csum_replace", "tail_call", "clone_redirect", "get_current_pid_tgid",
    "get_current_uid_gid", "get_current_comm", "get_cgroup_classid", "skb_vlan_push",
    "skb_vlan_pop", "skb_get_tunnel_key", "skb_set_tunnel_key", "perf_event_read", "redirect",
    "get_route_realm", "perf_event_output", "skb_load_bytes", "get_stackid", "csum_diff",
    "skb_get_tunnel_opt", "skb_set_tunnel_opt", "skb_change_proto", "skb_change_type",
    "skb_under_cgroup", "get_hash_recalc", "get_current_task", "probe_write_user",
    "current_task_under_cgroup", "skb_change_tail", "skb_pull_data", "csum_update",
    "set_hash_invalid", "get_numa_node_id", "skb_change_head", "xdp_adjust_head",
    "probe_read_str", "get_socket_cookie", "get_socket_uid", "set_hash", "setsockopt",
    "skb_adjust_room", "redirect_map", "sk_redirect_map", "sock_map_update", "xdp_adjust_meta",
    "perf_event_read_value", "perf_prog_read_value", "getsockopt", "override_return",
    "sock_ops_cb_flags_set", "msg_redirect_map", "msg_apply_bytes", "msg_cork_bytes",
    "msg_pull_data", "bind", "xdp_adjust_tail", "skb_get_xfrm_state", "get_stack",
    "skb_load_bytes_relative", "fib_lookup", "sock_hash_update", "msg_redirect_hash",
    "sk_redirect_hash", "lwt_push_encap", "lwt_seg6_store_bytes", "lwt_seg6_adjust_srh",
    "lwt_seg6_action", "rc_repeat", "rc_keydown", "skb_cgroup_id", "get_current_cgroup_id",
    "get_local_storage", "sk_select_reuseport", "skb_ancestor_cgroup_id", "sk_lookup_tcp",
    "sk_lookup_udp", "sk_release", "map_push_elem", "map_pop_elem", "map_peek_elem",
    "msg_push_data", "msg_pop_data", "rc_pointer_rel", "spin_lock", "spin_unlock", "sk_fullsock",
    "tcp_sock", "skb_ecn_set_ce", "get_listener_sock", "skc_lookup_tcp", "tcp_check_syncookie",
    "sysctl_get_name", "sysctl_get_current_value", "sysctl_get_new_value", "sysctl_set_new_value",
    "strtol", "strtoul", "sk_storage_get", "sk_storage_delete", "send_signal",
    "tcp_gen_syncookie", "skb_output", "probe_read_user", "probe_read_kernel",
    "probe_read_user_str", "probe_read_kernel_str", "tcp_send_ack", "send_signal_thread",
    "jiffies64", "read_branch_records", "get_ns_current_pid_tgid", "xdp_output",
    "get_netns_cookie", "get_current_ancestor_cgroup_id", "sk_assign", "ktime_get_boot_ns",
    "seq_printf", "seq_write", "sk_cgroup_id", "sk_ancestor_cgroup_id", "ringbuf_output",
    "ringbuf_reserve", "ringbuf_submit", "ringbuf_discard", "ringbuf_query", "csum_level",
    "skc_to_tcp6_sock", "skc_to_tcp_sock", "skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock",
    "skc_to_udp6_sock", "get_task_stack", "load_hdr_opt", "store_hdr_opt", "reserve_hdr_opt",
    "inode_storage_get", "inode_storage_delete", "d_path", "copy_from_user", "snprintf_btf",
    "seq_printf_btf", "skb_cgroup_classid", "redirect_neigh", "per_cpu_ptr", "this_cpu_ptr",
    "redirect_peer", "task_storage_get", "task_storage_delete", "get_current_task_btf",
    "bprm_opts_set", "ktime_get_coarse_ns", "ima_inode_hash", "sock_from_file", "check_mtu",
    "for_each_map_elem", "snprintf", "sys_bpf", "btf_find_by_name_kind", "sys_close",
    "timer_init", "timer_set_callback", "timer_start", "timer_cancel", "get_func_ip",
    "get_attach_cookie", "task_pt_regs", "get_branch_snapshot", "trace_vprintk",
    "skc_to_unix_sock", "kallsyms_lookup_name", "find_vma", "loop", "strncmp", "get_func_arg",
    "get_func_ret", "get_func_arg_cnt", "get_retval", "set_retval", "xdp_get_buff_len",
    "xdp_load_bytes", "xdp_store_bytes", "copy_from_user_task", "skb_set_tstamp", "ima_file_hash",
    "kptr_xchg", "map_lookup_percpu_elem", "skc_to_mptcp_sock", "dynptr_from_mem",
    "ringbuf_reserve_dynptr", "ringbuf_submit_dynptr", "ringbuf_discard_dynptr", "dynptr_read",
    "dynptr_write", "dynptr_data", "tcp_raw_gen_syncookie_ipv4", "tcp_raw_gen_syncookie_ipv6",
    "tcp_raw_check_syncookie_ipv4", "tcp_raw_check_syncookie_ipv6", "ktime_get_tai_ns",
    "user_ringbuf_drain", "cgrp_storage_get", "cgrp_storage_delete",
)

MAX_HELPER_ID = len(HELPER_NAMES) - 1  # 211 (__BPF_FUNC_MAX_ID - 1)


def helper_name(helper_id: int) -> str | None:
    """``bpf_map_lookup_elem`` for 1; None outside 0..211."""
    if 0 <= helper_id <= MAX_HELPER_ID:
        return "bpf_" + HELPER_NAMES[helper_id]
    return None

HELPER_IDS: dict[str, int] = {name: i for i, name in enumerate(HELPER_NAMES)}
BPF_FUNC_tail_call = HELPER_IDS["tail_call"]

# --- maps ---------------------------------------------------------------------------------
# enum bpf_map_type, lower case without the BPF_MAP_TYPE_ prefix (bpftool's spelling).
MAP_TYPE_NAMES: dict[int, str] = {
    0: "unspec", 1: "hash", 2: "array", 3: "prog_array", 4: "perf_event_array",
    5: "percpu_hash", 6: "percpu_array", 7: "stack_trace", 8: "cgroup_array",
    9: "lru_hash", 10: "lru_percpu_hash", 11: "lpm_trie", 12: "array_of_maps",
    13: "hash_of_maps", 14: "devmap", 15: "sockmap", 16: "cpumap", 17: "xskmap",
    18: "sockhash", 19: "cgroup_storage", 20: "reuseport_sockarray",
    21: "percpu_cgroup_storage", 22: "queue", 23: "stack", 24: "sk_storage",
    25: "devmap_hash", 26: "struct_ops", 27: "ringbuf", 28: "inode_storage",
    29: "task_storage", 30: "bloom_filter", 31: "user_ringbuf", 32: "cgrp_storage",
    33: "arena",
}
MAP_TYPES: dict[str, int] = {name: i for i, name in MAP_TYPE_NAMES.items()}

# --- programs -----------------------------------------------------------------------------
# enum bpf_prog_type, lower case without the BPF_PROG_TYPE_ prefix (the loader's names)
PROG_TYPE_NAMES: tuple[str, ...] = (
    "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
    "perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
    "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
    "lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable",
    "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
)
PROG_TYPE_IDS: dict[str, int] = {name: i for i, name in enumerate(PROG_TYPE_NAMES)}

# --- errno --------------------------------------------------------------------------------
# Linux values (include/uapi/asm-generic/errno-base.h), independent of the host's ``errno``.
EPERM, ENOENT, E2BIG, EAGAIN, EFAULT, EEXIST, EACCES, EINVAL, ENOSPC = \
    1, 2, 7, 11, 14, 17, 13, 22, 28
ERRNO_NAMES: dict[int, str] = {
    EPERM: "EPERM", ENOENT: "ENOENT", E2BIG: "E2BIG", EAGAIN: "EAGAIN", EACCES: "EACCES",
    EFAULT: "EFAULT", EEXIST: "EEXIST", EINVAL: "EINVAL", ENOSPC: "ENOSPC",
}

# --- BPF_PROG_LOAD's prog_flags --------------------------------------------------------------
PROG_FLAGS: dict[str, int] = {
    "BPF_F_STRICT_ALIGNMENT": 1, "BPF_F_ANY_ALIGNMENT": 2, "BPF_F_TEST_RND_HI32": 4,
    "BPF_F_TEST_STATE_FREQ": 8, "BPF_F_SLEEPABLE": 16, "BPF_F_XDP_HAS_FRAGS": 32,
    "BPF_F_XDP_DEV_BOUND_ONLY": 64, "BPF_F_TEST_REG_INVARIANTS": 128}
BPF_F_TEST_STATE_FREQ = PROG_FLAGS["BPF_F_TEST_STATE_FREQ"]

# --- program contexts -----------------------------------------------------------------------
# struct __sk_buff field offsets
SKB_OFFSETS: dict[str, int] = {
    "len": 0, "pkt_type": 4, "mark": 8, "queue_mapping": 12, "protocol": 16,
    "vlan_present": 20, "vlan_tci": 24, "vlan_proto": 28, "priority": 32,
    "ingress_ifindex": 36, "ifindex": 40, "tc_index": 44, "cb": 48, "hash": 68,
    "tc_classid": 72, "data": 76, "data_end": 80, "napi_id": 84, "family": 88,
    "remote_ip4": 92, "local_ip4": 96, "remote_ip6": 100, "local_ip6": 116,
    "remote_port": 132, "local_port": 136, "data_meta": 140, "flow_keys": 144,
    "tstamp": 152, "wire_len": 160, "gso_segs": 164, "sk": 168, "gso_size": 176,
    "tstamp_type": 180, "hwtstamp": 184,
}
SKB_SIZE = 192                  # sizeof(struct __sk_buff)
# struct xdp_md field offsets
XDP_MD_OFFSETS: dict[str, int] = {"data": 0, "data_end": 4, "data_meta": 8, "ingress_ifindex": 12,
                                  "rx_queue_index": 16, "egress_ifindex": 20}
XDP_MD_SIZE = 24                # sizeof(struct xdp_md)
# struct sk_msg_md (sk_msg programs); data, data_end and sk are 8-byte __bpf_md_ptr slots
SK_MSG_MD_OFFSETS: dict[str, int] = {
    "data": 0, "data_end": 8, "family": 16, "remote_ip4": 20, "local_ip4": 24,
    "remote_ip6": 28, "local_ip6": 44, "remote_port": 60, "local_port": 64, "size": 68,
    "sk": 72,
}
SK_MSG_MD_SIZE = 80
# struct bpf_sk_lookup (sk_lookup programs); sk shares its 8 bytes with cookie
SK_LOOKUP_OFFSETS: dict[str, int] = {
    "sk": 0, "family": 8, "protocol": 12, "remote_ip4": 16, "remote_ip6": 20,
    "remote_port": 36, "local_ip4": 40, "local_ip6": 44, "local_port": 60,
    "ingress_ifindex": 64,
}
SK_LOOKUP_SIZE = 72
# struct bpf_sock_ops (sock_ops programs); args[4] / reply / replylong[4] share offset 4
SOCK_OPS_OFFSETS: dict[str, int] = {
    "op": 0, "reply": 4, "family": 20, "remote_ip4": 24, "local_ip4": 28,
    "remote_ip6": 32, "local_ip6": 48, "remote_port": 64, "local_port": 68,
    "is_fullsock": 72, "snd_cwnd": 76, "srtt_us": 80, "bpf_sock_ops_cb_flags": 84,
    "state": 88, "sk_txhash": 164, "bytes_received": 168, "bytes_acked": 176, "sk": 184,
    "skb_data": 192, "skb_data_end": 200, "skb_len": 208, "skb_tcp_flags": 212,
    "skb_hwtstamp": 216,
}
SOCK_OPS_SIZE = 224
# struct bpf_sock_addr (cgroup_sock_addr programs)
SOCK_ADDR_OFFSETS: dict[str, int] = {
    "user_family": 0, "user_ip4": 4, "user_ip6": 8, "user_port": 24, "family": 28, "type": 32,
    "protocol": 36, "msg_src_ip4": 40, "msg_src_ip6": 44, "sk": 64,
}
SOCK_ADDR_SIZE = 72
BPF_SOCK_SIZE = 80              # sizeof(struct bpf_sock) (cgroup_sock programs' context)
BPF_SYSCTL_SIZE = 8             # struct bpf_sysctl {u32 write; u32 file_pos;}
CGROUP_DEV_CTX_SIZE = 12        # struct bpf_cgroup_dev_ctx {u32 access_type, major, minor;}
# struct bpf_sockopt (cgroup_sockopt programs); sk, optval and optval_end are __bpf_md_ptr
SOCKOPT_OFFSETS: dict[str, int] = {
    "sk": 0, "optval": 8, "optval_end": 16, "level": 24, "optname": 28, "optlen": 32,
    "retval": 36,
}
SOCKOPT_SIZE = 40
FLOW_KEYS_SIZE = 56             # sizeof(struct bpf_flow_keys) (flow_dissector's flow_keys)
# struct sk_reuseport_md (sk_reuseport programs); data, data_end, sk, migrating_sk are
# 8-byte __bpf_md_ptr slots
SK_REUSEPORT_MD_OFFSETS: dict[str, int] = {
    "data": 0, "data_end": 8, "len": 16, "eth_protocol": 20, "ip_protocol": 24,
    "bind_inany": 28, "hash": 32, "sk": 40, "migrating_sk": 48,
}
SK_REUSEPORT_MD_SIZE = 56
