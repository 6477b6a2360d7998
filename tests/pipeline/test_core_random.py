"""Random CO-RE programs against libbpf: relocated instructions must be identical.

Each program declares local *flavors* (``name___rN``) of real vmlinux structs and enums: a
random subset of their members, in random order, with compatible but different local types
(other integer sizes and signedness, ``void *`` for pointers, shorter arrays, bitfields of the
same width), members that found in an anonymous struct/union of the kernel's definition, and
members the kernel does not have; enums with a random subset of enumerators carrying wrong
values plus ones the kernel lacks.  Every relocation kind is exercised: field byte offset and
size (``bpf_core_field_*``, ``BPF_CORE_READ``, ``BPF_CORE_READ_BITFIELD_PROBED`` with its signed
and shift relocations), field existence, type existence/size/matches/ids, enumerator existence
and value.  The generator only picks names from this machine's BTF; the expected instructions
are what the system libbpf relocated against /sys/kernel/btf/vmlinux (``bpf_program__insns``),
compared with ``pipeline`` loading the same object with ``target_btf="vmlinux"``.
Programs come from tests/seeds.py (same programs on every machine; STACKARGS_TEST_SEED for
others); a failure names the seed and keeps the program's source in the message.
"""

from __future__ import annotations


import pytest

import btf
import pipeline
from btf import kinds as L
from isa import decode
from tests.oracles import kernel as K
from tests.pipeline.test_core_reloc import _need_kernel, _normalize
from tests.seeds import rng

VMLINUX = "/sys/kernel/btf/vmlinux"
STRUCTS = ["task_struct", "sk_buff", "sock", "file", "inode", "net_device", "cred", "bpf_map",
           "bpf_prog", "sock_common"]
PROGRAMS = 6
_CTYPE = {4: ("unsigned int", "int")}


def _members(b, t, depth=0):
    """Named members reachable from ``t`` through anonymous members: (name, type id)."""
    out = []
    for m in t.members:
        if m.name:
            out.append((m.name, m.type, m.bitfield_size))
        elif depth < 4:
            inner = b.resolve(m.type)
            if inner.kind in (L.STRUCT, L.UNION):
                out += _members(b, inner, depth + 1)
    return out


def _local_member(b, r, name, tid, bits, uid):
    """A C declaration for a local version of member ``name`` and what may read it."""
    t = b.resolve(tid)
    if bits:
        return f"unsigned int {name}:{bits};", "bitfield"
    if t.kind == L.INT and t.size in (1, 2, 4, 8):
        ctype = r.choice(["char", "short", "int", "long long", "unsigned char", "unsigned short",
                          "unsigned int", "unsigned long long"])
        return f"{ctype} {name};", "int"
    if t.kind == L.PTR:
        return f"void *{name};", "ptr"
    if t.kind == L.ARRAY:
        elem = b.resolve(t.array[0])
        n = t.array[2]
        if elem.kind == L.INT and n > 0:
            return f"unsigned char {name}[{r.randint(1, n)}];", "array"
    if t.kind in (L.ENUM, L.ENUM64):
        return f"unsigned int {name};", None      # enum vs int: incompatible, never read
    return None, None


def _program(seed_rng, b, k: int) -> str:
    r = seed_rng
    decls, body = [], []
    for s_i, sname in enumerate(r.sample(STRUCTS, 3)):
        t = b.find(sname, L.STRUCT)[0]
        flavor = f"{sname}___r{k}{s_i}"
        mems = _members(b, t)
        r.shuffle(mems)
        fields, reads = [], []
        for name, tid, bits in mems[:r.randint(3, 9)]:
            decl, how = _local_member(b, r, name, tid, bits, s_i)
            if decl:
                fields.append(decl)
                if how:
                    reads.append((name, how))
        # two more flavors for bpf_core_type_matches: int members with the kernel's exact
        # signedness (a match), and the same with one signedness flipped (none).  Matching
        # compares integer type names, so only 4-byte ints (spelled alike by clang and
        # pahole: "int", "unsigned int") can match.
        ints = [(n, b.resolve(tid)) for n, tid, bits in mems if not bits
                and b.resolve(tid).kind == L.INT and b.resolve(tid).size == 4][:4]
        if ints:
            for tw, flip in ((f"{sname}___m{k}{s_i}", None), (f"{sname}___x{k}{s_i}", ints[0][0])):
                tf = [f"{_CTYPE[it.size][bool(it.int_encoding & 1) != (n == flip)]} {n};"
                      for n, it in ints]
                decls.append(f"struct {tw} {{\n\t" + "\n\t".join(tf) +
                             "\n} __attribute__((preserve_access_index));")
                body.append(f"\tr += bpf_core_type_matches(struct {tw}) * 10;")
        fields.append(f"int stackargs_missing_{k}_{s_i};")
        r.shuffle(fields)
        decls.append(f"struct {flavor} {{\n\t" + "\n\t".join(fields) +
                     "\n} __attribute__((preserve_access_index));")
        p = f"p{s_i}"
        body.append(f"\tstruct {flavor} *{p} = (void *)bpf_get_current_task();")
        body.append(f"\tr += bpf_core_field_exists({p}->stackargs_missing_{k}_{s_i});")
        body.append(f"\tr += bpf_core_type_exists(struct {flavor});")
        body.append(f"\tr += bpf_core_type_size(struct {flavor});")
        body.append(f"\tr += bpf_core_type_matches(struct {flavor});")
        body.append(f"\tr += bpf_core_type_id_kernel(struct {flavor});")
        for name, how in reads:
            body.append(f"\tr += bpf_core_field_offset({p}->{name});")
            body.append(f"\tr += bpf_core_field_exists({p}->{name});")
            if how == "bitfield":
                body.append(f"\tr += BPF_CORE_READ_BITFIELD_PROBED({p}, {name});")
            elif how == "array":
                body.append(f"\tr += BPF_CORE_READ({p}, {name}[0]);")
                body.append(f"\tr += bpf_core_field_size({p}->{name}[0]);")
            elif how == "ptr":
                body.append(f"\tr += (long)BPF_CORE_READ({p}, {name});")
            else:
                body.append(f"\tr += bpf_core_field_size({p}->{name});")
                body.append(f"\tr += BPF_CORE_READ({p}, {name});")
    enums = [t for t in b.types if t.kind == L.ENUM and t.name and 2 <= t.vlen <= 64]
    for e_i, et in enumerate(r.sample(enums, 2)):
        flavor = f"{et.name}___r{k}{e_i}"
        vals = r.sample(et.enum_values, r.randint(1, min(4, et.vlen)))
        names = [f"{v.name}___r{k}{e_i}" for v in vals]
        missing = f"STACKARGS_NO_SUCH_{k}_{e_i}___r{k}{e_i}"
        items = [f"{n} = {r.randint(0, 1000)}" for n in names] + [f"{missing} = 7777"]
        decls.append(f"enum {flavor} {{ " + ", ".join(items) + " };")
        for n in names:
            body.append(f"\tr += bpf_core_enum_value(enum {flavor}, {n});")
        body.append(f"\tr += bpf_core_enum_value_exists(enum {flavor}, {missing});")
        body.append(f"\tr += bpf_core_enum_value_exists(enum {flavor}, {names[0]});")
    return ("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
            "#include <bpf/bpf_core_read.h>\n\n" + "\n\n".join(decls) +
            f"\n\nSEC(\"kprobe/do_nanosleep\")\nint rand{k}(void *ctx)\n{{\n\tlong r = 0;\n"
            + "\n".join(body) + "\n\treturn r;\n}\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n")


@pytest.fixture(scope="module")
def vmlinux_btf():
    _need_kernel()
    return btf.load(VMLINUX).btf


@pytest.mark.parametrize("k", range(PROGRAMS))
def test_random_core_program_matches_libbpf(vmlinux_btf, tmp_path, k):
    r, seed_text = rng(0xC0DE + k)
    src = _program(r, vmlinux_btf, k)
    path = tmp_path / f"rand{k}.c"
    path.write_text(src)
    obj = pipeline.build(path, output=tmp_path / f"rand{k}.bpf.o")
    with K.load_object(obj.raw_elf.path, f"rand{k}", log_level=0) as res:
        assert res.insns, f"libbpf did not relocate ({seed_text}): {res.error}\n{src}"
        theirs = _normalize(decode(res.insns))
    ours_obj = obj.with_load_options(target_btf="vmlinux")
    ours = _normalize(ours_obj.linked(ours_obj.program(f"rand{k}")).insns)
    if ours != theirs:
        diff = [(i, a, b) for i, (a, b) in enumerate(zip(ours, theirs)) if a != b][:5]
        pytest.fail(f"{seed_text}: relocated instructions differ from libbpf's at "
                    f"(insn, ours, libbpf) {diff}\n{src}")
    assert len(ours_obj.core_relocations[f"rand{k}"]) > 10
