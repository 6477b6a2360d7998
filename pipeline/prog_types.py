"""libbpf's SEC() name -> program type table (``section_defs`` in libbpf.c), as data.

Matching follows libbpf's ``sec_def_matches``: a pattern ending in ``+`` matches
the bare name or ``name/extras``; a pattern ending in ``/`` matches any name
with that prefix; anything else must match exactly.  The first matching row
wins, so more specific rows come first.  A leading ``?`` (autoload off) is
stripped before matching, as libbpf does.  Type names are the kernel's
``BPF_PROG_TYPE_*`` in lower case, as ``bpftool prog show`` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SecMatch:
    sec_def: str        # the matching pattern, e.g. "kprobe+"
    type: str           # e.g. "kprobe"
    attach: str | None  # what follows "pattern/" for '+'/'/' patterns

    @property
    def sleepable(self) -> bool:
        """libbpf's SEC_SLEEPABLE: the ``*.s`` rows and ``syscall`` load with
        ``BPF_F_SLEEPABLE``."""
        return self.sec_def.rstrip("+/").endswith(".s") or self.sec_def == "syscall"


_ROWS = [
    ("socket", "socket_filter"),
    ("sk_reuseport/migrate", "sk_reuseport"), ("sk_reuseport", "sk_reuseport"),
    ("kprobe+", "kprobe"), ("uprobe+", "kprobe"), ("uprobe.s+", "kprobe"),
    ("kretprobe+", "kprobe"), ("uretprobe+", "kprobe"), ("uretprobe.s+", "kprobe"),
    ("kprobe.multi+", "kprobe"), ("kretprobe.multi+", "kprobe"), ("kprobe.session+", "kprobe"),
    ("uprobe.multi+", "kprobe"), ("uretprobe.multi+", "kprobe"), ("uprobe.multi.s+", "kprobe"),
    ("uretprobe.multi.s+", "kprobe"), ("uprobe.session+", "kprobe"), ("uprobe.session.s+", "kprobe"),
    ("ksyscall+", "kprobe"), ("kretsyscall+", "kprobe"), ("usdt+", "kprobe"), ("usdt.s+", "kprobe"),
    ("tc/ingress", "sched_cls"), ("tc/egress", "sched_cls"),
    ("tcx/ingress", "sched_cls"), ("tcx/egress", "sched_cls"), ("tc", "sched_cls"),
    ("classifier", "sched_cls"), ("action", "sched_act"),
    ("netkit/primary", "sched_cls"), ("netkit/peer", "sched_cls"),
    ("tracepoint+", "tracepoint"), ("tp+", "tracepoint"),
    ("raw_tracepoint+", "raw_tracepoint"), ("raw_tp+", "raw_tracepoint"),
    ("raw_tracepoint.w+", "raw_tracepoint_writable"), ("raw_tp.w+", "raw_tracepoint_writable"),
    ("tp_btf+", "tracing"), ("fentry+", "tracing"), ("fmod_ret+", "tracing"), ("fexit+", "tracing"),
    ("fentry.s+", "tracing"), ("fmod_ret.s+", "tracing"), ("fexit.s+", "tracing"),
    ("freplace+", "ext"),
    ("lsm+", "lsm"), ("lsm.s+", "lsm"), ("lsm_cgroup+", "lsm"),
    ("iter+", "tracing"), ("iter.s+", "tracing"),
    ("syscall", "syscall"),
    ("xdp.frags/devmap", "xdp"), ("xdp/devmap", "xdp"), ("xdp.frags/cpumap", "xdp"),
    ("xdp/cpumap", "xdp"), ("xdp.frags", "xdp"), ("xdp", "xdp"),
    ("perf_event", "perf_event"),
    ("lwt_in", "lwt_in"), ("lwt_out", "lwt_out"), ("lwt_xmit", "lwt_xmit"),
    ("lwt_seg6local", "lwt_seg6local"),
    ("sockops", "sock_ops"),
    ("sk_skb/stream_parser", "sk_skb"), ("sk_skb/stream_verdict", "sk_skb"),
    ("sk_skb/verdict", "sk_skb"), ("sk_skb", "sk_skb"),
    ("sk_msg", "sk_msg"), ("lirc_mode2", "lirc_mode2"), ("flow_dissector", "flow_dissector"),
    ("cgroup_skb/ingress", "cgroup_skb"), ("cgroup_skb/egress", "cgroup_skb"),
    ("cgroup/skb", "cgroup_skb"),
    ("cgroup/sock_create", "cgroup_sock"), ("cgroup/sock_release", "cgroup_sock"),
    ("cgroup/sock", "cgroup_sock"), ("cgroup/post_bind4", "cgroup_sock"),
    ("cgroup/post_bind6", "cgroup_sock"),
    *((f"cgroup/{hook}", "cgroup_sock_addr") for hook in (
        "bind4", "bind6", "connect4", "connect6", "connect_unix", "sendmsg4", "sendmsg6",
        "sendmsg_unix", "recvmsg4", "recvmsg6", "recvmsg_unix", "getpeername4", "getpeername6",
        "getpeername_unix", "getsockname4", "getsockname6", "getsockname_unix")),
    ("cgroup/sysctl", "cgroup_sysctl"),
    ("cgroup/getsockopt", "cgroup_sockopt"), ("cgroup/setsockopt", "cgroup_sockopt"),
    ("cgroup/dev", "cgroup_device"),
    ("struct_ops+", "struct_ops"), ("struct_ops.s+", "struct_ops"),
    ("sk_lookup", "sk_lookup"), ("netfilter", "netfilter"),
]


def match_section(sec_name: str) -> SecMatch | None:
    """The libbpf SEC() definition for ``sec_name``, or None if libbpf would not guess one."""
    name = sec_name[1:] if sec_name.startswith("?") else sec_name
    for pattern, ptype in _ROWS:
        if pattern.endswith("/"):
            if name.startswith(pattern):
                return SecMatch(pattern, ptype, name[len(pattern):] or None)
        elif pattern.endswith("+"):
            stem = pattern[:-1]
            if name == stem:
                return SecMatch(pattern, ptype, None)
            if name.startswith(stem + "/"):
                return SecMatch(pattern, ptype, name[len(stem) + 1:] or None)
        elif name == pattern:
            return SecMatch(pattern, ptype, None)
    return None
