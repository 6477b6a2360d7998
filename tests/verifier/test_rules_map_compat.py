"""Which maps a program type may use at all (kernel: check_map_prog_compatibility), against
the live kernel.

Tracing programs (kprobe, tracepoint, raw_tracepoint, perf_event) may not use maps whose
value holds a bpf_spin_lock or a bpf_timer, socket filters no spin lock; other types may.
The same C object goes to the kernel through libbpf (tests/oracles/kernel.py
``load_object``) and to ``pipeline.verify``: verdict, verdict line and (both accepting)
processed instructions must be equal.  Skips where bpf() or libbpf is missing.
"""

from __future__ import annotations


import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

MAPS = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct lv { struct bpf_spin_lock l; int x; };
struct tv { struct bpf_timer t; };
struct both { int x; struct bpf_timer t; struct bpf_spin_lock l; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
  __type(value, struct lv); } lk SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
  __type(value, struct tv); } tm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4); __type(key, int);
  __type(value, struct both); } bo SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
  __type(value, long); } plain SEC(".maps");
#define USE(m) int k = 0; void *v = bpf_map_lookup_elem(&m, &k); return v ? 1 : 0;
"""

# (section, program name, map)
PROGRAMS = [(sec, f"{name}_{m}", m)
            for sec, name in (("kprobe/do_nanosleep", "kprobe"),
                              ("tracepoint/syscalls/sys_enter_getpid", "tp"),
                              ("raw_tp/sys_enter", "raw_tp"), ("perf_event", "perf_event"),
                              ("socket", "socket"), ("tc", "tc"), ("xdp", "xdp"))
            for m in ("lk", "tm", "bo", "plain")]


@pytest.fixture(scope="module")
def obj(tmp_path_factory):
    import pipeline
    out = tmp_path_factory.mktemp("map_compat")
    src = out / "map_compat.c"
    src.write_text(MAPS + "".join(f'SEC("{sec}") int {name}(void *ctx) {{ USE({m}) }}\n'
                                  for sec, name, m in PROGRAMS)
                   + 'char LICENSE[] SEC("license") = "GPL";\n')
    path = out / "map_compat.o"
    return path, pipeline.build(src, output=path)


@pytest.mark.parametrize("prog", [p for _, p, _ in PROGRAMS])
def test_map_use_verdict_equals_kernel(obj, prog):
    path, o = obj
    assert_same_verdict(*kernel_and_ours(path, o, prog))


def test_refusals_are_exercised(obj):
    """The kernel refuses some of these programs, or the comparison above proves little."""
    path, _ = obj
    refused = set()
    for _, prog, _ in PROGRAMS:
        with kernel.load_object(path, prog) as res:
            if not res.accepted:
                refused.add(res.error_line)
    assert {"tracing progs cannot use bpf_spin_lock yet",
            "tracing progs cannot use bpf_timer yet"} <= refused, refused
