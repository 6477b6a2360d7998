"""CO-RE relocations and .kconfig externs against the live kernel through real libbpf.

Each object of tests/data/core/*.c is built once by the pipeline (clang-22) and then loaded
twice: by the system libbpf (``libbpf.so.1`` via tests/oracles/kernel_objects.py, which resolves
CO-RE against /sys/kernel/btf/vmlinux and .kconfig externs from /proc/config.gz) into the live
kernel, and by ``pipeline`` with ``target_btf="vmlinux"``.  The oracle is what libbpf handed
the kernel (``bpf_program__insns`` after load) and, for programs BPF_PROG_TEST_RUN can run,
the kernel's return value.  Map references differ by nature (libbpf: fds, ours: map-table
indices); everything else must be identical, including poisoned instructions and libbpf's
``failed to resolve CO-RE relocation`` verdict.  Skipped where bpf() is denied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline
from isa import decode
from isa import opcodes as op
from tests.oracles import kernel as K
from tests.support.skips import need_kernel_objects

DATA = Path(__file__).resolve().parent.parent / "data" / "core"
PACKET = bytes(12) + b"\x08\x00" + bytes(50)    # an IPv4 ethertype: skb->protocol = 8
MAP_SRC = {op.PSEUDO_MAP_FD: "map", op.PSEUDO_MAP_IDX: "map",
           op.PSEUDO_MAP_VALUE: "value", op.PSEUDO_MAP_IDX_VALUE: "value"}


def _need_kernel():
    need_kernel_objects()
    if not Path("/sys/kernel/btf/vmlinux").exists():
        pytest.skip("no /sys/kernel/btf/vmlinux")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("core")
    cache = {}

    def get(stem):
        if stem not in cache:
            cache[stem] = pipeline.build(DATA / f"{stem}.c", output=out / f"{stem}.bpf.o")
        return cache[stem]
    return get


def _normalize(insns):
    """Instructions with map references reduced to their kind and value offset."""
    out, skip = [], False
    for i, ins in enumerate(insns):
        if skip:
            skip = False
            continue
        if ins.code == op.LD_IMM64 and ins.src in MAP_SRC:
            out.append(("ld_map", ins.dst, MAP_SRC[ins.src], insns[i + 1].imm))
            skip = True
        else:
            out.append((ins.code, ins.dst, ins.src, ins.off, ins.imm))
    return out


def _libbpf(obj, prog):
    res = K.load_object(obj.raw_elf.path, prog, log_level=2)
    assert res.insns, f"libbpf did not relocate {prog}: {res.error}"
    return res


CASES = [("kernel_types", "kernel_types"), ("tc_ctx", "tc_fields"), ("tc_ctx", "tc_core_read"),
         ("tc_ctx", "tc_unguarded"), ("tc_ctx", "tc_guarded"), ("kconfig", "kconfig"),
         ("kconfig", "kernel_version")]


@pytest.mark.parametrize("stem,prog", CASES)
def test_relocated_insns_match_libbpf(built, stem, prog):
    _need_kernel()
    obj = built(stem)
    with _libbpf(obj, prog) as res:
        theirs = _normalize(decode(res.insns))
    ours_obj = obj.with_load_options(target_btf="vmlinux")
    ours = _normalize(ours_obj.linked(ours_obj.program(prog)).insns)
    assert ours == theirs
    if stem != "kconfig":           # the compile-time instructions differ: CO-RE was applied
        assert _normalize(obj.raw_elf.program(prog).insns) != theirs


@pytest.mark.parametrize("prog", ["tc_fields", "tc_guarded", "kconfig", "kernel_version"])
def test_run_returns_what_the_kernel_returns(built, prog):
    _need_kernel()
    obj = built("tc_ctx" if prog.startswith("tc_") else "kconfig")
    with _libbpf(obj, prog) as res:
        assert res.accepted, res.error_line
        want = K.prog_test_run(res.fd, PACKET).retval
    got = pipeline.run(obj, prog, data=PACKET, target_btf="vmlinux")
    assert got.retval & 0xFFFF_FFFF == want


def test_unguarded_failed_relocation_is_libbpfs_verdict(built):
    _need_kernel()
    obj = built("tc_ctx")
    with _libbpf(obj, "tc_unguarded") as res:
        assert not res.accepted
        want = res.error_line
    assert want.startswith("failed to resolve CO-RE relocation")
    v = pipeline.verify(obj, "tc_unguarded", target_btf="vmlinux", log_level=2)
    assert not v.accepted and v.error_line == want
    with pytest.raises(pipeline.Error, match="failed to resolve CO-RE relocation"):
        pipeline.run(obj, "tc_unguarded", data=PACKET, target_btf="vmlinux")


def test_mock_kernel_target_relocates_sk_buff_like_vmlinux(built):
    """The default target is the mock kernel's BTF; its struct __sk_buff is the UAPI one, so
    the ctx relocations come out as libbpf's against vmlinux."""
    _need_kernel()
    obj = built("tc_ctx")
    with _libbpf(obj, "tc_fields") as res:
        theirs = _normalize(decode(res.insns))
    assert _normalize(obj.linked(obj.program("tc_fields")).insns) == theirs
    assert pipeline.verify(obj, "tc_fields").accepted


def test_unresolved_relocation_is_poisoned_and_only_fails_if_reached(built):
    """Against the mock kernel (no struct task_struct), field reads are poisoned with libbpf's
    invalid helper call; existence checks resolve to 0 and stay."""
    obj = built("kernel_types")
    insns = obj.linked(obj.program("kernel_types")).insns
    poisoned = [i for i, ins in enumerate(insns) if ins.code == op.CALL_OP and ins.imm == 0xBAD2310]
    assert poisoned
    notes = [r for r in obj.elf.program("kernel_types").relocs if r.kind == "core"]
    marked = {r.insn for r in notes if "poisoned" in r.name}
    # a poisoned LD_IMM64 becomes two invalid calls (libbpf poisons its second slot too)
    assert marked <= set(poisoned) and all(i in marked or i - 1 in marked for i in poisoned)
    v = pipeline.verify(obj, "kernel_types")
    assert not v.accepted
    assert v.error_line.startswith("failed to resolve CO-RE relocation <byte_off> ")
    assert v.error.insn == poisoned[0]


STRONG = """/* A strong .kconfig extern no configuration defines: libbpf refuses the object.
 * (Not in tests/data: every object there must load.) */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int CONFIG_STACKARGS_NO_SUCH_OPTION __kconfig;

SEC("tc")
int strong(struct __sk_buff *skb)
{
	return CONFIG_STACKARGS_NO_SUCH_OPTION;
}

char LICENSE[] SEC("license") = "GPL";
"""


def test_kconfig_strong_unresolved_is_refused_like_libbpf(tmp_path):
    src = tmp_path / "kconfig_strong.c"
    src.write_text(STRONG)
    obj = pipeline.build(src, output=tmp_path / "kconfig_strong.bpf.o")
    if K.kernel_available()[0] and K.libbpf_available()[0]:
        with K.load_object(obj.raw_elf.path, "strong") as res:
            assert not res.accepted and not res.reached_kernel    # libbpf refused it
    with pytest.raises(pipeline.Error) as e:
        pipeline.verify(obj, "strong")
    assert "extern 'CONFIG_STACKARGS_NO_SUCH_OPTION' (strong): not resolved" in str(e.value)
    assert e.value.exit_code == 1


def test_kconfig_file_values(built, tmp_path):
    obj = built("kconfig")
    conf = tmp_path / "config"
    conf.write_text("# CONFIG_BPF_SYSCALL is not set\nCONFIG_BPF_SYSCALL=n\nCONFIG_HZ=1000\n"
                    "CONFIG_NET_CLS_ACT=m\nCONFIG_NO_SUCH_CHAR=y\nCONFIG_NR_CPUS=0x2\n")
    r = pipeline.run(obj, "kconfig", data=PACKET, kconfig=str(conf)).retval
    # 1 (version) + 1000*10 + bool n + weak unset + tristate m=2 + char 'y'=121 + 2 cpus
    want = (1 + 10000 + 2 * 10000000 + ord("y") * 100000000 + 2 * 1000000000) & 0x7FFFFFFF
    assert r == want
    bad = tmp_path / "bad"
    bad.write_text("CONFIG_BPF_SYSCALL=m\n")
    with pytest.raises(pipeline.Error, match="value 'm' implies tristate or char type"):
        pipeline.verify(obj, "kconfig", kconfig=str(bad))
