"""Helpers implemented for the test run give the live kernel's results (BPF_PROG_TEST_RUN of
the same object on the same packet): bpf_strtol/strtoul, bpf_check_mtu (xdp and tc),
bpf_redirect, bpf_csum_update, bpf_csum_level, bpf_l3/l4_csum_replace, bpf_set_hash(_invalid)
with bpf_get_hash_recalc, bpf_skb_pull_data, bpf_get_route_realm, the XDP buffer helpers,
bpf_xdp_adjust_meta/tail, bpf_skb_load_bytes_relative, bpf_strncmp, push/pop/peek on queue,
stack and bloom-filter maps, bpf_redirect_map on empty redirect maps, bpf_redirect_neigh/peer,
bpf_clone_redirect and bpf_skb_change_type (tests/data/runtime/net_helpers.c: each program
takes its arguments from the packet and returns one result)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

import pipeline
from pipeline.kernel import INCLUDE_DIR
from tests.oracles import kernel as K
from tests.seeds import rng
from tests.support.skips import need_engine, need_kernel_objects

SRC = Path(__file__).resolve().parents[1] / "data" / "runtime" / "net_helpers.c"
PACKET = 64
SIZE = {"xdp_adjust": 3300}

TEXTS = [b"123", b"-123", b"  42abc", b"0x1f", b"0X1F", b"0x", b"0xg", b"077", b"09", b"-0",
         b"18446744073709551615", b"18446744073709551616", b"9223372036854775807",
         b"9223372036854775808", b"-9223372036854775808", b"-9223372036854775809", b"-",
         b" ", b"\xa012", b"abc", b"12\x0034", b"+5", b"\t-0x10", b"ffff", b"0" * 40 + b"7",
         b"1" * 31 + b"9"]


def _strtox(r) -> list[bytes]:
    out = []
    for flags in (0, 8, 10, 16, 1, 32, 0x110):
        for t in TEXTS:
            n = min(len(t), 32)
            out.append(struct.pack("<IB", flags, max(n - 1, 0)) + t[:32].ljust(32, b"7"))
    for _ in range(40):
        t = bytes(r.choice(b"0123456789abcdefxX- \t") for _ in range(r.randrange(1, 33)))
        out.append(struct.pack("<IB", r.choice((0, 8, 10, 16)), len(t) - 1) + t.ljust(32, b"\0"))
    return out


def _mtu(r) -> list[bytes]:
    return [struct.pack("<IIiI", i, m, d, f) for i in (0, 1, 999_999, 0x7FFF_FFF0)
            for m in (0, 1500, 65536, 65537) for d in (0, 100, -100, 65536) for f in (0, 1, 2)]


def _replace(r) -> list[bytes]:
    out = []
    for off in (0, 2, 12, 24, 62, 63, 64, 0x10000):
        for flags in (0, 2, 4, 3, 0x10 | 4, 0x20 | 2, 0x60 | 4, 0x80 | 4, 0x100):
            frm = 0 if flags & 0xF == 0 and r.random() < 0.7 else r.getrandbits(32)
            head = struct.pack("<IIII", off, frm, r.getrandbits(32), flags)
            body = bytes(r.getrandbits(8) for _ in range(48))
            if r.random() < 0.3:            # a zero checksum field (BPF_F_MARK_MANGLED_0)
                at = (off & 62) - 16
                if 0 <= at < 47:
                    body = body[:at] + b"\0\0" + body[at + 2:]
            out.append(head + body)
    return out


def _qops(r) -> list[bytes]:
    out = []
    for _ in range(40):
        ops = b""
        for _ in range(8):
            op = r.choice((0, 0, 0, 1, 1, 2))
            fl = r.choice((0, 0, 0, 2, 1, 4))
            ops += bytes([op, fl]) + struct.pack("<I", r.choice((1, 2, 3, r.getrandbits(32))))
        out.append(ops)
    return out


CASES = {
    "strtox": _strtox,
    "mtu": _mtu,
    "redirect": lambda r: [struct.pack("<II", i, f) for i in (0, 1, 5)
                           for f in (0, 1, 2, 8, 1 << 31)],
    "csum_update": lambda r: [struct.pack("<I", r.getrandbits(32)) for _ in range(8)],
    "csum_level": lambda r: [bytes([a, b, c, d]) for a in range(5) for b in range(5)
                             for c in (0, 1, 2, 3) for d in (0, 1, 3)],
    "xdp_buff_len": lambda r: [bytes(n) for n in (14, 15, 64, 200, 1500)],
    "xdp_load": lambda r: [struct.pack("<IB", o, n) for o in (0, 4, 48, 49, 60, 61, 63, 64,
                                                             65535, 65536, 1 << 31)
                           for n in (0, 3, 15)],
    "xdp_store": lambda r: [struct.pack("<I", o) for o in (0, 4, 8, 10, 60, 61, 64, 65536)],
    "rel": lambda r: [struct.pack("<II", o, h) for o in (0, 2, 10, 14, 46, 47, 50, 60, 61,
                                                         65536, 1 << 31) for h in (0, 1, 2)],
    "replace": _replace,
    "hash": lambda r: [struct.pack("<I", r.getrandbits(32)) for _ in range(6)] + [bytes(4)],
    "pull": lambda r: [struct.pack("<I", n) for n in (0, 1, 14, 63, 64, 65, 1 << 20, 1 << 31)],
    # 3,300 bytes: the test run's frame leaves 220 to grow (4096 - 256 - 320 - 3300), and the
    # output buffer (input + 256) holds them
    "xdp_adjust": lambda r: [struct.pack("<i", d) for d in (0, -4, -8, -32, -36, -3, 4, -200,
                                                         -216, -217, -300, 1, 64, 219, 220,
                                                         221, 256, -3286, -3287, -5000)],
    "queues": _qops,
    "redirect_map": lambda r: [struct.pack("<II", k, f) for k in (0, 3, 4)
                               for f in (0, 1, 2, 3, 4, 8, 16, 24, 8 | 2, 32)],
    # the destination MAC (bytes 0-5) is 00:00:00:00:00:00 only with ifindex/type 0, so
    # the kernel's eth_type_trans makes the packet PACKET_HOST (lo's address) or OTHERHOST
    "redirects": lambda r: [struct.pack("<III", i, p, f) for i in (0, 1, 7)
                            for p in (0, 8, 20) for f in (0, 1, 2)],
    "change_type": lambda r: [struct.pack("<I", t) for t in (0, 1, 2, 3, 4, 7, 1 << 31)],
    "owner": lambda r: [struct.pack("<I", n) for n in (0, 1, 2, 1 << 31)],
    "ecn": lambda r: [bytes(12) + bytes.fromhex(e) + bytes([v, tos]) + bytes(r.getrandbits(8)
                                                                        for _ in range(50))
                      for e in ("0800", "86dd", "0806") for v in (0x45, 0x60, 0x6f)
                      for tos in (0, 1, 2, 3, 0xfc, 0x5e, 0x5d, 0x5f, 0x2a)],
    "strncmp": lambda r: [bytes([n]) + s.ljust(8, b"\0") for n in range(8)
                          for s in (b"hello", b"help", b"hellz", b"he\0lo", b"hellooo", b"a",
                                    b"hello\0zz", b"\xffello")],
}
PROGS = {
    "strtox": ["strtol_ret", "strtol_lo", "strtol_hi", "strtoul_ret", "strtoul_lo",
               "strtoul_hi"],
    "mtu": ["mtu_xdp_ret", "mtu_xdp_len", "mtu_tc_ret", "mtu_tc_len"],
    "redirect": ["redirect_xdp", "redirect_tc"],
    "csum_update": ["csum_update_tc"],
    "csum_level": ["csum_level_tc"],
    "xdp_buff_len": ["xdp_buff_len"],
    "xdp_load": ["xdp_load_ret", "xdp_load_val"],
    "xdp_store": ["xdp_store"],
    "rel": ["rel_tc_ret", "rel_tc_val", "rel_sock_ret", "rel_sock_val"],
    "strncmp": ["strncmp_xdp"],
    "replace": ["l3_replace", "l4_replace"],
    "queues": ["queue_ops", "stack_ops", "bloom_ops"],
    "redirect_map": ["redir_dev", "redir_cpu"],
    "redirects": ["redir_neigh", "redir_peer", "clone_redir"],
    "change_type": ["change_type"],
    "ecn": ["ecn"],
    "owner": ["sock_uid", "sock_cgroup", "sock_ancestor", "classids"],
    "hash": ["hash_set", "hash_invalid"],
    "pull": ["pull", "realm"],
    "xdp_adjust": ["meta_ret", "meta_len", "tail_ret", "tail_len"],
}


@pytest.fixture(scope="module")
def obj():
    need_kernel_objects()
    return pipeline.build(SRC, include=[INCLUDE_DIR])


def test_every_program_is_checked(obj):
    assert sorted(p.name for p in obj.programs) == sorted(n for v in PROGS.values() for n in v)


def _in_root_cgroup() -> bool:
    try:
        return "0::/\n" in open("/proc/self/cgroup").read().splitlines(keepends=True)
    except OSError:
        return False


@pytest.mark.parametrize("group", sorted(CASES))
def test_helper_results_match_kernel(obj, group):
    if group == "owner" and (not _in_root_cgroup() or os.geteuid() != 0):
        pytest.skip("the kernel's answer is this process's uid and cgroup: the mock kernel's "
                    "(root, root cgroup) only when the test runs so")
    r, seed_text = rng(0x4E7)
    packets = CASES[group](r)
    diffs = []
    refused = {}
    for prog in PROGS[group]:
        for args in packets:
            data = args.ljust(SIZE.get(group, PACKET), b"\x5a")
            try:
                want = K.run_object(obj.elf.path, prog, data).retval
            except K.KernelRefused as e:
                refused[prog] = e.line
                break
            got = pipeline.run(obj, prog, data=data, engine="interp").retval
            if got != want:
                diffs.append(f"{prog}({args.hex()}): kernel {want:#x}, ours {got:#x}")
    checked = len(PROGS[group]) - len(refused)
    assert not diffs, f"{len(diffs)} of {len(packets) * checked} differ " \
                      f"({seed_text}):\n" + "\n".join(diffs[:20])
    _skip_refused(refused, checked)


def _skip_refused(refused: dict, checked: int) -> None:
    """Programs the live kernel refuses on its own have no oracle here: say so (a skip
    naming them, after the others were checked) rather than pass them silently."""
    if refused:
        pytest.skip(f"the live kernel refuses {', '.join(sorted(refused))} "
                    f"({'; '.join(sorted(set(refused.values())))}); {checked} other "
                    f"program(s) checked and agree")


@pytest.mark.parametrize("engine", ["unicorn", "native"])
def test_other_engines_match_kernel(obj, engine):
    """The helpers are engine independent; a few cases of every group on the JIT engines."""
    need_engine(engine)
    r, _ = rng(0x4E8)
    refused = {}
    checked = set()
    for group, progs in PROGS.items():
        if group == "owner" and (not _in_root_cgroup() or os.geteuid() != 0):
            continue
        for args in CASES[group](r)[:3]:
            data = args.ljust(SIZE.get(group, PACKET), b"\x5a")
            for prog in progs:
                if prog in refused:
                    continue
                try:
                    want = K.run_object(obj.elf.path, prog, data).retval
                except K.KernelRefused as e:
                    refused[prog] = e.line
                    continue
                got = pipeline.run(obj, prog, data=data, engine=engine).retval
                assert got == want, (engine, prog, args.hex(), want, got)
                checked.add(prog)
    _skip_refused(refused, len(checked))
