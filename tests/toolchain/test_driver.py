"""The compile driver: flags, both paths, emit kinds, headers, error mapping.

Oracles: the objects are inspected with llvm-objdump-22 and bpftool (not with our
own ELF/BTF code); diagnostic locations are computed from the source text; the
helper IDs in our shipped bpf_helper_defs.h are checked against the kernel's uapi
``enum bpf_func_id``. The lowering itself is replaced by an identity function
(toolchain.lower has its own tests), so these tests cover only the driver's half.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from toolchain import discovery, driver, irtext, probe
from toolchain.driver import CompileOptions, compile_c
from toolchain.errors import CompileError, ToolchainError

FIVE_ARGS = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int add5(int a, int b, int c, int d, int e)
{
	return a + b + c + d + e;
}

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return add5(1, 2, 3, 4, (int)bpf_get_prandom_u32());
}

char LICENSE[] SEC("license") = "GPL";
"""

MACROS_VISIBLE = r"""
#ifndef __BPF_FEATURE_STACK_ARGUMENT
#error "__BPF_FEATURE_STACK_ARGUMENT is not defined"
#endif
#ifndef __TARGET_ARCH_x86
#error "__TARGET_ARCH_x86 is not defined"
#endif
int feature = __BPF_FEATURE_STACK_ARGUMENT;
"""


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CLANG", raising=False)


@pytest.fixture
def zig() -> probe.ProbeResult:
    c = discovery.ziglang_compiler()
    if c is None:
        pytest.skip("ziglang wheel not installed")
    res = probe.probe_cached(c)
    assert res.usable, res.problem
    return res


class FakeLowering:
    """Stands in for toolchain.lower: records its calls, returns ``transform(ir)``."""

    def __init__(self):
        self.calls = []
        self.transform = lambda ir: ir

    def lower_module(self, ir_text, *, mcpu="v3", opt_level="2"):
        self.calls.append({"ir": ir_text, "mcpu": mcpu, "opt_level": opt_level})
        return self.transform(ir_text)


@pytest.fixture
def lowering(monkeypatch) -> FakeLowering:
    fake = FakeLowering()
    mod = types.ModuleType("toolchain.lower")
    mod.lower_module = fake.lower_module
    monkeypatch.setitem(sys.modules, "toolchain.lower", mod)
    return fake


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def sections(objdump: str, obj: Path) -> set[str]:
    out = subprocess.run([objdump, "-h", str(obj)], capture_output=True, text=True, check=True).stdout
    return {line.split()[1] for line in out.splitlines() if re.match(r"\s*\d+ \S", line)}


def btf_param_count(bpftool: str, obj: Path, func: str) -> int:
    dump = subprocess.run([bpftool, "btf", "dump", "file", str(obj)],
                          capture_output=True, text=True, check=True).stdout
    m = re.search(rf"^\[\d+\] FUNC '{func}' type_id=(\d+)", dump, re.M)
    assert m, dump
    proto = re.search(rf"^\[{m.group(1)}\] FUNC_PROTO '\(anon\)' ret_type_id=\d+ vlen=(\d+)", dump, re.M)
    return int(proto.group(1))


# ---------------------------------------------------------------- real compiles

@pytest.mark.parametrize("path", ["native", "lowered"])
def test_object_with_btf(clang, lowering, objdump22, bpftool, tmp_path, path):
    src = write(tmp_path, "five.c", FIVE_ARGS)
    out = tmp_path / "five.o"
    res = compile_c(src, out, CompileOptions(path=path), compiler=clang)
    assert (res.output, res.path, res.emitted, res.compiler.name) == (out, path, "obj", "clang-22")
    assert {".BTF", ".BTF.ext", "xdp", ".text"} <= sections(objdump22, out)
    assert btf_param_count(bpftool, out, "add5") == 5
    if path == "lowered":
        [call] = lowering.calls
        assert 'target triple = "bpf"' in call["ir"] and "@add5" in call["ir"]
        assert (call["opt_level"], call["mcpu"]) == ("2", "v3")
        # IR the lowering leaves alone is not compiled as IR: the object is the C source's
        # own `clang -c` (after the IR step, or before it when one run was tried first)
        assert len(res.commands) == 2 and "-emit-llvm" in " ".join(res.commands[0] + res.commands[1])
        assert str(src) in res.commands[-1] and "-disable-llvm-passes" not in res.commands[-1]
        lowering.transform = lambda ir: ir + "\n; rewritten\n"
        res = compile_c(src, out, CompileOptions(path=path), compiler=clang)
        assert "-disable-llvm-passes" in res.commands[-1] and "-emit-llvm" in res.commands[-2]
    else:
        assert lowering.calls == [] and len(res.commands) == 1


def test_flags_reach_clang(clang, tmp_path):
    src = write(tmp_path, "five.c", FIVE_ARGS)
    res = compile_c(src, tmp_path / "o.o", CompileOptions(path="native", opt_level="1", mcpu="v4",
                                                          defines=["X=1"], include_dirs=[str(tmp_path)]),
                    compiler=clang)
    cmd = res.commands[0]
    for flag in ("--target=bpf", "-g", "-O1", "-mcpu=v4", "-DX=1", f"-I{tmp_path}",
                 "-D__TARGET_ARCH_x86", "-D__BPF_FEATURE_STACK_ARGUMENT=1"):
        assert flag in cmd


@pytest.mark.parametrize("path,opt", [("native", "2"), ("lowered", "2"), ("lowered", "0")])
def test_feature_and_arch_macros_are_visible(clang, lowering, tmp_path, path, opt):
    src = write(tmp_path, "m.c", MACROS_VISIBLE)
    compile_c(src, tmp_path / "m.o", CompileOptions(path=path, opt_level=opt), compiler=clang)
    assert (tmp_path / "m.o").read_bytes()[:4] == b"\x7fELF"


def test_user_arch_macro_replaces_ours(clang, tmp_path):
    src = write(tmp_path, "a.c", "#ifdef __TARGET_ARCH_x86\n#error x86\n#endif\nint x;\n")
    compile_c(src, tmp_path / "a.o", CompileOptions(path="native", defines=["__TARGET_ARCH_arm64"]),
              compiler=clang)


@pytest.mark.parametrize("path", ["native", "lowered"])
def test_emit_asm(clang, lowering, tmp_path, path):
    src = write(tmp_path, "five.c", FIVE_ARGS)
    out = tmp_path / "five.s"
    res = compile_c(src, out, CompileOptions(path=path, emit="asm"), compiler=clang)
    text = out.read_text()
    assert res.emitted == "asm"
    assert re.search(r"^add5:", text, re.M) and re.search(r"^\s+exit$", text, re.M)


def test_emit_ir_is_the_lowered_ir(clang, lowering, tmp_path):
    lowering.transform = lambda ir: ir + "\n; lowered by the test\n"
    src = write(tmp_path, "five.c", FIVE_ARGS)
    out = tmp_path / "five.ll"
    compile_c(src, out, CompileOptions(path="lowered", emit="ir"), compiler=clang)
    text = out.read_text()
    assert text.endswith("; lowered by the test\n") and 'target triple = "bpf"' in text


def test_native_emit_ir(clang, tmp_path):
    src = write(tmp_path, "five.c", FIVE_ARGS)
    compile_c(src, tmp_path / "five.ll", CompileOptions(path="native", emit="ir"), compiler=clang)
    text = (tmp_path / "five.ll").read_text()
    assert 'target triple = "bpf"' in text and re.search(r"^define internal .*@add5\(", text, re.M)


def test_lowering_error_propagates(clang, lowering, tmp_path):
    def refuse(ir):
        raise CompileError("function f: indirect call with 6 arguments; stack arguments need a direct call")
    lowering.transform = refuse
    src = write(tmp_path, "five.c", FIVE_ARGS)
    with pytest.raises(CompileError, match="indirect call with 6 arguments"):
        compile_c(src, tmp_path / "five.o", CompileOptions(path="lowered"), compiler=clang)
    assert not (tmp_path / "five.o").exists()


def test_auto_path_follows_probe(clang, lowering, tmp_path):
    src = write(tmp_path, "five.c", FIVE_ARGS)
    res = compile_c(src, tmp_path / "five.o", compiler=clang)
    assert res.path == ("native" if clang.stack_arg_feature else "lowered")


def test_default_compiler_is_chosen(clang22, lowering, tmp_path):
    src = write(tmp_path, "five.c", FIVE_ARGS)
    res = compile_c(src, tmp_path / "five.o")
    assert res.compiler_version is not None and (tmp_path / "five.o").is_file()


def test_ziglang_clang_compiles_bpf(zig, lowering, objdump22, tmp_path):
    src = write(tmp_path, "five.c", FIVE_ARGS + MACROS_VISIBLE)
    for path in ("native", "lowered"):
        out = tmp_path / f"five-{path}.o"
        compile_c(src, out, CompileOptions(path=path), compiler=zig)
        assert {".BTF", ".BTF.ext", "xdp"} <= sections(objdump22, out)


# ---------------------------------------------------------------- diagnostics

def test_clang_diagnostic_reaches_user_verbatim(clang, tmp_path):
    text = "int f(int x)\n{\n\treturn x + undeclared_y;\n}\n"
    src = write(tmp_path, "bad.c", text)
    line = 3
    col = text.splitlines()[line - 1].index("undeclared_y") + 1
    with pytest.raises(CompileError) as info:
        compile_c(src, tmp_path / "bad.o", CompileOptions(path="native"), compiler=clang)
    assert info.value.location == f"{src}:{line}:{col}"
    assert f"{src}:{line}:{col}: error: use of undeclared identifier 'undeclared_y'" in info.value.message


def test_lowered_path_reports_c_diagnostics_before_lowering(clang, lowering, tmp_path):
    src = write(tmp_path, "bad.c", "int f(void) { return nope; }\n")
    with pytest.raises(CompileError) as info:
        compile_c(src, tmp_path / "bad.o", CompileOptions(path="lowered"), compiler=clang)
    assert info.value.location == f"{src}:1:22" and lowering.calls == []


def test_bad_flag_is_a_toolchain_error(clang, tmp_path):
    src = write(tmp_path, "ok.c", "int x;\n")
    with pytest.raises(ToolchainError, match="unknown argument: '-fno-such-flag'"):
        compile_c(src, tmp_path / "ok.o", CompileOptions(path="native", extra_flags=["-fno-such-flag"]),
                  compiler=clang)


def _fake_probe(exe: str) -> probe.ProbeResult:
    c = discovery.Compiler("clang-22", (exe,), exe, "PATH")
    return probe.ProbeResult(c, version="22.1.8", major=22, bpf_target=True, r11_asm=True,
                             mcpus=["generic", "probe", "v1", "v2", "v3", "v4"])


def test_fake_diagnostic_passthrough(fp, tmp_path):
    src = write(tmp_path, "six.c", "int g(int,int,int,int,int,int);\nint h(int x){return g(x,1,2,3,4,5);}\n")
    # what clang 22 prints for a sixth argument (copied from a real run)
    diag = (f"{src}:2:5: error: 0x560675f6ffb0: i64 = GlobalAddress<ptr @g> 0 too many arguments\n"
            "    2 | int h(int x){return g(x,1,2,3,4,5);}\n      |     ^\n1 error generated.\n")
    fp.register(["/fake/clang-22", fp.any()], returncode=1, stderr=diag)
    with pytest.raises(CompileError) as info:
        compile_c(src, tmp_path / "six.o", CompileOptions(path="native"), compiler=_fake_probe("/fake/clang-22"))
    assert info.value.message == diag.strip()
    assert info.value.location == f"{src}:2:5"


def test_compiler_crash_while_compiling(fp, tmp_path):
    src = write(tmp_path, "x.c", "int x;\n")
    fp.register(["/fake/clang-22", fp.any()], returncode=-11)
    with pytest.raises(CompileError, match=r"clang-22 crashed \(SIGSEGV\) compiling"):
        compile_c(src, tmp_path / "x.o", CompileOptions(path="native"), compiler=_fake_probe("/fake/clang-22"))


@pytest.mark.parametrize("opts,message", [
    (CompileOptions(mcpu="v9"), r"-mcpu=v9 is not supported by clang-22 \(supported: generic, probe, v1"),
    (CompileOptions(defines=["1BAD"]), r"invalid -D '1BAD': expected NAME or NAME=VALUE"),
    (CompileOptions(opt_level="5"), r"invalid optimisation level '5'"),
    (CompileOptions(emit="exe"), r"invalid emit kind 'exe'"),
    (CompileOptions(path="fast"), r"invalid compile path 'fast'"),
    (CompileOptions(include_dirs=["/nonexistent/inc"]), r"include directory not found: /nonexistent/inc"),
])
def test_bad_options_spawn_nothing(fp, tmp_path, opts, message):
    src = write(tmp_path, "x.c", "int x;\n")
    with pytest.raises(ToolchainError, match=message):
        compile_c(src, tmp_path / "x.o", opts, compiler=_fake_probe("/fake/clang-22"))
    assert len(fp.calls) == 0


def test_missing_source_and_output_dir(fp, tmp_path):
    fake = _fake_probe("/fake/clang-22")
    with pytest.raises(ToolchainError, match="cannot read .*nope.c: no such file"):
        compile_c(tmp_path / "nope.c", tmp_path / "x.o", compiler=fake)
    src = write(tmp_path, "x.c", "int x;\n")
    with pytest.raises(ToolchainError, match="directory .*missing does not exist"):
        compile_c(src, tmp_path / "missing" / "x.o", compiler=fake)
    assert len(fp.calls) == 0


def test_unusable_compiler_is_refused(tmp_path):
    bad = _fake_probe("/fake/clang-22")
    bad.problem = "no BPF backend: error: unable to create target"
    src = write(tmp_path, "x.c", "int x;\n")
    with pytest.raises(ToolchainError, match="clang-22 cannot compile BPF: no BPF backend"):
        compile_c(src, tmp_path / "x.o", compiler=bad)


def test_opt_level_spellings(fp, tmp_path):
    src = write(tmp_path, "x.c", "int x;\n")
    fp.register(["/fake/clang-22", fp.any()], occurrences=3)
    for spelled in ("-Os", "Os", "s"):
        res = compile_c(src, tmp_path / "x.o", CompileOptions(path="native", opt_level=spelled),
                        compiler=_fake_probe("/fake/clang-22"))
        assert "-Os" in res.commands[0]


def test_codegen_step_keeps_only_codegen_flags():
    assert driver.codegen_flags(["-Wall", "-mllvm", "-bpf-expand-memcpy-in-order", "-std=gnu11",
                                 "-mlittle-endian"]) == ["-mllvm", "-bpf-expand-memcpy-in-order",
                                                         "-mlittle-endian"]


# ---------------------------------------------------------------- headers

def test_header_flags_fall_back_to_shipped_subset(tmp_path):
    with_libbpf = tmp_path / "sys1"
    (with_libbpf / "bpf").mkdir(parents=True)
    (with_libbpf / "bpf" / "bpf_helpers.h").write_text("")
    without = tmp_path / "sys2"
    without.mkdir()
    assert driver.header_flags([with_libbpf]) == ["-idirafter", str(with_libbpf)]
    assert driver.header_flags([without]) == ["-idirafter", str(without),
                                              "-idirafter", str(driver.SHIPPED_INCLUDE)]


def test_system_libbpf_wins_when_installed(clang, tmp_path):
    if not Path("/usr/include/bpf/bpf_helpers.h").is_file():
        pytest.skip("libbpf-dev headers not installed")
    src = write(tmp_path, "h.c", FIVE_ARGS + "#ifdef __STACKARGS_BPF_HELPER_DEFS_H\n#error ours\n#endif\n")
    compile_c(src, tmp_path / "h.o", CompileOptions(path="native"), compiler=clang)


SHIPPED_PROGRAM = r"""
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#ifndef __STACKARGS_BPF_HELPER_DEFS_H
#error "not our shipped headers"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("fentry/x") int BPF_PROG(fe, int a, long b, int c) { return a + b + c; }
SEC("kprobe/x") int BPF_KPROBE(kp, int a, long b) { bpf_printk("%d %ld", a, b); bpf_printk("%d %d %d %d", a, a, a, a); return a; }
SEC("kretprobe/x") int BPF_KRETPROBE(kr, int rc) { return rc; }

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		*v += bpf_ktime_get_ns();
	return bpf_ntohs(0x1234) == 0x3412 && bpf_htonl(ctx->data) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
"""


def test_shipped_headers_when_no_system_libbpf(clang, bpftool, monkeypatch, tmp_path):
    # A system include dir holding only the kernel uapi headers, not libbpf's.
    sysinc = tmp_path / "sysinc"
    sysinc.mkdir()
    multiarch = [d for d in driver.system_include_dirs() if d != Path("/usr/include")]
    for name, base in (("linux", Path("/usr/include")), ("asm-generic", Path("/usr/include")),
                       ("asm", multiarch[0] if multiarch else Path("/usr/include"))):
        if not (base / name).is_dir():
            pytest.skip(f"kernel uapi headers missing: {base / name}")
        os.symlink(base / name, sysinc / name)
    monkeypatch.setattr(driver, "system_include_dirs", lambda: [sysinc])
    src = write(tmp_path, "p.c", SHIPPED_PROGRAM)
    out = tmp_path / "p.o"
    compile_c(src, out, CompileOptions(path="native", extra_flags=["-nostdinc", "-Wall", "-Werror"]),
              compiler=clang)
    dump = subprocess.run([bpftool, "btf", "dump", "file", str(out)], capture_output=True,
                          text=True, check=True).stdout
    assert "VAR 'counts'" in dump and "FUNC 'kp'" in dump and "FUNC 'fe'" in dump


def test_shipped_helper_ids_match_kernel_uapi(clang22, tmp_path):
    """Every helper we declare has the ID of its BPF_FUNC_* in the kernel's enum bpf_func_id."""
    if not Path("/usr/include/linux/bpf.h").is_file():
        pytest.skip("linux-libc-dev (uapi headers) not installed")
    src = write(tmp_path, "ids.c", "#include <linux/bpf.h>\n")
    flags = [f for d in driver.system_include_dirs() for f in ("-idirafter", str(d))]
    pre = subprocess.run([clang22, "--target=bpf", "-E", *flags, str(src)],
                         capture_output=True, text=True, check=True).stdout
    body = re.search(r"enum bpf_func_id\s*\{(.*?)\}", pre, re.S).group(1)
    uapi = [name.strip().split("=")[0].strip() for name in body.split(",") if name.strip()]
    assert uapi[:3] == ["BPF_FUNC_unspec", "BPF_FUNC_map_lookup_elem", "BPF_FUNC_map_update_elem"]
    ids = {n[len("BPF_FUNC_"):]: i for i, n in enumerate(uapi) if n.startswith("BPF_FUNC_")}
    ours = re.findall(r"\(\* const bpf_(\w+)\)\(.*?\) = \(void \*\) (\d+);",
                      (driver.SHIPPED_INCLUDE / "bpf" / "bpf_helper_defs.h").read_text())
    assert len(ours) >= 50
    wrong = {name: (int(num), ids.get(name)) for name, num in ours if ids.get(name) != int(num)}
    assert wrong == {}


def test_compiler_object_is_probed(clang22, tmp_path):
    c = discovery.Compiler("clang-22", (clang22,), os.path.realpath(clang22), "PATH")
    src = write(tmp_path, "x.c", "int x;\n")
    res = compile_c(src, tmp_path / "x.o", CompileOptions(path="native"), compiler=c)
    assert res.compiler == c and res.compiler_version.startswith("22.")


# ---------------------------------------------------------------- flag pass-through (cflags)

def force_ir_codegen(lowering: FakeLowering, path: str, monkeypatch) -> None:
    """Make the fake lowering run and rewrite the IR, so the lowered path compiles IR
    (untouched IR would be compiled from the C source instead)."""
    if path == "lowered":
        monkeypatch.setattr(irtext, "may_need_lowering", lambda text: True)
        lowering.transform = lambda ir: ir + "\n; rewritten\n"


def _both(res: driver.CompileResult) -> tuple[list[str], list[str] | None]:
    """(the C compile's command, the IR codegen command or None: the native path, or
    nothing lowered, when the object is the C source's own `clang -c`)."""
    back = res.commands[-1] if "-disable-llvm-passes" in res.commands[-1] else None
    return res.commands[0], back


@pytest.mark.parametrize("path", ["native", "lowered"])
def test_warning_flags_pass_through(clang, lowering, monkeypatch, tmp_path, path):
    force_ir_codegen(lowering, path, monkeypatch)
    src = write(tmp_path, "w.c", "int f(int *p, long *q) { return p == q; }\n")
    res = compile_c(src, tmp_path / "w.o", CompileOptions(path=path, one_step=False, cflags=("-Wall",)), compiler=clang)
    assert "comparison of distinct pointer types" in res.warnings
    with pytest.raises(CompileError, match="comparison of distinct pointer types"):
        compile_c(src, tmp_path / "w.o", CompileOptions(path=path, one_step=False, cflags=("-Wall", "-Werror")), compiler=clang)
    res = compile_c(src, tmp_path / "w.o",
                    CompileOptions(path=path, one_step=False, cflags=("-Werror", "-Wno-compare-distinct-pointer-types")),
                    compiler=clang)
    front, back = _both(res)
    assert (back is not None) == (path == "lowered")
    assert "-Wno-compare-distinct-pointer-types" in front and "-Werror" in front
    if back is not None:                         # warnings are for the C step only
        assert "-Werror" not in back and "-Wno-compare-distinct-pointer-types" not in back


@pytest.mark.parametrize("path", ["native", "lowered"])
def test_std_flag_passes_through(clang, lowering, monkeypatch, tmp_path, path):
    force_ir_codegen(lowering, path, monkeypatch)
    src = write(tmp_path, "s.c", "#if __STDC_VERSION__ != 201112L\n#error not C11\n#endif\n"
                                 "#ifndef __STRICT_ANSI__\n#error not strict\n#endif\nint x;\n")
    res = compile_c(src, tmp_path / "s.o", CompileOptions(path=path, one_step=False, cflags=("-std=c11",)), compiler=clang)
    front, back = _both(res)
    assert (back is not None) == (path == "lowered")
    assert "-std=c11" in front and (back is None or "-std=c11" not in back)
    with pytest.raises(CompileError, match="not strict"):
        compile_c(src, tmp_path / "s.o", CompileOptions(path=path, one_step=False, cflags=("-std=gnu11",)), compiler=clang)


@pytest.mark.parametrize("path", ["native", "lowered"])
def test_f_m_g_flags_pass_through(clang, lowering, monkeypatch, objdump22, tmp_path, path):
    force_ir_codegen(lowering, path, monkeypatch)
    src = write(tmp_path, "five.c", FIVE_ARGS)
    flags = ("-fno-strict-aliasing", "-mlittle-endian", "-gdwarf-4", "-fno-unroll-loops")
    res = compile_c(src, tmp_path / "f.o", CompileOptions(path=path, one_step=False, cflags=flags), compiler=clang)
    front, back = _both(res)
    assert (back is not None) == (path == "lowered")
    assert all(f in front for f in flags)
    if back is not None:                         # codegen keeps target and debug-format flags
        assert "-mlittle-endian" in back and "-gdwarf-4" in back
        assert "-fno-strict-aliasing" not in back and "-fno-unroll-loops" not in back
    assert {".BTF", "xdp"} <= sections(objdump22, tmp_path / "f.o")


@pytest.mark.parametrize("path", ["native", "lowered"])
def test_search_path_and_include_flags_pass_through(clang, lowering, monkeypatch, tmp_path, path):
    force_ir_codegen(lowering, path, monkeypatch)
    after, system = tmp_path / "after", tmp_path / "system"
    after.mkdir()
    system.mkdir()
    (after / "only_after.h").write_text("#define FROM_AFTER 1\n")
    (system / "only_system.h").write_text("#define FROM_SYSTEM 2\n")
    forced = write(tmp_path, "forced.h", "#define FORCED 3\n")
    src = write(tmp_path, "i.c", "#include <only_after.h>\n#include <only_system.h>\n"
                                 "int x = FROM_AFTER + FROM_SYSTEM + FORCED;\n")
    flags = ("-idirafter", str(after), "-isystem", str(system), "-include", str(forced))
    res = compile_c(src, tmp_path / "i.o", CompileOptions(path=path, one_step=False, cflags=flags), compiler=clang)
    front, back = _both(res)
    assert (back is not None) == (path == "lowered")
    i = front.index("-idirafter")
    assert front[i:i + 6] == list(flags)         # verbatim, in order, before our header dirs
    if back is not None:
        assert not set(flags) & set(back)


def test_extra_flags_spelling_still_works(clang, tmp_path):
    src = write(tmp_path, "five.c", FIVE_ARGS)
    res = compile_c(src, tmp_path / "x.o", CompileOptions(path="native", cflags=("-Wall",),
                                                          extra_flags=["-Wextra"]), compiler=clang)
    cmd = res.commands[0]
    assert cmd.index("-Wall") < cmd.index("-Wextra")


def test_command_lines_are_shell_quoted(fp, tmp_path):
    src = write(tmp_path, "x.c", "int x;\n")
    fp.register(["/fake/clang-22", fp.any()])
    res = compile_c(src, tmp_path / "x.o", CompileOptions(path="native", cflags=("-DMSG=a b",)),
                    compiler=_fake_probe("/fake/clang-22"))
    [line] = res.command_lines()
    assert line.startswith("/fake/clang-22 --target=bpf ") and "'-DMSG=a b'" in line


@pytest.mark.parametrize("flags,named", [
    (("-o", "other.o"), "-o"), (("-ofoo.o",), "-ofoo.o"), (("-c",), "-c"), (("-S",), "-S"),
    (("-E",), "-E"), (("-emit-llvm",), "-emit-llvm"), (("--target=x86_64-linux-gnu",), "--target=x86_64-linux-gnu"),
    (("-target", "bpf"), "-target"), (("-O3",), "-O3"), (("-mcpu=v4",), "-mcpu=v4"), (("-g0",), "-g0"),
    (("-Wall", "-c"), "-c"),
])
@pytest.mark.parametrize("field_name", ["cflags", "extra_flags"])
def test_driver_owned_flags_are_refused(fp, tmp_path, flags, named, field_name):
    src = write(tmp_path, "x.c", "int x;\n")
    opts = CompileOptions(path="native", **{field_name: flags if field_name == "cflags" else list(flags)})
    with pytest.raises(ToolchainError, match=rf"clang flag {re.escape(named)} is set by the compile driver"):
        compile_c(src, tmp_path / "x.o", opts, compiler=_fake_probe("/fake/clang-22"))
    assert len(fp.calls) == 0


def test_values_of_flags_are_not_mistaken_for_flags(fp, tmp_path):
    src = write(tmp_path, "x.c", "int x;\n")
    fp.register(["/fake/clang-22", fp.any()])
    compile_c(src, tmp_path / "x.o", CompileOptions(path="native", cflags=("-include", "-c", "-mllvm", "-O3")),
              compiler=_fake_probe("/fake/clang-22"))
    with pytest.raises(ToolchainError, match="clang flag -idirafter needs a value"):
        compile_c(src, tmp_path / "x.o", CompileOptions(path="native", cflags=("-idirafter",)),
                  compiler=_fake_probe("/fake/clang-22"))
    with pytest.raises(ToolchainError, match="not the string"):
        compile_c(src, tmp_path / "x.o", CompileOptions(path="native", cflags="-Wall"),
                  compiler=_fake_probe("/fake/clang-22"))


# ---------------------------------------------------------------- libbpf compatibility headers

MODERN_PROGRAM = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, long);
	__ulong(map_extra, 1ULL << 40);
} arr SEC(".maps");

extern void bpf_rcu_read_lock(void) __ksym __weak;
extern int cfg_value __kconfig __weak;
struct task { int pid; } __attribute__((preserve_access_index));

__noinline __hidden int glob(void *ctx __arg_ctx, long *p __arg_nonnull, long *q __arg_nullable)
{
	return (q ? *q : 0) + *p + (ctx != 0);
}

__noinline int trusted(struct task *t __arg_trusted, long *u __arg_untrusted, void *a __arg_arena)
{
	return t != 0 && u != 0 && a != 0;
}

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	long v = 3, sum = 0;
	int i, n = 0;

	bpf_for(i, 0, 5)
		sum += i;
	bpf_repeat(3)
		n++;
	while (can_loop) {
		if (++n > 20)
			break;
	}
	for (;;) {
		cond_break;
		if (++n > 30)
			break;
	}
	if (bpf_ksym_exists(bpf_rcu_read_lock))
		sum++;
	if (likely(bpf_core_type_exists(struct task)))
		sum += bpf_core_field_size(struct task, pid);
	return glob(ctx, &v, 0) + sum + n + cfg_value + trusted(0, 0, 0);
}
char LICENSE[] SEC("license") = "GPL";
"""


@pytest.mark.parametrize("path", ["native", "lowered"])
def test_modern_libbpf_macros_build_against_system_libbpf(clang, lowering, bpftool, objdump22, tmp_path, path):
    if not Path("/usr/include/bpf/bpf_helpers.h").is_file():
        pytest.skip("libbpf-dev headers not installed")
    src = write(tmp_path, "m.c", MODERN_PROGRAM
                + "#ifdef __STACKARGS_BPF_HELPER_DEFS_H\n#error not the system libbpf\n#endif\n")
    out = tmp_path / "m.o"
    compile_c(src, out, CompileOptions(path=path, cflags=("-Wall", "-Werror")), compiler=clang)
    dump = subprocess.run([bpftool, "btf", "dump", "file", str(out)], capture_output=True,
                          text=True, check=True).stdout
    for tag in ("ctx", "nonnull", "nullable", "trusted", "untrusted", "arena"):
        assert f"DECL_TAG 'arg:{tag}'" in dump
    for name in ("bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy", "bpf_rcu_read_lock"):
        assert re.search(rf"FUNC '{name}' type_id=\d+ linkage=extern", dump), name
    text = subprocess.run([objdump22, "-d", str(out)], capture_output=True, text=True, check=True).stdout
    assert text.count("may_goto") == 2


def _core_relo_kinds(obj: Path) -> list[int]:
    """The kind of every CO-RE relocation in .BTF.ext (read with pyelftools + struct)."""
    import struct

    from elftools.elf.elffile import ELFFile

    with open(obj, "rb") as fh:
        ext = ELFFile(fh).get_section_by_name(".BTF.ext").data()
    hdr_len = struct.unpack_from("<I", ext, 4)[0]
    off, length = struct.unpack_from("<II", ext, 24)
    sec = ext[hdr_len + off:hdr_len + off + length]
    rec_size, pos, kinds = struct.unpack_from("<I", sec, 0)[0], 4, []
    while pos < len(sec):
        _, count = struct.unpack_from("<II", sec, pos)
        pos += 8
        for _ in range(count):
            kinds.append(struct.unpack_from("<I", sec, pos + 12)[0])
            pos += rec_size
    return sorted(kinds)


CORE_PROGRAM = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
struct inner { int x; unsigned int bf:3; int sbf:5; char name[16]; };
struct mid { struct inner *in; long pad; };
struct outer { long a; struct mid *m; } __attribute__((preserve_access_index));
enum kind { K_A = 1, K_B = 7 };
long out;
char buf[16];
SEC("kprobe/x")
int prog(struct outer *o)
{
	int x = BPF_CORE_READ(o, m, in, x);
	long a = BPF_CORE_READ(o, a);
	struct inner *in = BPF_CORE_READ(o, m, in);
	BPF_CORE_READ_STR_INTO(&buf, o, m, in, name);
	out = x + a + (long)in + bpf_core_field_exists(o->m) + bpf_core_field_size(struct mid, pad)
	      + bpf_core_field_offset(o->m) + bpf_core_type_exists(struct inner) + bpf_core_type_size(struct mid)
	      + bpf_core_enum_value_exists(enum kind, K_B) + bpf_core_enum_value(enum kind, K_B)
	      + bpf_core_type_id_kernel(struct outer) + bpf_core_type_id_local(struct mid)
	      + BPF_CORE_READ_BITFIELD_PROBED(in, bf) + BPF_CORE_READ_BITFIELD_PROBED(in, sbf)
	      + BPF_PROBE_READ(o, m, pad) + BPF_CORE_READ(o, m, in, name[1]);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""


def test_shipped_core_read_records_what_libbpf_records(clang, tmp_path):
    """Oracle: the system libbpf's bpf_core_read.h; ours (-I ahead of it) gives the same relocations."""
    if not Path("/usr/include/bpf/bpf_core_read.h").is_file():
        pytest.skip("libbpf-dev headers not installed")
    src = write(tmp_path, "core.c", CORE_PROGRAM)
    system, ours = tmp_path / "system.o", tmp_path / "ours.o"
    compile_c(src, system, CompileOptions(path="native", cflags=("-Wall", "-Werror")), compiler=clang)
    compile_c(src, ours, CompileOptions(path="native", include_dirs=[str(driver.SHIPPED_INCLUDE)],
                                        cflags=("-Wall", "-Werror")), compiler=clang)
    kinds = _core_relo_kinds(system)
    assert len(kinds) > 20 and set(kinds) >= {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert _core_relo_kinds(ours) == kinds


def test_compat_core_read_falls_back_to_shipped_header(clang, monkeypatch, tmp_path):
    src = write(tmp_path, "core.c", "typedef unsigned int __u32, __be32, __wsum;\n"
                                    "typedef unsigned long long __u64; typedef long long __s64;\n"
                                    "#include <bpf/bpf_core_read.h>\n"
                                    "#ifndef ___sa_chain1\n#error not the shipped fallback\n#endif\nint x;\n")
    if Path("/usr/include/bpf/bpf_core_read.h").is_file():     # the system's wins when present
        with pytest.raises(CompileError, match="not the shipped fallback"):
            compile_c(src, tmp_path / "c.o", CompileOptions(path="native"), compiler=clang)
    # no bpf/bpf_core_read.h anywhere but in our tree: the compat wrapper includes ours
    monkeypatch.setattr(driver, "system_include_dirs", lambda: [])
    compile_c(src, tmp_path / "c.o", CompileOptions(path="native", cflags=("-nostdlibinc",)), compiler=clang)


def test_header_flags_add_zig_uapi_only_for_ziglang_without_system_uapi(tmp_path):
    zigdir = tmp_path / "ziglang"
    (zigdir / ZIG_UAPI / "linux").mkdir(parents=True)
    (zigdir / ZIG_UAPI / "linux" / "bpf.h").write_text("")
    (zigdir / "zig").write_text("")
    zig = discovery.Compiler("ziglang", (str(zigdir / "zig"), "clang"), str(zigdir / "zig"), "ziglang")
    plain = discovery.Compiler("clang-22", ("/usr/bin/clang-22",), "/usr/bin/clang-22", "PATH")
    empty, uapi = tmp_path / "empty", tmp_path / "uapi"
    (uapi / "linux").mkdir(parents=True)
    (uapi / "linux" / "bpf.h").write_text("")
    empty.mkdir()
    assert driver.header_flags([empty], compiler=zig)[-2:] == ["-idirafter", str(zigdir / ZIG_UAPI)]
    assert str(zigdir / ZIG_UAPI) not in driver.header_flags([uapi], compiler=zig)
    assert driver.header_flags([empty], compiler=plain) == driver.header_flags([empty])


ZIG_UAPI = Path("lib") / "libc" / "include" / "any-linux-any"
ZIG_PROGRAM = MODERN_PROGRAM + r"""
struct outer { long a; struct outer *next; } __attribute__((preserve_access_index));
SEC("kprobe/x") int kp(struct outer *o) { return BPF_CORE_READ(o, next, a) + sizeof(struct bpf_iter_num); }
"""


def test_ziglang_finds_its_bundled_linux_headers(zig, clang, lowering, monkeypatch, tmp_path):
    """No system headers at all (-nostdlibinc, no system dirs): zig's <linux/bpf.h> and our libbpf."""
    monkeypatch.setattr(driver, "system_include_dirs", lambda: [])
    src = write(tmp_path, "z.c", ZIG_PROGRAM)
    opts = CompileOptions(path="native", cflags=("-nostdlibinc", "-Wall", "-Werror"))
    res = compile_c(src, tmp_path / "z.o", opts, compiler=zig)
    assert str(Path(zig.compiler.binary).parent / ZIG_UAPI) in res.commands[0]
    # the same request with clang-22 has no Linux headers to find
    with pytest.raises(CompileError, match="'linux/bpf.h' file not found"):
        compile_c(src, tmp_path / "c.o", opts, compiler=clang)
