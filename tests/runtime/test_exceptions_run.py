"""BPF exceptions at run time: ``bpf_throw`` unwinds every frame and the program returns
what its exception callback returns (the default callback: the cookie), on every engine,
compared with the live kernel's ``BPF_PROG_TEST_RUN`` of the same object (libbpf loads it).

The exception callback is referenced once from code the verifier proves dead, so that
libbpf before 1.3 (which does not append a tagged callback by itself) links it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pipeline
from tests.support.skips import need_engine, need_kernel_objects

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))
ENGINES = ["interp", "unicorn", "native"]

SOURCE = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern void bpf_throw(__u64 cookie) __ksym;
const volatile int never = 0;

SEC("tc") int throw_main(struct __sk_buff *sk)
{ if (sk->len > 100) bpf_throw(7); return 1; }

static __attribute__((noinline)) int st_throw(struct __sk_buff *sk)
{ if (sk->len > 100) bpf_throw(sk->len + 0x100000000ULL); return sk->len; }
SEC("tc") int throw_static(struct __sk_buff *sk) { return st_throw(sk) + 1; }

__attribute__((noinline)) int gl_throw(struct __sk_buff *sk)
{ if (sk->len > 100) bpf_throw(3); return 5; }
SEC("tc") int throw_global(struct __sk_buff *sk) { return gl_throw(sk) + 2; }

static __attribute__((noinline)) int deep2(struct __sk_buff *sk)
{ volatile int keep = 4; if (sk->len > 100) bpf_throw(9); return keep; }
static __attribute__((noinline)) int deep1(struct __sk_buff *sk) { return deep2(sk) + 1; }
SEC("tc") int throw_deep(struct __sk_buff *sk) { return deep1(sk) * 3; }

__attribute__((noinline)) int exc_cb(__u64 cookie) { return cookie + 40; }
SEC("tc") __attribute__((btf_decl_tag("exception_callback:exc_cb")))
int throw_cb(struct __sk_buff *sk)
{
  if (never) bpf_loop(1, (void *)exc_cb, 0, 0);
  if (sk->len > 100) bpf_throw(sk->len);
  return 1;
}

SEC("tc") int tail_target(struct __sk_buff *sk) { if (sk->len > 100) bpf_throw(16); return 2; }
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 1); __uint(key_size, 4);
  __array(values, int (void *)); } jt SEC(".maps") = { .values = { [0] = (void *)&tail_target } };
static __attribute__((noinline)) int tail_sub(struct __sk_buff *sk)
{ volatile int r = 10; bpf_tail_call(sk, &jt, 0); return r; }
SEC("tc") int throw_in_tail_call(struct __sk_buff *sk) { return tail_sub(sk) + 8; }

char LICENSE[] SEC("license") = "GPL";
"""

PROGS = ["throw_main", "throw_static", "throw_global", "throw_deep", "throw_cb",
         "throw_in_tail_call"]
SHORT, LONG = bytes(64), bytes(range(200))     # sk->len 64: no throw; 200: throws
# (program, packet) -> retval the kernel gives (checked by test_kernel_agrees)
EXPECTED = {
    ("throw_main", SHORT): 1, ("throw_main", LONG): 7,
    ("throw_static", SHORT): 65, ("throw_static", LONG): 200,   # the cookie's low 32 bits
    ("throw_global", SHORT): 7, ("throw_global", LONG): 3,
    ("throw_deep", SHORT): 15, ("throw_deep", LONG): 9,
    ("throw_cb", SHORT): 1, ("throw_cb", LONG): 240,
    ("throw_in_tail_call", SHORT): 10, ("throw_in_tail_call", LONG): 24,
}


# a callback nothing references: the loader appends it to the program, as libbpf >= 1.3 does
APPENDED = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern void bpf_throw(__u64 cookie) __ksym;
__attribute__((noinline)) int exc_cb(__u64 cookie) { return cookie + 40; }
SEC("tc") __attribute__((btf_decl_tag("exception_callback:exc_cb")))
int throw_cb_appended(struct __sk_buff *sk) { if (sk->len > 100) bpf_throw(sk->len); return 1; }
char LICENSE[] SEC("license") = "GPL";
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("exceptions_run")
    src = out / "exc.c"
    src.write_text(SOURCE)
    return pipeline.build(src, output=out / "exc.o"), out / "exc.o"


def _packet_name(data: bytes) -> str:
    return "short" if data is SHORT else "long"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("prog, data", sorted(EXPECTED, key=lambda k: (k[0], len(k[1]))),
                         ids=[f"{p}-{_packet_name(d)}" for p, d in
                              sorted(EXPECTED, key=lambda k: (k[0], len(k[1])))])
def test_throw_returns_the_callbacks_result(built, engine, prog, data):
    need_engine(engine)
    if engine == "native" and prog == "throw_in_tail_call":
        pytest.skip("native refuses this one (test_native_refuses_throwing_tail_target)")
    res = pipeline.run(built[0], prog, engine=engine, data=data)
    assert res.retval == EXPECTED[(prog, data)]
    thrown = (prog, data) != ("throw_in_tail_call", LONG) and \
        EXPECTED[(prog, data)] != EXPECTED[(prog, SHORT)]
    assert res.ended_by == ("throw" if thrown else "exit")


def test_native_refuses_throwing_tail_target(built):
    need_engine("native")
    with pytest.raises(pipeline.Error, match="engine 'native' does not model bpf_throw in a "
                                             "tail-call target \\(tail_target calls bpf_throw"):
        pipeline.run(built[0], "throw_in_tail_call", engine="native", data=LONG)


@pytest.mark.parametrize("prog, data", sorted(EXPECTED, key=lambda k: (k[0], len(k[1]))),
                         ids=[f"{p}-{_packet_name(d)}" for p, d in
                              sorted(EXPECTED, key=lambda k: (k[0], len(k[1])))])
def test_kernel_agrees(built, prog, data):
    """The live kernel's BPF_PROG_TEST_RUN on the same object (libbpf loads it)."""
    from oracles import kernel
    need_kernel_objects()
    assert kernel.run_object(built[1], prog, data).retval == EXPECTED[(prog, data)]


@pytest.fixture(scope="module")
def appended(tmp_path_factory):
    out = tmp_path_factory.mktemp("exceptions_appended")
    src = out / "app.c"
    src.write_text(APPENDED)
    return pipeline.build(src, output=out / "app.o"), out / "app.o"


@pytest.mark.parametrize("engine", ENGINES)
def test_unreferenced_callback_is_appended_and_runs(appended, engine):
    need_engine(engine)
    prog = appended[0].program("throw_cb_appended")
    assert [f.name for f in prog.functions] == ["throw_cb_appended", "exc_cb"]
    # the same callback as throw_cb's, which the kernel runs in test_kernel_agrees
    for data in (SHORT, LONG):
        res = pipeline.run(appended[0], "throw_cb_appended", engine=engine, data=data)
        assert res.retval == EXPECTED[("throw_cb", data)]


def test_kernel_agrees_on_the_appended_callback(appended):
    from oracles import kernel
    need_kernel_objects()
    import ctypes
    lib = ctypes.CDLL("libbpf.so.1")
    if (lib.libbpf_major_version(), lib.libbpf_minor_version()) < (1, 3):
        pytest.skip("libbpf < 1.3 does not append the exception callback")
    for data in (SHORT, LONG):
        assert kernel.run_object(appended[1], "throw_cb_appended", data).retval == \
            EXPECTED[("throw_cb", data)]
