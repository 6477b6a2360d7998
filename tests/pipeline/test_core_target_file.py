"""CO-RE against a BTF file (``target_btf=PATH``), checked by running, with gcc as the oracle.

The "kernel" is a header, ``THING_H``: a struct with an anonymous union holding an anonymous
struct, an array, unsigned and signed bitfields, a nested struct, a pointer and a narrow
field, plus an enum.  Its BTF comes from clang (``-g`` on a file that uses it); gcc compiles
the same header natively, fills one ``struct thing`` with known values, and prints its bytes
and each field's value.  The BPF program reads those bytes (a global buffer set before load)
through a *local* flavor ``struct thing___l`` that orders, sizes and nests the fields
differently, so every read is right only if the relocation resolved the kernel's layout:
field offsets through anonymous members, the load size narrowed for an unsigned field,
bitfield shifts and signedness, existence, enum values and type sizes.  No bpf() needed.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

import pipeline

THING_H = r"""
struct inner { short x; long long y; };
struct thing {
	int a;
	union {
		struct {
			char pad[3];
			unsigned long long b;
		};
		int c;
	};
	short arr[4];
	unsigned int bf1:3, bf2:5;
	int sbf:7;
	struct inner in;
	struct thing *next;
	unsigned short narrow;
};
enum color { RED = 5, GREEN = 9, BLUE = -3 };
"""

NATIVE = r"""
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include "thing.h"
int main(void)
{
	struct thing t;
	unsigned char *p = (unsigned char *)&t;
	memset(&t, 0, sizeof(t));
	t.a = 0x11223344;
	t.pad[0] = 1; t.pad[1] = 2; t.pad[2] = 3;
	t.b = 0x0102030405060708ULL;
	t.arr[0] = 10; t.arr[1] = -20; t.arr[2] = 30; t.arr[3] = 40;
	t.bf1 = 5; t.bf2 = 19; t.sbf = -37;
	t.in.x = 7; t.in.y = 0x7777666655554444LL;
	t.narrow = 0xBEEF;
	for (unsigned i = 0; i < sizeof(t); i++)
		printf("%02x", p[i]);
	printf("\n");
	printf("get_a %u\n", (unsigned)t.a);
	printf("get_b_lo %u\n", (unsigned)t.b);
	printf("get_b_hi %u\n", (unsigned)(t.b >> 32));
	printf("get_c %u\n", (unsigned)t.c);
	printf("get_arr1 %u\n", (unsigned)(int)t.arr[1]);
	printf("get_narrow %u\n", (unsigned)t.narrow);
	printf("get_y_lo %u\n", (unsigned)t.in.y);
	printf("get_bf2 %u\n", (unsigned)t.bf2);
	printf("get_sbf %u\n", (unsigned)(int)t.sbf);
	printf("get_sizes %u\n", (unsigned)(sizeof(struct thing) * 100 + sizeof(t.narrow)));
	printf("get_enum %u\n", (unsigned)GREEN);
	printf("get_exists %u\n", 2u);
	printf("off_a %u\n", (unsigned)offsetof(struct thing, a));
	printf("off_narrow %u\n", (unsigned)offsetof(struct thing, narrow));
	printf("off_c %u\n", (unsigned)offsetof(struct thing, c));
	return 0;
}
"""

TARGET = '#include "thing.h"\nstruct thing thing_instance;\nenum color color_instance;\n'

PROG = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct inner___l { short x; long long y; };
struct inner___half { long long y; };    /* 8 bytes where the kernel's struct inner has 16 */
struct thing___l {
	unsigned int narrow;
	short arr[2];
	unsigned long long b;
	int c;
	struct inner___l in;
	int sbf:7;
	unsigned int bf2:5;
	int a;
	int missing;
} __attribute__((preserve_access_index));
struct thing___h {
	struct inner___half in;
} __attribute__((preserve_access_index));
enum color___l { GREEN___l = 1, RED___l = 2, PURPLE___l = 3 };

__u64 blob[32];

#define T ((struct thing___l *)blob)
SEC("socket") int get_a(void *ctx) { return T->a; }
SEC("socket") int get_b_lo(void *ctx) { return (__u32)T->b; }
SEC("socket") int get_b_hi(void *ctx) { return T->b >> 32; }
SEC("socket") int get_c(void *ctx) { return T->c; }
SEC("socket") int get_arr1(void *ctx) { return T->arr[1]; }
SEC("socket") int get_narrow(void *ctx) { return T->narrow; }
SEC("socket") int get_y_lo(void *ctx) { return (__u32)T->in.y; }
SEC("socket") int put(void *ctx)
{
	T->narrow = 0x1234;             /* ST: offset relocated, size narrowed to u16 */
	T->c = (int)(long)ctx & 0;      /* STX of a register */
	T->a = 0x55667788;
	return 0;
}
SEC("socket") int get_half(void *ctx) { return ((struct thing___h *)blob)->in.y; }
SEC("socket") int get_bf2(void *ctx) { return BPF_CORE_READ_BITFIELD(T, bf2); }
SEC("socket") int get_sbf(void *ctx) { return BPF_CORE_READ_BITFIELD(T, sbf); }
SEC("socket") int get_sizes(void *ctx)
{
	return bpf_core_type_size(struct thing___l) * 100 + bpf_core_field_size(T->narrow);
}
SEC("socket") int get_enum(void *ctx)
{
	return bpf_core_enum_value(enum color___l, GREEN___l) +
	       100 * bpf_core_enum_value_exists(enum color___l, PURPLE___l);
}
SEC("socket") int get_exists(void *ctx)
{
	return bpf_core_field_exists(T->missing) + 2 * bpf_core_field_exists(T->a);
}
char LICENSE[] SEC("license") = "GPL";
"""


@pytest.fixture(scope="module")
def world(clang22, tmp_path_factory):
    gcc = shutil.which("gcc")
    if not gcc:
        pytest.skip("gcc not installed")
    d = tmp_path_factory.mktemp("core_target")
    (d / "thing.h").write_text(THING_H)
    (d / "native.c").write_text(NATIVE)
    (d / "target.c").write_text(TARGET)
    (d / "prog.c").write_text(PROG)
    subprocess.run([gcc, "-O1", "-o", str(d / "native"), str(d / "native.c")], check=True)
    lines = subprocess.run([str(d / "native")], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    blob = bytes.fromhex(lines[0])
    want = {k: int(v) for k, v in (l.split() for l in lines[1:])}
    subprocess.run([clang22, "--target=bpf", "-g", "-O2", "-c", str(d / "target.c"), "-o",
                    str(d / "target.o")], check=True)
    obj = pipeline.build(d / "prog.c", output=d / "prog.bpf.o", target_btf=d / "target.o")
    return obj, blob, want


@pytest.mark.parametrize("prog", ["get_a", "get_b_lo", "get_b_hi", "get_c", "get_arr1",
                                  "get_narrow", "get_y_lo", "get_bf2", "get_sbf", "get_sizes",
                                  "get_enum", "get_exists"])
def test_reads_through_a_local_flavor_see_the_target_layout(world, prog):
    obj, blob, want = world
    res = pipeline.run(obj, prog, globals={"blob": blob})
    assert res.retval == want[prog]


def test_load_of_a_resized_struct_member_is_poisoned(world):
    """A load whose size differs from the target field's and is neither pointer nor unsigned
    integer is poisoned by libbpf ("accesses field incorrectly"), so it fails if reached."""
    obj, blob, _ = world
    v = pipeline.verify(obj, "get_half")
    assert not v.accepted
    assert v.error_line.startswith("failed to resolve CO-RE relocation <byte_off> ")
    assert "struct thing___h.in (0:0 @ offset 0)" in v.error_line


def test_stores_land_at_the_target_offsets(world):
    obj, blob, want = world
    res = pipeline.run(obj, "put", globals={"blob": blob})
    raw = res.globals["blob"]          # __u64 blob[32], as the run shows a u64 array
    out = bytes.fromhex(raw) if isinstance(raw, str) else \
        b"".join((v & (2**64 - 1)).to_bytes(8, "little") for v in raw)
    expect = bytearray(blob.ljust(len(out), b"\0"))
    expect[want["off_narrow"]:want["off_narrow"] + 2] = (0x1234).to_bytes(2, "little")
    expect[want["off_c"]:want["off_c"] + 4] = bytes(4)
    expect[want["off_a"]:want["off_a"] + 4] = (0x55667788).to_bytes(4, "little")
    assert out == bytes(expect)


def test_narrowed_unsigned_load(world):
    """libbpf narrows a load whose unsigned field is smaller in the target (u32 -> u16)."""
    obj, _, _ = world
    notes = [r for r in obj.elf.program("get_narrow").relocs if r.kind == "core"]
    insn = obj.elf.program("get_narrow").insns[notes[0].insn]
    assert insn.code == 0x69            # BPF_LDX | BPF_MEM | BPF_H (was BPF_W)


AMBIGUOUS_TARGET = "struct dup { int a; int b; } d1;\nstruct dup___2 { int b; } d2;\n"
AMBIGUOUS_PROG = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct dup___l { int b; } __attribute__((preserve_access_index));
__u64 blob[4];
SEC("socket") int amb(void *ctx) { return ((struct dup___l *)blob)->b; }
char LICENSE[] SEC("license") = "GPL";
"""


def test_ambiguous_candidates_are_refused(clang22, tmp_path):
    """Two target types with the essential name ``dup`` put ``b`` at different offsets:
    libbpf refuses the relocation (``field offset ambiguity``, offsets in bits)."""
    (tmp_path / "t.c").write_text(AMBIGUOUS_TARGET)
    (tmp_path / "p.c").write_text(AMBIGUOUS_PROG)
    subprocess.run([clang22, "--target=bpf", "-g", "-c", str(tmp_path / "t.c"), "-o",
                    str(tmp_path / "t.o")], check=True)
    obj = pipeline.build(tmp_path / "p.c", output=tmp_path / "p.bpf.o",
                         target_btf=tmp_path / "t.o")
    with pytest.raises(pipeline.Error) as e:
        pipeline.verify(obj, "amb")
    assert "prog 'amb': relo #0: field offset ambiguity: 0 != 32" in str(e.value)
    assert e.value.kind == "core" and e.value.exit_code == 1
