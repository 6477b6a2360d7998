"""Run-time limits and bad input: maps are allocated only after verification and within a
1 GiB memory limit (a one-line error naming the map or section), ``--data`` reads are
bounded, object files are checked (regular file, size, ELF magic) before being read whole,
``--repeat`` stays within the kernel's u32."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipeline
from pipeline.cli_args import MAX_DATA
from pipeline.execute import DEFAULT_TIMEOUT
from pipeline.kernel import INCLUDE_DIR
from pipeline.testrun import MEMORY_LIMIT

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "runtime" / "refused"   # runs refuse these by design
SUM10 = ROOT / "examples" / "sum10.c"


# Runs the CLI and prints its peak RSS (KiB).  A child's ru_maxrss counts the memory of the
# process that forked it (Linux carries the pre-exec hiwater mark over), so the CLI is forked
# from this small process rather than from pytest, whose own RSS grows over a full run.
_MEASURE = ("import os, subprocess, sys\n"
            "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
            "_, status, usage = os.wait4(p.pid, 0)\n"
            "print(usage.ru_maxrss)\n"
            "sys.exit(os.waitstatus_to_exitcode(status))\n")


def _cli(*args, timeout=60):
    """(returncode, stderr, the CLI's own peak RSS in MiB, seconds)."""
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "pipeline",
                          *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout)
    secs = time.monotonic() - t0
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, out.stderr.strip(), int(out.stdout) // 1024, secs


@pytest.fixture(scope="module")
def big_map(tmp_path_factory):
    out = tmp_path_factory.mktemp("limits") / "big_map.bpf.o"
    pipeline.build(DATA / "big_map.c", include=[INCLUDE_DIR], output=out)
    return out


def test_map_over_the_memory_limit_is_named_before_allocation(big_map):
    rc, err, rss, secs = _cli("run", big_map, "--prog", "uses_huge")
    assert rc == 1 and len(err.splitlines()) == 1, err
    assert "map huge" in err and "2.0 GiB" in err and "1.0 GiB" in err, err
    assert rss < 1024, f"peak RSS {rss} MiB: the map was allocated"


def test_verification_comes_before_allocation(big_map):
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(big_map, "rejected")
    assert e.value.kind == "verifier" and "map_value_or_null" in str(e.value)


def test_bss_over_the_memory_limit_is_named():
    obj = pipeline.build(DATA / "big_bss.c", include=[INCLUDE_DIR])
    assert obj.elf.data_sections[0].size > MEMORY_LIMIT
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(obj)
    assert e.value.kind == "runtime" and "section .bss" in str(e.value), str(e.value)


def test_data_from_dev_zero_is_bounded():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    rc, err, rss, secs = _cli("run", SUM10, "--data", "@/dev/zero")
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "/dev/zero" in err and f"{MAX_DATA >> 20} MiB" in err, err
    assert rss < 1024 and secs < 30, (rss, secs)


def test_data_at_the_limit_is_taken(tmp_path):
    f = tmp_path / "pkt"
    f.write_bytes(bytes(64))
    rc, err, _, _ = _cli("run", SUM10, "--data", f"@{f}")
    assert rc == 0, err


def test_object_file_checked_before_read(tmp_path):
    sparse = tmp_path / "huge.o"
    with open(sparse, "wb") as f:         # 8 GiB, no blocks: reading it whole would take GBs
        f.truncate(8 << 30)
    rc, err, rss, secs = _cli("run", sparse)
    assert rc == 2 and len(err.splitlines()) == 1 and str(sparse) in err, err
    assert rss < 1024, rss
    small = tmp_path / "text.o"
    small.write_bytes(b"hello, not an object\n")
    with pytest.raises(pipeline.Error) as e:
        pipeline.load(small)
    assert "not an ELF file (bad magic)" in str(e.value)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_object_file_must_be_regular():
    rc, err, _, secs = _cli("run", "/dev/zero")
    assert rc == 2 and "not a regular file" in err and secs < 30, err


def test_repeat_beyond_the_kernels_u32_is_refused():
    rc, err, _, secs = _cli("run", SUM10, "--repeat", str(10 ** 23), timeout=60)
    assert rc == 2 and "repeat" in err and str(2 ** 32 - 1) in err, err
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(SUM10, repeat=2 ** 32)
    assert e.value.kind == "usage"


def test_timeout_help_names_the_real_defaults():
    out = subprocess.run([sys.executable, "-m", "pipeline", "run", "--help"], cwd=ROOT,
                         capture_output=True, text=True)
    text = " ".join(out.stdout.split())
    assert f"default: {DEFAULT_TIMEOUT:g} s on native and on unicorn for verified" in text


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_btf_command_checks_its_file_first(tmp_path):
    rc, err, _, secs = _cli("btf", "/dev/zero")
    assert rc == 2 and "not a regular file" in err and secs < 30, err
    junk = tmp_path / "junk.btf"
    junk.write_bytes(b"abcd" * 10)
    rc, err, _, _ = _cli("btf", junk)
    assert rc == 2 and "bad magic" in err, err


def test_api_data_over_the_memory_limit_is_refused():
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(SUM10, data=bytes(MEMORY_LIMIT + 1))
    assert e.value.kind == "usage" and f"{MEMORY_LIMIT + 1} bytes" in str(e.value)
