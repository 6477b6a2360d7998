"""What a run shows: maps, globals, ring buffer and perf records, the output packet, and
``__sk_buff`` / ``xdp_md`` fields set through ctx_in, each judged against the live kernel.

The same object (tests/data/runtime/show.c) is run by ``pipeline.run`` on every engine and
by the kernel's BPF_PROG_TEST_RUN (libbpf loads it; tests/oracles/kernel_objects.py reads the maps
back, walks the ring buffer through its mmap'ed pages and asks ``bpftool -j map dump`` for
the BTF-decoded view).  Expected values are the kernel's and bpftool's, never ours.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline
from isa.uapi import SKB_OFFSETS, SKB_SIZE
from pipeline.kernel import ctx_in
from tests.support.skips import need_engine, need_kernel_objects

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "tests" / "data" / "runtime" / "show.c"
ENGINES = ["unicorn", "interp", "native"]
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))

from oracles import kernel  # noqa: E402

PACKET = bytes(range(1, 65))          # non-zero, so a zeroed or shifted header shows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("show") / "show.bpf.o"
    return pipeline.build(SRC, output=out), out


@pytest.fixture(scope="module")
def kernel_maps(built):
    """The kernel's run of maps_and_records: maps read back and dumped by bpftool."""
    need_kernel_objects()
    got = kernel.run_object_show(built[1], "maps_and_records", PACKET)
    assert got.errno == 0
    if any(m.bpftool is None for m in got.maps.values()
           if m.map_type not in (3, 4, kernel.BPF_MAP_TYPE_RINGBUF)):
        pytest.skip("bpftool is not available")
    return got


@pytest.fixture(scope="module", params=ENGINES)
def ours(request, built):
    need_engine(request.param)
    return pipeline.run(built[0], "maps_and_records", data=PACKET, engine=request.param)


def _plain(v):
    return json.loads(json.dumps(v))


def _by_key(entries):
    return sorted(entries, key=lambda e: e["key"])


# --- maps and globals against bpftool's dump of the kernel's maps ----------------------------

def test_retval_matches_the_kernel(ours, kernel_maps):
    assert ours.retval == kernel_maps.retval


def test_maps_decode_like_bpftool_map_dump(ours, kernel_maps):
    compared = 0
    for name in ("pts", "h", "lru"):
        assert _plain(_by_key(ours.maps[name]["entries"])) == \
            _by_key(kernel_maps.maps[name].bpftool), name
        compared += len(ours.maps[name]["entries"])
    assert compared == 4 + 2 + 1


def test_percpu_maps_show_the_cpu_that_ran(ours, kernel_maps):
    """bpftool lists every possible CPU; the mock kernel runs on one.  Our CPU 0 must hold
    what the kernel's CPU that ran the program holds, element by element."""
    for name in ("pc", "ph"):
        theirs = _by_key(kernel_maps.maps[name].bpftool)
        mine = _plain(_by_key(ours.maps[name]["entries"]))
        assert [e["key"] for e in mine] == [e["key"] for e in theirs], name
        cpus = {c["cpu"] for e in theirs for c in e["values"] if any(int(x, 16)
                                                                     for x in c["value"])}
        assert len(cpus) == 1, (name, cpus)
        cpu = cpus.pop()
        for a, b in zip(mine, theirs):
            assert a["values"] == [dict(b["values"][cpu], cpu=0)], name
            assert a["formatted"]["key"] == b["formatted"]["key"]
            assert a["formatted"]["values"] == [dict(b["formatted"]["values"][cpu], cpu=0)]


def test_globals_decode_like_bpftool_datasec_dump(ours, kernel_maps, built):
    seen = {}
    for m in kernel_maps.maps.values():
        sec = "." + m.name.rsplit(".", 1)[-1]
        if m.bpftool and sec in (".data", ".bss", ".rodata"):
            for var in m.bpftool[0]["formatted"]["value"][sec]:
                seen.update(var)
    mine = _plain(ours.globals)
    assert set(mine) == set(built[0].globals) and set(mine) <= set(seen)
    for name, value in mine.items():
        assert value == seen[name], name


# --- ring buffer, packet ----------------------------------------------------------------------

def test_ringbuf_records_match_the_kernels(ours, kernel_maps):
    mine = [r["data"] for r in ours.ringbuf if r["map"] == "rb"]
    assert mine == kernel_maps.maps["rb"].records
    assert len(mine) == 3          # submitted, output, output; the discarded one is not read


def test_output_packet_matches_data_out(ours, kernel_maps):
    assert ours.packet == kernel_maps.data_out


@pytest.mark.parametrize("engine", ENGINES)
def test_l3_data_out_and_xdp_metadata_match_the_kernel(built, engine):
    need_engine(engine)
    need_kernel_objects()
    res = pipeline.run(built[0], "sock_fields", data=PACKET, engine=engine)
    k = kernel.run_object_show(built[1], "sock_fields", PACKET, dump=False)
    assert (res.retval, res.packet) == (k.retval, k.data_out)
    pkt = bytes(range(100, 140))
    for meta in (0, 4, 24, 216 - 192):
        res = pipeline.run(built[0], "xdp_meta", data=pkt, engine=engine,
                           ctx={"data": meta} if meta else None)
        k = kernel.run_object_show(built[1], "xdp_meta", pkt, dump=False,
                                   ctx=struct.pack("<6I", meta, len(pkt), 0, 0, 0, 0))
        assert k.errno == 0
        assert (res.retval, res.packet) == (k.retval, k.data_out), meta
        bss = next(m for n, m in k.maps.items() if n.endswith(".bss")).entries[0][1]
        assert res.globals["meta_len"] == meta
        for name in ("meta_len", "meta_word"):
            g = built[0].globals[name]
            assert res.globals[name] == int.from_bytes(bss[g.offset:g.offset + 4], "little")


# --- ctx_in -------------------------------------------------------------------------------------

CTX = {"mark": 3, "priority": 2, "ingress_ifindex": 5, "ifindex": 1, "cb[0]": 11,
       "cb[4]": 0xFFFFFFFF, "tstamp": 12345678901234, "wire_len": 100, "gso_segs": 4,
       "gso_size": 1400, "hwtstamp": 77}


def _skb_ctx(values: dict) -> bytes:
    ctx = bytearray(SKB_SIZE)
    for name, v in values.items():
        off, size = ctx_in.field_offset(name), ctx_in.SKB_SETTABLE.get(name, 4)
        ctx[off:off + size] = v.to_bytes(size, "little")
    return bytes(ctx)


@pytest.mark.parametrize("engine", ENGINES)
def test_skb_fields_set_through_ctx_in_read_as_in_the_kernel(built, engine):
    need_engine(engine)
    need_kernel_objects()
    res = pipeline.run(built[0], "ctx_fields", data=PACKET, ctx=CTX, engine=engine)
    k = kernel.run_object_show(built[1], "ctx_fields", PACKET, ctx=_skb_ctx(CTX))
    assert k.errno == 0 and res.retval == k.retval == 5
    bss = next(m for n, m in k.maps.items() if n.endswith(".bss")).bpftool
    theirs = next(v["seen"] for v in bss[0]["formatted"]["value"][".bss"] if "seen" in v)
    assert _plain(res.globals["seen"]) == theirs
    assert theirs["mark"] == 3 and theirs["wire_len"] == 100     # the fields did arrive


def _kernel_errno(path, prog, data, ctx: bytes) -> int:
    return kernel.run_object_show(path, prog, data, ctx=ctx, dump=False).errno


def _ours_refuses(obj, prog, data, ctx: dict) -> str | None:
    try:
        pipeline.run(obj, prog, data=data, ctx=ctx, engine="interp")
    except pipeline.Error as e:
        return str(e)
    return None


def test_skb_ctx_in_accepts_and_refuses_what_the_kernel_does(built):
    need_kernel_objects()
    cases = [{name: 1} for name in SKB_OFFSETS if name != "cb"]
    cases += [{f"cb[{i}]": 1} for i in range(5)]
    cases += [{"wire_len": 63}, {"wire_len": 64}, {"wire_len": 65536}, {"wire_len": 65537},
              {"gso_segs": 65535}, {"gso_segs": 65536}, {"ifindex": 99}, {"ifindex": 0}]
    accepted = 0
    for case in cases:
        errno = _kernel_errno(built[1], "ctx_fields", PACKET, _skb_ctx(case))
        refused = _ours_refuses(built[0], "ctx_fields", PACKET, case)
        assert (errno != 0) == (refused is not None), (case, errno, refused)
        if errno:
            name = {19: "ENODEV", 22: "EINVAL"}[errno]
            assert name in refused and next(iter(case)) in refused, (case, refused)
            assert "\n" not in refused
        accepted += not errno
    assert accepted == 17       # mark priority ingress_ifindex ifindex tstamp gso_segs
    #                             gso_size hwtstamp, cb[0..4]; wire_len 64 and 65536,
    #                             gso_segs 65535, ifindex 0 (wire_len=1 is below the length)


def test_xdp_ctx_in_accepts_and_refuses_what_the_kernel_does(built):
    need_kernel_objects()
    pkt = bytes(range(40))
    cases = [{"data": 4}, {"data": 3}, {"data": 216}, {"data": 24}, {"data": 28},
             {"data_end": len(pkt) + 1}, {"data_meta": 4}, {"ingress_ifindex": 1},
             {"ingress_ifindex": 1, "rx_queue_index": 1}, {"rx_queue_index": 1},
             {"egress_ifindex": 1}, {"ingress_ifindex": 99}, {"data": 8, "data_end": 4}]
    for case in cases:
        full = {"data": 0, "data_end": len(pkt), "data_meta": 0, "ingress_ifindex": 0,
                "rx_queue_index": 0, "egress_ifindex": 0, **case}
        errno = _kernel_errno(built[1], "xdp_meta", pkt,
                              struct.pack("<6I", *(full[f] for f in ctx_in.XDP_FIELDS)))
        refused = _ours_refuses(built[0], "xdp_meta", pkt, case)
        assert (errno != 0) == (refused is not None), (case, errno, refused)
    # a data_end below the length is a multi-buffer frame: the kernel takes it, we refuse it
    assert _kernel_errno(built[1], "xdp_meta", pkt,
                         struct.pack("<6I", 0, len(pkt) - 1, 0, 0, 0, 0)) == 0
    assert "not modelled" in _ours_refuses(built[0], "xdp_meta", pkt,
                                           {"data_end": len(pkt) - 1})


def test_ctx_on_a_program_without_named_fields_is_refused(tmp_path):
    src = tmp_path / "rawtp.c"
    src.write_text('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
                   'SEC("raw_tp/sys_enter") int f(void *ctx) { return 0; }\n'
                   'char LICENSE[] SEC("license") = "GPL";\n')
    obj = pipeline.build(src, output=tmp_path / "rawtp.o")
    with pytest.raises(pipeline.Error, match="no named context fields"):
        pipeline.run(obj, ctx={"mark": 1}, engine="interp")


# --- the command line --------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipeline", "run", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_cli_json_and_text_show_maps_records_packet(built):
    p = _cli(built[1], "--prog", "maps_and_records", "--json", "--data", PACKET.hex())
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    res = pipeline.run(built[0], "maps_and_records", data=PACKET)
    assert doc["maps"] == _plain(res.maps) and doc["globals"] == _plain(res.globals)
    assert doc["packet"] == res.packet.hex()
    assert [r["data"] for r in doc["ringbuf"]] == [r["data"].hex() for r in res.ringbuf]
    p = _cli(built[1], "--prog", "maps_and_records", "--data", PACKET.hex())
    assert p.returncode == 0
    assert '  origin = {"x": -4, "y": 9, "tag": "abc", "c": "GREEN", "ok": true, ' \
           '"flag": 0x5, "rest": 0x11}' in p.stdout
    assert "    {\"a\": 5, \"b\": 6}: 99" in p.stdout
    assert "  ringbuf rb: 4 bytes: ef be ad de" in p.stdout


@pytest.mark.parametrize("arg,needle", [("len=1", "--ctx len"), ("mark=x", "FIELD=INTEGER"),
                                        ("nosuch=1", "not a field of struct __sk_buff"),
                                        ("ifindex=7", "ENODEV")])
def test_cli_ctx_errors_are_one_line(built, arg, needle):
    p = _cli(built[1], "--prog", "ctx_fields", "--ctx", arg)
    assert p.returncode == 2 and needle in p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_cli_ctx_sets_fields(built):
    p = _cli(built[1], "--prog", "ctx_fields", "--ctx", "mark=40", "--ctx", "priority=2",
             "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["retval"] == 42


# --- perf event output ------------------------------------------------------------------------

@pytest.mark.parametrize("prog,expected", [("perf_out", (7, 2)), ("xdp_perf", (3, 1))])
@pytest.mark.parametrize("engine", ENGINES)
def test_perf_event_output_records_match_a_real_perf_buffer(built, engine, prog, expected):
    """The kernel's records come from a BPF-output perf event on the CPU that runs the
    program, in that CPU's slot, as libbpf's perf_buffer sets one up; the raw sample is
    padded so that its 4-byte size field and the data end on 8 bytes."""
    need_engine(engine)
    need_kernel_objects()
    try:
        retval, errno, theirs = kernel.perf_output_run(built[1], prog, PACKET, "events")
    except OSError as e:
        pytest.skip(f"no BPF-output perf event here: {e}")
    res = pipeline.run(built[0], prog, data=PACKET, engine=engine)
    assert errno == 0 and res.retval == retval
    assert (retval, len(theirs)) == expected     # what the C source says should happen
    mine = [r["data"] for r in res.perf_events]
    assert [r["map"] for r in res.perf_events] == ["events"] * len(theirs)
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        assert b[:len(a)] == a and len(b) == (len(a) + 4 + 7) // 8 * 8 - 4


@pytest.mark.parametrize("engine", ENGINES)
def test_a_full_ring_buffer_refuses_records_as_the_kernels_does(built, engine):
    """300 records of 13/16 bytes into a 4096-byte ring: the kernel keeps at most size - 1
    bytes of records, so some fail with -EAGAIN; what is kept is read back in order."""
    need_engine(engine)
    need_kernel_objects()
    res = pipeline.run(built[0], "rb_fill", data=PACKET, engine=engine)
    k = kernel.run_object_show(built[1], "rb_fill", PACKET, dump=False)
    assert k.errno == 0 and res.retval == k.retval
    assert k.retval >> 16 > 0                      # the ring did fill up
    assert [r["data"] for r in res.ringbuf if r["map"] == "rb_small"] == \
        k.maps["rb_small"].records


@pytest.mark.parametrize("engine", ENGINES)
def test_kernel_owned_fields_read_as_zeros_like_the_kernels_dump(engine, tmp_path):
    """A bpf_timer in a map value is the kernel's: user space reads it as zeros."""
    need_engine(engine)
    need_kernel_objects()
    from pipeline.kernel import INCLUDE_DIR
    src = ROOT / "tests" / "data" / "runtime" / "timers.c"
    obj = pipeline.build(src, include=[INCLUDE_DIR], output=tmp_path / "timers.o")
    res = pipeline.run(obj, "cancelled", engine=engine)
    k = kernel.run_object_show(tmp_path / "timers.o", "cancelled", bytes(64))
    if k.maps["arr"].bpftool is None:
        pytest.skip("bpftool is not available")
    assert _plain(res.maps["arr"]["entries"]) == k.maps["arr"].bpftool
    assert res.maps["arr"]["entries"][0]["formatted"]["value"]["id"] == 1
