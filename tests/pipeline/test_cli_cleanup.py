"""Nothing is left in the temporary directory: not after SIGTERM, not with a read-only cache."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra) -> dict:
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), **extra)
    (tmp_path / "tmp").mkdir()
    return env


def test_sigterm_removes_the_scratch_directory(tmp_path):
    env = _env(tmp_path)
    src = tmp_path / "slow.c"
    # 100000 runs on the reference interpreter take seconds, so the signal arrives mid-run
    # (on the default native engine they end within the wait below)
    src.write_text((ROOT / "examples" / "sum10.c").read_text())
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(src), "--repeat", "100000",
                             "--engine", "interp"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list((tmp_path / "tmp").glob("stackargs-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((tmp_path / "tmp").glob("stackargs-*")), "the run never made its scratch dir"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and b"Traceback" not in err
    assert not list((tmp_path / "tmp").iterdir())


def test_read_only_cache_leaves_nothing_behind(tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("a file where the cache directory would go: unwritable, even for root")
    env = _env(tmp_path, XDG_CACHE_HOME=str(cache))
    out = subprocess.run([sys.executable, "-m", "pipeline", "run",
                          str(ROOT / "tests" / "data" / "kmod" / "v1_kfuncs.c"), "--kmod", "testmod_v1"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "retval 36" in out.stdout
    assert not list((tmp_path / "tmp").iterdir())


def test_build_refuses_to_overwrite_its_source(tmp_path):
    src = tmp_path / "p.c"
    text = (ROOT / "examples" / "sum10.c").read_text()
    src.write_text(text)
    out = subprocess.run([sys.executable, "-m", "pipeline", "build", str(src), "-o", str(src)],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and "would overwrite the source" in out.stderr
    assert src.read_text() == text


def test_build_into_a_directory_is_one_clean_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pipeline", "build",
                          str(ROOT / "examples" / "sum10.c"), "-o", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.count("error:") == 1 and len(out.stderr.strip().splitlines()) == 1


def test_verify_and_run_agree_on_an_object_without_programs(tmp_path):
    src = tmp_path / "none.c"
    src.write_text('int counter;\nchar LICENSE[] __attribute__((section("license"))) = "GPL";\n')
    for cmd in ("verify", "run"):
        out = subprocess.run([sys.executable, "-m", "pipeline", cmd, str(src)], cwd=ROOT,
                             capture_output=True, text=True)
        assert out.returncode == 2 and "no programs" in out.stderr, (cmd, out.stderr)
