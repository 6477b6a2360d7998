"""Packet helpers of the mock kernel beyond loads and stores: checksum state, MTU checks,
redirects, XDP buffer access, header-relative loads.  Kernel counterparts: the ``bpf_skb_*``,
``bpf_xdp_*``, ``bpf_csum_*``, ``bpf_check_mtu`` and ``bpf_redirect`` helpers of
net/core/filter.c, on the test run's skb/xdp_buff (net/bpf/test_run.c).

The test run's network namespace, as the mock kernel models it, has one device: ``lo``
(ifindex 1, MTU 65536, a 14-byte hardware header), which the test run's skb and xdp_buff
belong to; any other ifindex does not exist (``-ENODEV``).  Its skb starts with
``ip_summed == CHECKSUM_NONE`` (as ``BPF_PROG_TEST_RUN`` builds it).  The kernel's test run
gives the skb a socket of the calling process; the mock kernel answers the helpers that ask
about its owner for its own caller (uid 0, the root cgroup), but hands out no socket object:
``skb->sk`` reads NULL and the socket helpers can never be reached.
"""

from __future__ import annotations

from isa.ints import U32, U64, s32 as _s32
from isa.uapi import EACCES, EFAULT, EINVAL

from .layout import ETH_HLEN, SKB_OFFSETS, XDP_DATA, XDP_DATA_END, XDP_DATA_META, XDP_FRAME_SIZE

ENOMEM, ENODEV = 12, 19
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


# --- checksum replacement (include/net/checksum.h, net/core/utils.c) ---------------------

BPF_F_HDR_FIELD_MASK = 0xF
BPF_F_PSEUDO_HDR, BPF_F_MARK_MANGLED_0, BPF_F_MARK_ENFORCE, BPF_F_IPV6 = 0x10, 0x20, 0x40, 0x80
CSUM_MANGLED_0 = 0xFFFF


def _add32(a: int, b: int) -> int:
    s = (a & U32) + (b & U32)
    return (s + (s >> 32)) & U32


def _fold(csum: int) -> int:
    s = csum & U32
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _add16(a: int, b: int) -> int:
    s = (a & 0xFFFF) + (b & 0xFFFF)
    return (s + (s >> 16)) & 0xFFFF


def _replace(old: int, kind: int, frm: int, to: int) -> int:
    """The new 16-bit checksum field (csum_replace_by_diff / csum_replace2 / csum_replace4)."""
    if kind == 0:
        return _fold(_add32(to, ~old & U32))
    if kind == 2:
        return ~_add16(_add16(~old, ~frm & 0xFFFF), to) & 0xFFFF
    return _fold(_add32(_add32(~old & 0xFFFF, ~frm & U32), to))


def _csum_field(run, vm, offset, flags, allowed):
    """The address of the 16-bit checksum at ``offset`` of skb->data, or -errno."""
    if flags & ~allowed:
        return -EINVAL
    offset &= U32
    if offset > 0xFFFF or offset & 1:
        return -EFAULT
    if run.packet is None:
        raise _fault("this program type has no packet")
    _, start, end = run.packet
    if start + offset + 2 > end:
        return -EFAULT
    return start + offset


def l3_csum_replace(run, vm, skb, offset, frm, to, flags):
    flags &= U64
    at = _csum_field(run, vm, offset, flags, BPF_F_HDR_FIELD_MASK)
    if at < 0:
        return at
    kind = flags & BPF_F_HDR_FIELD_MASK
    if kind not in (0, 2, 4) or (kind == 0 and frm & U64):
        return -EINVAL
    vm.memory.store(at, 2, _replace(vm.memory.load(at, 2), kind, frm, to))
    return 0


def l4_csum_replace(run, vm, skb, offset, frm, to, flags):
    """As l3 (the skb is never CHECKSUM_PARTIAL/COMPLETE here, so the pseudo-header flag
    changes nothing), plus BPF_F_MARK_MANGLED_0: a zero checksum stays zero, a result of
    zero is written as 0xffff."""
    flags &= U64
    at = _csum_field(run, vm, offset, flags, BPF_F_HDR_FIELD_MASK | BPF_F_PSEUDO_HDR
                     | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_IPV6)
    if at < 0:
        return at
    old = vm.memory.load(at, 2)
    mmzero = flags & BPF_F_MARK_MANGLED_0
    if mmzero and not flags & BPF_F_MARK_ENFORCE and not old:
        return 0
    kind = flags & BPF_F_HDR_FIELD_MASK
    if kind not in (0, 2, 4) or (kind == 0 and frm & U64):
        return -EINVAL
    new = _replace(old, kind, frm, to)
    vm.memory.store(at, 2, CSUM_MANGLED_0 if mmzero and not new else new)
    return 0


# --- skb hash, pulls, routes -------------------------------------------------------------

SKB_HASH = SKB_OFFSETS["hash"]


def set_hash(run, vm, skb, hash_, *_):
    """``bpf_set_hash``: a software hash, which bpf_get_hash_recalc then returns."""
    vm.memory.store(skb + SKB_HASH, 4, hash_ & U32)
    run.skb_sw_hash = True
    return 0


def set_hash_invalid(run, vm, skb, *_):
    vm.memory.store(skb + SKB_HASH, 4, 0)
    run.skb_sw_hash = False
    return 0


def skb_pull_data(run, vm, skb, length, *_):
    """The test run's skb is linear: 0 when ``length`` bytes are there, else -ENOMEM."""
    if run.packet is None:
        raise _fault("this program type has no packet")
    _, start, end = run.packet
    return 0 if (length & U32) <= end - start else -ENOMEM


def get_route_realm(run, vm, skb, *_):
    return 0                    # the test run's skb has no route (dst)


# --- XDP metadata and tail ---------------------------------------------------------------

XDP_METALEN_MAX = 255            # skb_shared_info.meta_len is a u8
XDP_TAILROOM = 320              # SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64
XDP_FRAME_END = 4096            # the test run's frame: one page, headroom included


def xdp_adjust_meta(run, vm, md, delta, *_):
    pkt = run.packet[0]
    data = vm.memory.load(md + XDP_DATA, 4)
    meta = vm.memory.load(md + XDP_DATA_META, 4) + _s32(delta)
    if meta < pkt.base + XDP_FRAME_SIZE or meta > data:
        return -EINVAL
    metalen = data - meta
    if metalen & 3 or metalen > XDP_METALEN_MAX:
        return -EACCES
    vm.memory.store(md + XDP_DATA_META, 4, meta)
    return 0


def xdp_hard_end(pkt) -> int:
    """Where the test run's XDP frame ends for bpf_xdp_adjust_tail (the region is that big)."""
    return pkt.base + max(XDP_FRAME_END - XDP_TAILROOM, len(pkt.data))


def xdp_adjust_tail(run, vm, md, delta, *_):
    pkt = run.packet[0]
    data = vm.memory.load(md + XDP_DATA, 4)
    end = vm.memory.load(md + XDP_DATA_END, 4)
    new = end + _s32(delta)
    if new > xdp_hard_end(pkt) or new < data + ETH_HLEN:
        return -EINVAL
    if new > end:
        vm.memory.write(end, bytes(new - end))      # grown bytes are cleared
    vm.memory.store(md + XDP_DATA_END, 4, new)
    return 0


# --- more redirects, packet type ------------------------------------------------------------

BPF_REDIR_NEIGH_SIZE = 20       # sizeof(struct bpf_redir_neigh)
PACKET_OTHERHOST = 3
SKB_PKT_TYPE = SKB_OFFSETS["pkt_type"]


def redirect_neigh(run, vm, ifindex, params, plen, flags, *_):
    plen &= U32
    if (plen and plen < BPF_REDIR_NEIGH_SIZE) or flags & U64:
        return TC_ACT_SHOT
    return TC_ACT_REDIRECT


def redirect_peer(run, vm, ifindex, flags, *_):
    return TC_ACT_SHOT if flags & U64 else TC_ACT_REDIRECT


def clone_redirect(run, vm, skb, ifindex, flags, *_):
    """``bpf_clone_redirect``: a clone of the packet goes to ``lo`` (the only device; the
    test run does not deliver it); 0, or -EINVAL for bad flags or another ifindex."""
    if flags & U64 & ~BPF_F_INGRESS:
        return -EINVAL
    if ifindex & U32 != LO_IFINDEX:
        return -EINVAL
    return 0


def skb_change_type(run, vm, skb, pkt_type, *_):
    """``bpf_skb_change_type``: skb->pkt_type, both old and new at most PACKET_OTHERHOST."""
    if vm.memory.load(skb + SKB_PKT_TYPE, 4) > PACKET_OTHERHOST or pkt_type & U32 > \
            PACKET_OTHERHOST:
        return -EINVAL
    vm.memory.store(skb + SKB_PKT_TYPE, 4, pkt_type & U32)
    return 0


# --- who the test run's packet belongs to --------------------------------------------------
# BPF_PROG_TEST_RUN gives the skb a socket of the calling process; the mock kernel's caller
# is root (bpf_get_current_uid_gid is 0) in the root cgroup (id 1), so the socket is too.

ROOT_CGROUP_ID = 1


def get_socket_uid(run, vm, skb, *_):
    return 0


def skb_cgroup_id(run, vm, skb, *_):
    return ROOT_CGROUP_ID


def skb_ancestor_cgroup_id(run, vm, skb, level, *_):
    return ROOT_CGROUP_ID if level & U64 == 0 else 0


def get_cgroup_classid(run, vm, skb, *_):
    return 0                    # no net_cls classid (cgroup v1) is set


skb_cgroup_classid = get_cgroup_classid


# --- ECN ----------------------------------------------------------------------------------

ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
INET_ECN_CE = 3


def skb_ecn_set_ce(run, vm, skb, *_):
    """``bpf_skb_ecn_set_ce`` (INET_ECN_set_ce): mark an ECN-capable IPv4/IPv6 packet
    Congestion Experienced, fixing the IPv4 header checksum; 1 when the packet is (now) CE,
    0 when it is not ECN-capable or not IP."""
    if run.packet is None:
        raise _fault("this program type has no packet")
    pkt, _, end = run.packet
    net = pkt.base + ETH_HLEN
    proto = int.from_bytes(vm.memory.read(pkt.base + 12, 2), "big")
    if proto == ETH_P_IP and net + 20 <= end:
        tos = vm.memory.load(net + 1, 1)
        ecn = (tos + 1) & 3
        if not ecn & 2:
            return int(not ecn)
        # htons(0xFFFB) + htons(ecn) added to the checksum as the CPU loads them (LE)
        add = (0xFBFF + (ecn << 8)) & 0xFFFF
        vm.memory.store(net + 10, 2, _add16(vm.memory.load(net + 10, 2), add))
        vm.memory.store(net + 1, 1, tos | INET_ECN_CE)
        return 1
    if proto == ETH_P_IPV6 and net + 40 <= end:
        first = int.from_bytes(vm.memory.read(net, 4), "big")
        if not (first >> 20) & 3:
            return 0
        vm.memory.write(net, (first | INET_ECN_CE << 20).to_bytes(4, "big"))
        return 1
    return 0
