"""`pipeline test` and the pytest plugin: kernel test_loader semantics on annotated C.

Expectations come from the annotations themselves, which were transposed from the kernel
selftests (tests/data/stack_arg/README.md); the runner must be able to fail, so each rule is
also checked on a deliberately wrong annotation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.kernel import INCLUDE_DIR
from pipeline.selftest import Runner, match_msgs, msg_regex

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "stack_arg"
ANNOTATED = sorted(p for p in DATA.glob("*.c") if not p.name.startswith("btf__"))

MISC = r'''#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define __s(x) #x
#define __xs(x) __s(x)
#define __tag(t) __attribute__((btf_decl_tag("comment:" __xs(__COUNTER__) ":" t)))
#define __success __tag("test_expect_success")
#define __failure __tag("test_expect_failure")
#define __msg(m) __tag("test_expect_msg=" m)
#define __retval(v) __tag("test_retval=" #v)
#define __xlated(x) __tag("test_expect_xlated=" x)
char LICENSE[] SEC("license") = "GPL";
'''


def pipeline_test(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "pipeline", "test", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True)


def test_the_stack_arg_corpus_passes_as_annotated():
    out = pipeline_test(*ANNOTATED, "-I", INCLUDE_DIR)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == f"{sum(l.startswith('PASS') for l in lines)} passed, 0 failed, 0 skipped"
    assert sum(l.startswith("PASS") for l in lines) >= 60


def test_wrong_expectations_fail(tmp_path):
    src = tmp_path / "wrong.c"
    src.write_text(MISC + '''
SEC("tc") __success __retval(7) int ret7(struct __sk_buff *skb) { return 7; }
SEC("tc") __success __retval(8) int ret7_not_8(struct __sk_buff *skb) { return 7; }
SEC("tc") __failure __msg("invalid bpf_context access")
int bad_ctx(struct __sk_buff *skb) { return *(volatile int *)((char *)skb + 4000); }
SEC("tc") __failure __msg("no such message") int wrong_msg(struct __sk_buff *skb)
{ return *(volatile int *)((char *)skb + 4000); }
SEC("tc") __failure int loads_fine(struct __sk_buff *skb) { return 0; }
SEC("tc") int unannotated(struct __sk_buff *skb) { return 0; }
SEC("tc") __success __xlated("r0 = 0") int xlated(struct __sk_buff *skb) { return 0; }
''')
    out = pipeline_test(src)
    assert out.returncode == 1
    status = {line.split()[1].split(":")[-1]: line.split()[0] for line in out.stdout.splitlines()
              if line[:4] in ("PASS", "FAIL", "SKIP")}
    assert status == {"ret7": "PASS", "ret7_not_8": "FAIL", "bad_ctx": "PASS",
                      "wrong_msg": "FAIL", "loads_fine": "FAIL", "unannotated": "PASS",
                      "xlated": "SKIP"}
    assert out.stdout.splitlines()[-1] == "3 passed, 3 failed, 1 skipped"
    assert "retval 7, expected 8" in out.stdout


def test_messages_match_in_order_with_regex_parts():
    log = "0: R1=ctx()\nR2 invalid mem access 'scalar'\nprocessed 3 insns\n"
    assert msg_regex("a{{[0-9]+}}b") == "a[0-9]+b"
    assert match_msgs(log, [("R{{[0-9]}} invalid mem access 'scalar'", False),
                            ("processed", False)]) is None
    assert match_msgs(log, [("processed", False), ("invalid mem", False)]) is not None  # order
    assert match_msgs(log, [("R1=ctx()", False), ("R1=ctx()", True)]) is None
    assert match_msgs(log, [("R1=ctx()", True)]) is not None


def test_companion_btf_names_naked_callees():
    # load_order.c's callees are naked: without btf__load_order.c's names the kernel (and we)
    # refuse their BTF; the runner builds the companion from C and applies the names
    runner = Runner(build_options={"include": [INCLUDE_DIR]})
    outs = runner.run_file(DATA / "load_order.c")
    assert outs and all(o.status == "PASS" for o in outs), [o.line() for o in outs]


pytest_plugins = ["pytester"]


def test_plugin_collects_programs_as_items(pytester):
    (pytester.path / "progs").mkdir()
    (pytester.path / "progs" / "p.c").write_text(MISC + '''
SEC("tc") __success __retval(7) int seven(struct __sk_buff *skb) { return 7; }
SEC("tc") __success __retval(9) int nine_not(struct __sk_buff *skb) { return 8; }
''')
    pytester.makeini("[pytest]\nstackargs_files = progs/*.c\n")
    res = pytester.runpytest("-p", "no:cacheprovider", "-v")
    res.assert_outcomes(passed=1, failed=1)
    res.stdout.fnmatch_lines(["*p.c::seven PASSED*", "*p.c::nine_not FAILED*",
                              "*retval 8, expected 9*"])


def test_plugin_collects_nothing_unless_asked(pytester):
    (pytester.path / "p.c").write_text(MISC + 'SEC("tc") int f(void *c) { return 0; }\n')
    res = pytester.runpytest("-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_plugin_fixtures(pytester):
    pytester.makepyfile('''
def test_sum(bpf_build, bpf_run, bpf_verify):
    obj = bpf_build(r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static __attribute__((noinline)) long add7(long a, long b, long c, long d, long e, long f, long g)
{ return a + b + c + d + e + f + g; }
SEC("tc") int prog(struct __sk_buff *skb) { return add7(1, 2, 3, 4, 5, 6, 7); }
char LICENSE[] SEC("license") = "GPL";
""")
    assert bpf_verify(obj).accepted
    assert bpf_run(obj).retval == 28
''')
    res = pytester.runpytest("-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)
