"""Compiler discovery, capability probing and the probe cache.

Fake compilers are executable files in a temporary PATH directory whose
processes are replaced by pytest-subprocess (``fp``); the texts they print are
copied from real clang 22 output (version banner, ``--print-supported-cpus``,
the LLVM "No available targets" error). The real-compiler tests at the end check
the probe against clang-22 and the ziglang wheel's clang themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from toolchain import discovery, probe
from toolchain.__main__ import main as toolchain_main
from toolchain.errors import ToolchainError

# Real clang 22 texts (Debian clang-22, captured on this project's machine kind).
VERSION_22 = ("Debian clang version 22.1.8 (1~deb12u1)\nTarget: x86_64-pc-linux-gnu\n"
              "Thread model: posix\nInstalledDir: /usr/lib/llvm-22/bin\n")
CPUS_22 = ("Debian clang version 22.1.8 (1~deb12u1)\nTarget: bpf\nThread model: posix\n"
           "InstalledDir: /usr/lib/llvm-22/bin\nAvailable CPUs for this target:\n\n"
           "\tgeneric\n\tprobe\n\tv1\n\tv2\n\tv3\n\tv4\n\n"
           "Use -mcpu or -mtune to specify the target's processor.\n"
           "For example, clang --target=aarch64-unknown-linux-gnu -mcpu=cortex-a35\n")
MACROS_22 = "#define __BPF_CPU_VERSION__ 3\n#define __BPF__ 1\n#define __bpf__ 1\n"
NO_TARGET = ("error: unable to create target: 'No available targets are compatible with "
             "triple \"bpf\"'\n1 error generated.\n")

DEVNULL = os.devnull
MACROS_CMD = ["--target=bpf", "-dM", "-E", "-x", "c", DEVNULL]
CPUS_CMD = ["--target=bpf", "--print-supported-cpus"]
CODEGEN_CMD = ["--target=bpf", "-O2", "-c", "-x", "c", "-", "-o", DEVNULL]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Own cache dir, no $CLANG, and no ziglang unless a test puts it back."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CLANG", raising=False)
    monkeypatch.setattr(discovery, "ziglang_compiler", lambda: None)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    return bindir


def fake_exe(bindir, name: str) -> str:
    path = bindir / name
    path.write_text("#!/bin/sh\nexit 99\n")   # never really run: fp intercepts
    path.chmod(0o755)
    return str(path)


def register_clang(fp, exe, *, version=VERSION_22, macros=MACROS_22, codegen_rc=0,
                   codegen_err="", plain_rc=0, plain_err="", occurrences=1):
    fp.register([exe, "--version"], stdout=version, occurrences=occurrences)
    fp.register([exe, *MACROS_CMD], stdout=macros, occurrences=occurrences)
    fp.register([exe, *CPUS_CMD], stderr=CPUS_22, occurrences=occurrences)
    fp.register([exe, *CODEGEN_CMD], returncode=codegen_rc, stderr=codegen_err,
                occurrences=occurrences)
    if codegen_rc:
        fp.register([exe, *CODEGEN_CMD], returncode=plain_rc, stderr=plain_err,
                    occurrences=occurrences)


# ---------------------------------------------------------------- discovery

def test_candidate_order_and_duplicates(isolated, monkeypatch):
    for name in ("clang-9", "clang-18", "clang-22", "clang-tidy-22", "clangd"):
        fake_exe(isolated, name)
    os.symlink(isolated / "clang-22", isolated / "clang")   # same file under two names
    extra = isolated.parent / "bin2"
    extra.mkdir()
    env_clang = fake_exe(extra, "my-clang")
    monkeypatch.setenv("CLANG", env_clang)
    names = [c.name for c in discovery.candidates()]
    assert names == ["$CLANG", "clang", "clang-18", "clang-9"]
    # clang-22 is the file `clang` points at: listed once, under the preferred name
    assert discovery.candidates()[1].binary == str((isolated / "clang-22").resolve())


def test_versioned_names_follow_directory_changes(isolated, monkeypatch):
    """The clang-NN listing of a PATH directory is kept per process only while the directory
    is unchanged: a clang added or removed later is seen on the next look."""
    fake_exe(isolated, "clang-18")
    settled = time.time() - 10                   # the listing of a directory this old is kept
    monkeypatch.setattr(discovery.time, "time_ns", lambda: int((settled + 20) * 1e9))
    assert [c.name for c in discovery.candidates()] == ["clang-18"]
    fake_exe(isolated, "clang-21")
    assert [c.name for c in discovery.candidates()] == ["clang-21", "clang-18"]
    old = os.stat(isolated).st_mtime_ns          # the mtime the last listing was taken at
    fake_exe(isolated, "clang-20")
    os.utime(isolated, ns=(old, old))            # set back (cp -p, tar, rsync -t): ctime moved
    assert [c.name for c in discovery.candidates()] == ["clang-21", "clang-20", "clang-18"]
    os.unlink(isolated / "clang-21")
    assert [c.name for c in discovery.candidates()] == ["clang-20", "clang-18"]


def test_clang_env_may_carry_arguments(isolated, monkeypatch):
    exe = fake_exe(isolated, "zig")
    monkeypatch.setenv("CLANG", "zig clang")
    c = discovery.candidates()[0]
    assert c.argv == (exe, "clang") and c.source == "$CLANG"


def test_ziglang_candidate_uses_zig_clang_with_resource_dir(monkeypatch):
    monkeypatch.undo()      # the real discovery function
    zig = discovery.ziglang_compiler()
    if zig is None:
        pytest.skip("ziglang wheel not installed")
    assert zig.argv[1] == "clang"
    rd = zig.base_flags[zig.base_flags.index("-resource-dir") + 1]
    assert os.path.isfile(os.path.join(rd, "include", "stddef.h"))


def test_no_clang_at_all():
    with pytest.raises(ToolchainError, match="no clang found"):
        probe.choose()


def test_no_clang_at_all_cli_exits_2(capsys):
    assert toolchain_main(["info"]) == 2
    assert "no clang found" in capsys.readouterr().out


def test_clang_env_not_executable(monkeypatch):
    monkeypatch.setenv("CLANG", "/nonexistent/clang-77")
    with pytest.raises(ToolchainError, match=r"\$CLANG='/nonexistent/clang-77' is not an executable"):
        probe.choose()


# ---------------------------------------------------------------- probing (fake processes)

def test_probe_reads_version_cpus_and_feature(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe)
    res = probe.choose()
    assert (res.version, res.major) == ("22.1.8", 22)
    assert res.mcpus == ["generic", "probe", "v1", "v2", "v3", "v4"]
    assert res.default_cpu == "v3"
    assert res.bpf_target and res.r11_asm and not res.stack_arg_feature
    assert res.usable and res.path == "lowered"
    # the r11 probe really fed clang an r11 load and store
    sent = [c for c in fp.calls if list(c) == [exe, *CODEGEN_CMD]]
    assert sent


def test_probe_native_feature(isolated, fp):
    exe = fake_exe(isolated, "clang-23")
    register_clang(fp, exe, version=VERSION_22.replace("22.1.8", "23.1.0"),
                   macros=MACROS_22 + "#define __BPF_FEATURE_STACK_ARGUMENT 1\n")
    res = probe.choose()
    assert res.stack_arg_feature and res.path == "native"


def test_native_compiler_preferred_over_earlier_lowering_one(isolated, fp):
    old = fake_exe(isolated, "clang")
    new = fake_exe(isolated, "clang-23")
    register_clang(fp, old)
    register_clang(fp, new, macros=MACROS_22 + "#define __BPF_FEATURE_STACK_ARGUMENT 1\n")
    assert probe.choose().compiler.argv == (new,)


def test_clang_without_bpf_target(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe, codegen_rc=1, codegen_err=NO_TARGET, occurrences=2)
    res = probe.probe(discovery.candidates()[0])
    assert not res.usable and not res.bpf_target
    assert res.problem.startswith("no BPF backend: error: unable to create target")
    with pytest.raises(ToolchainError, match=r"no usable clang for BPF \(clang-22: no BPF backend"):
        probe.choose()


def test_bpf_target_but_assembler_rejects_r11(isolated, fp):
    exe = fake_exe(isolated, "clang-16")
    err = "<inline asm>:1:1: error: invalid register/token name\n"
    register_clang(fp, exe, version=VERSION_22.replace("22.1.8", "16.0.6"),
                   codegen_rc=1, codegen_err=err, plain_rc=0)
    res = probe.probe(discovery.candidates()[0])
    assert res.bpf_target and not res.r11_asm and not res.usable
    assert "rejects r11" in res.problem


def test_old_version(isolated, fp):
    exe = fake_exe(isolated, "clang-10")
    fp.register([exe, "--version"], stdout="clang version 10.0.0-4ubuntu1\nTarget: x86_64-pc-linux-gnu\n")
    res = probe.probe(discovery.candidates()[0])
    assert res.major == 10 and not res.usable
    assert res.problem == f"clang 10.0.0 is too old (need {probe.MIN_MAJOR} or newer)"
    assert len(fp.calls) == 1       # nothing else is asked of a compiler that old


def test_not_a_clang(isolated, fp):
    exe = fake_exe(isolated, "clang")
    fp.register([exe, "--version"], stdout="gcc (Debian 12.2.0-14) 12.2.0\n")
    res = probe.probe(discovery.candidates()[0])
    assert not res.usable and "not a clang" in res.problem


def test_crashing_compiler_is_reported_and_not_cached(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    fp.register([exe, "--version"], returncode=-11)     # killed by SIGSEGV
    with pytest.raises(ToolchainError, match=r"clang-22: crashed \(SIGSEGV\) running --version"):
        probe.choose()
    # a crash may be transient: the next probe must run the compiler again
    register_clang(fp, exe)
    assert probe.choose().usable


def test_compiler_crashing_mid_probe(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    fp.register([exe, "--version"], stdout=VERSION_22)
    fp.register([exe, *MACROS_CMD], returncode=-6)      # SIGABRT, e.g. an LLVM assertion
    res = probe.probe(discovery.candidates()[0])
    assert res.transient and not res.usable
    assert "crashed (SIGABRT)" in res.problem


def test_compiler_that_cannot_be_executed(isolated):
    exe = isolated / "clang-22"
    exe.write_bytes(b"\x7fELF garbage")     # not a loadable program: exec fails for real
    exe.chmod(0o755)
    res = probe.probe(discovery.candidates()[0])
    assert not res.usable and res.problem.startswith("cannot run")


# ---------------------------------------------------------------- the cache

def test_second_probe_spawns_nothing(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe)
    first = probe.choose()
    n = len(fp.calls)
    assert n == 4 and not first.cached
    second = probe.choose()         # fp has nothing registered any more: any spawn would fail
    assert len(fp.calls) == n
    assert second.cached and second.to_json() | {"cached": False} == first.to_json()
    data = json.loads(probe.cache_file().read_text())
    assert data["schema"] == probe.CACHE_SCHEMA and len(data["entries"]) == 1


def test_changed_binary_is_probed_again(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe)
    probe.choose()
    st = os.stat(exe)
    os.utime(exe, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    register_clang(fp, exe, version=VERSION_22.replace("22.1.8", "22.1.9"))
    res = probe.choose()
    assert res.version == "22.1.9" and not res.cached
    entries = json.loads(probe.cache_file().read_text())["entries"]
    assert len(entries) == 1        # the stale entry for the old build was dropped


def test_refresh_ignores_cache(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe, occurrences=2)
    probe.probe_all()
    [res] = probe.probe_all(refresh=True)
    assert len(fp.calls) == 8 and not res.cached


def test_corrupt_cache_is_ignored(isolated, fp):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe)
    probe.cache_file().parent.mkdir(parents=True)
    probe.cache_file().write_text("{not json")
    assert probe.choose().usable
    assert json.loads(probe.cache_file().read_text())["schema"] == probe.CACHE_SCHEMA


def test_unwritable_cache_only_costs_speed(isolated, fp, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))   # a file, so mkdir fails
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe)
    assert probe.choose().usable


def test_clang_env_is_used_or_refused_never_replaced(isolated, fp, monkeypatch):
    good = fake_exe(isolated, "clang-22")
    bad = fake_exe(isolated, "clang-12")
    register_clang(fp, good)
    fp.register([bad, "--version"], stdout="clang version 12.0.1\n")
    monkeypatch.setenv("CLANG", bad)
    with pytest.raises(ToolchainError, match=r"\$CLANG=.*clang-12' cannot compile BPF: clang 12.0.1 is too old"):
        probe.choose()


# ---------------------------------------------------------------- info CLI

def test_info_json_lists_candidates(isolated, fp, capsys):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe)
    old = fake_exe(isolated, "clang-11")
    fp.register([old, "--version"], stdout="clang version 11.1.0\n")
    assert toolchain_main(["info", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["chosen"]["compiler"]["argv"] == [exe]
    assert [c["compiler"]["name"] for c in doc["candidates"]] == ["clang-22", "clang-11"]
    assert [c["usable"] for c in doc["candidates"]] == [True, False]


def test_info_text_table(isolated, fp, capsys):
    exe = fake_exe(isolated, "clang-22")
    register_clang(fp, exe)
    assert toolchain_main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"chosen: clang-22 = {exe} (clang 22.1.8, lowered path)")
    assert any(line.startswith("*") and "ok (lowered)" in line for line in out.splitlines())


# ---------------------------------------------------------------- real compilers

def _macros(cmd: list[str]) -> str:
    return subprocess.run([*cmd, "--target=bpf", "-dM", "-E", "-x", "c", os.devnull],
                          capture_output=True, text=True, check=True).stdout


def test_real_clang22(clang22, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(clang22))
    [res] = [r for r in probe.probe_all() if r.compiler.argv == (clang22,)]
    banner = subprocess.run([clang22, "--version"], capture_output=True, text=True).stdout
    assert f"clang version {res.version}" in banner
    assert res.usable and res.bpf_target and res.r11_asm
    assert res.stack_arg_feature == ("__BPF_FEATURE_STACK_ARGUMENT" in _macros([clang22]))
    assert {"v1", "v2", "v3", "v4"} <= set(res.mcpus)


def test_real_ziglang(monkeypatch):
    monkeypatch.undo()
    zig = discovery.ziglang_compiler()
    if zig is None:
        pytest.skip("ziglang wheel not installed")
    res = probe.probe(zig)
    assert res.usable, res.problem
    assert res.stack_arg_feature == ("__BPF_FEATURE_STACK_ARGUMENT" in _macros(list(zig.argv)))
    assert "v3" in res.mcpus


def test_info_cli_runs_for_real(monkeypatch, tmp_path):
    monkeypatch.undo()      # the real PATH and ziglang
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("CLANG", None)
    proc = subprocess.run([sys.executable, "-m", "toolchain", "info", "--json"],
                          capture_output=True, text=True, cwd=root, env=env)
    assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    assert (proc.returncode == 0) == (doc["chosen"] is not None)
    if shutil.which("clang-22"):
        assert any(c["compiler"]["name"] == "clang-22" and c["usable"] for c in doc["candidates"])


def test_check_subcommand_plugs_in(monkeypatch):
    """toolchain/check.py (written separately) only needs add_parser(sub) and run(args)."""
    import types
    seen = []
    mod = types.ModuleType("toolchain.check")
    mod.add_parser = lambda sub: sub.add_parser("check").add_argument("--level", default="2")
    mod.run = lambda args: seen.append(args.level) or 1
    monkeypatch.setitem(sys.modules, "toolchain.check", mod)
    assert toolchain_main(["check", "--level", "0"]) == 1
    assert seen == ["0"]


def test_cli_errors_are_one_line(monkeypatch, capsys):
    import types
    from toolchain.errors import CompileError
    mod = types.ModuleType("toolchain.check")
    mod.add_parser = lambda sub: sub.add_parser("check")

    def fail(args):
        raise CompileError("x.c:1:2: error: nope", location="x.c:1:2")
    mod.run = fail
    monkeypatch.setitem(sys.modules, "toolchain.check", mod)
    assert toolchain_main(["check"]) == 1
    assert capsys.readouterr().err == "error: x.c:1:2: error: nope\n"
