"""Packet helpers of the mock kernel beyond loads and stores: checksum state, MTU checks,
redirects, XDP buffer access, header-relative loads.  Kernel counterparts: the ``bpf_skb_*``,
``bpf_xdp_*``, ``bpf_csum_*``, ``bpf_check_mtu`` and ``bpf_redirect`` helpers of
net/core/filter.c, on the test run's skb/xdp_buff (net/bpf/test_run.c).

The test run's network namespace, as the mock kernel models it, has one device: ``lo``
(ifindex 1, MTU 65536, a 14-byte hardware header), which the test run's skb and xdp_buff
belong to; any other ifindex does not exist (``-ENODEV``).  Its skb starts with
``ip_summed == CHECKSUM_NONE`` (as ``BPF_PROG_TEST_RUN`` builds it) and never holds a socket.
"""

from __future__ import annotations

from isa.ints import U32, U64, s32 as _s32
from isa.uapi import EACCES, EFAULT, EINVAL

from .layout import ETH_HLEN, XDP_DATA, XDP_DATA_END

ENODEV = 19
ENOTSUPP = 524               # include/linux/errno.h (kernel-internal)

LO_IFINDEX, LO_MTU, LO_HARD_HEADER_LEN = 1, 65536, ETH_HLEN

CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_COMPLETE = 0, 1, 2
SKB_MAX_CSUM_LEVEL = 3
BPF_CSUM_LEVEL_QUERY, BPF_CSUM_LEVEL_INC, BPF_CSUM_LEVEL_DEC, BPF_CSUM_LEVEL_RESET = range(4)

BPF_MTU_CHK_SEGS = 1
BPF_MTU_CHK_RET_SUCCESS, BPF_MTU_CHK_RET_FRAG_NEEDED = 0, 1

BPF_F_INGRESS = 1
TC_ACT_SHOT, TC_ACT_REDIRECT = 2, 7
XDP_ABORTED, XDP_REDIRECT = 0, 4

BPF_HDR_START_MAC, BPF_HDR_START_NET = 0, 1


def _fault(msg):
    from .helpers import HelperFault
    return HelperFault(msg)


def _skb(run):
    """The test run's skb state: (ip_summed, csum_level, csum), created on first use."""
    st = getattr(run, "skb_csum", None)
    if st is None:
        st = run.skb_csum = {"ip_summed": CHECKSUM_NONE, "level": 0, "csum": 0}
    return st


def csum_update(run, vm, skb, csum, *_):
    """``bpf_csum_update``: adds to ``skb->csum`` under CHECKSUM_COMPLETE only."""
    st = _skb(run)
    if st["ip_summed"] == CHECKSUM_COMPLETE:
        s = st["csum"] + (csum & U32)
        st["csum"] = (s & U32) + (s >> 32)
        return st["csum"]
    return -ENOTSUPP


def csum_level(run, vm, skb, level, *_):
    """``bpf_csum_level``: query or step the CHECKSUM_UNNECESSARY level of the skb."""
    st = _skb(run)
    level &= U64
    unnecessary = st["ip_summed"] == CHECKSUM_UNNECESSARY
    if level == BPF_CSUM_LEVEL_QUERY:
        return st["level"] if unnecessary else -EACCES
    if level == BPF_CSUM_LEVEL_INC:
        if unnecessary:
            st["level"] = min(st["level"] + 1, SKB_MAX_CSUM_LEVEL)
        elif st["ip_summed"] == CHECKSUM_NONE:
            st["ip_summed"], st["level"] = CHECKSUM_UNNECESSARY, 0
    elif level == BPF_CSUM_LEVEL_DEC:
        if unnecessary:
            if st["level"] == 0:
                st["ip_summed"] = CHECKSUM_NONE
            else:
                st["level"] -= 1
    elif level == BPF_CSUM_LEVEL_RESET:
        if unnecessary:
            st["ip_summed"], st["level"] = CHECKSUM_NONE, 0
    else:
        return -EINVAL
    return 0


def _pkt_len(run, vm, ctx) -> int:
    if run.packet is None:
        raise _fault("this program type has no packet")
    pkt, start, end = run.packet
    if run.prog_type == "xdp":
        return vm.memory.load(ctx + XDP_DATA_END, 4) - vm.memory.load(ctx + XDP_DATA, 4)
    return end - start


def check_mtu(run, vm, ctx, ifindex, mtu_len, len_diff, flags):
    """``bpf_check_mtu`` (skb and xdp flavours) against the namespace's one device."""
    flags &= U64
    ifindex &= U32
    len_diff = _s32(len_diff)
    xdp = run.prog_type == "xdp"
    if flags & ~(0 if xdp else BPF_MTU_CHK_SEGS):
        return -EINVAL
    want = vm.memory.load(mtu_len, 4)
    if flags & BPF_MTU_CHK_SEGS and (len_diff or want):
        return -EINVAL
    if ifindex not in (0, LO_IFINDEX):
        return -ENODEV
    length = want + LO_HARD_HEADER_LEN if want else _pkt_len(run, vm, ctx)
    length += len_diff
    ret = BPF_MTU_CHK_RET_SUCCESS if length <= LO_MTU + LO_HARD_HEADER_LEN \
        else BPF_MTU_CHK_RET_FRAG_NEEDED
    vm.memory.store(mtu_len, 4, LO_MTU)
    return ret


def redirect(run, vm, ifindex, flags, *_):
    """``bpf_redirect``: records the target; the test run does not forward the packet."""
    flags &= U64
    if run.prog_type == "xdp":
        if flags:
            return XDP_ABORTED
        return XDP_REDIRECT
    if flags & ~BPF_F_INGRESS:
        return TC_ACT_SHOT
    return TC_ACT_REDIRECT


def xdp_get_buff_len(run, vm, md, *_):
    return _pkt_len(run, vm, md)


def _xdp_span(run, vm, md, off, size):
    off &= U32
    size &= U32
    if off > 0xFFFF or size > 0xFFFF:
        return -EFAULT
    if off + size > _pkt_len(run, vm, md):
        return -EINVAL
    return vm.memory.load(md + XDP_DATA, 4) + off


def xdp_load_bytes(run, vm, md, off, buf, size, *_):
    at = _xdp_span(run, vm, md, off, size)
    if at < 0:
        return at
    vm.memory.write(buf, vm.memory.read(at, size & U32))
    return 0


def xdp_store_bytes(run, vm, md, off, buf, size, *_):
    at = _xdp_span(run, vm, md, off, size)
    if at < 0:
        return at
    vm.memory.write(at, vm.memory.read(buf, size & U32))
    return 0


def skb_load_bytes_relative(run, vm, skb, off, to, size, start_header):
    """``bpf_skb_load_bytes_relative``: from the MAC or network header; -EFAULT (and a
    zeroed buffer) outside the packet."""
    size &= U32
    off &= U32
    if run.packet is None:
        raise _fault("this program type has no packet")
    pkt, _, end = run.packet
    base = {BPF_HDR_START_MAC: pkt.base, BPF_HDR_START_NET: pkt.base + ETH_HLEN}.get(
        start_header & U64)
    if off <= 0xFFFF and base is not None and base + off + size <= end:
        vm.memory.write(to, vm.memory.read(base + off, size))
        return 0
    vm.memory.write(to, bytes(size))
    return -EFAULT


def _no_socket(run, vm, *_):
    """Socket helpers: the test run never hands a socket to the program (``skb->sk`` is
    NULL, the lookups find nothing), so the verifier's non-NULL socket argument cannot
    exist at run time."""
    raise _fault("the test run has no sockets (skb->sk is NULL and lookups find none)")


sk_fullsock = tcp_sock = get_listener_sock = tcp_check_syncookie = tcp_gen_syncookie = \
    sk_cgroup_id = sk_ancestor_cgroup_id = _no_socket
