"""Dynptr helpers/kfuncs and the bits iterator at run time: the mock kernel's results equal
the live kernel's (``BPF_PROG_TEST_RUN`` of the same object on the same packets).

Each program computes a value from the packet through dynptrs (local dynptrs over global
data, ring-buffer dynptrs, skb/xdp dynptrs and their slices, read/write/adjust/clone and
their error returns) or through the bits iterator (one word, several words, too many words,
none), so a wrong byte, offset, bound or errno changes the return value.  Packets: all-zero
and random ones from a fixed seed.
"""

from __future__ import annotations

import pytest

import pipeline
from tests.oracles import kernel as K
from tests.seeds import rng
from tests.support.skips import need_kernel_objects

RANDOM_PACKETS = 4
SOURCE = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
                               struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags,
                               struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt,
                              __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
/* a bool in the kernel: only its low bit is defined in R0 (the x86 JIT leaves the rest) */
extern int bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
#define IS_NULL(d) (bpf_dynptr_is_null(d) & 1)
extern int bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
struct bpf_iter_bits { __u64 __opaque[2]; } __attribute__((aligned(8)));
extern int bpf_iter_bits_new(struct bpf_iter_bits *it, const __u64 *unsafe_ptr__ign,
                             __u32 nr_words) __ksym;
extern int *bpf_iter_bits_next(struct bpf_iter_bits *it) __ksym;
extern void bpf_iter_bits_destroy(struct bpf_iter_bits *it) __ksym;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
char buf[64];
__u64 words[8];

static __always_inline int bits_of(struct __sk_buff *skb, __u32 n)
{
  struct bpf_iter_bits it; int *b; int s = 0, k = 0;
  bpf_skb_load_bytes(skb, 0, words, sizeof(words));
  bpf_iter_bits_new(&it, words, n);
  while ((b = bpf_iter_bits_next(&it)) && k < 600) { s = s * 3 + *b; k++; }
  bpf_iter_bits_destroy(&it);
  return s ^ (k << 20);
}
SEC("tc") int bits_one(struct __sk_buff *skb) { return bits_of(skb, 1); }
SEC("tc") int bits_many(struct __sk_buff *skb) { return bits_of(skb, 8); }
SEC("tc") int bits_too_many(struct __sk_buff *skb) { return bits_of(skb, 512); }
SEC("tc") int bits_none(struct __sk_buff *skb) { return bits_of(skb, 0); }
SEC("tc") int bits_new_ret(struct __sk_buff *skb)
{
  struct bpf_iter_bits it; int r = bpf_iter_bits_new(&it, words, 600);
  int r2; bpf_iter_bits_destroy(&it);
  r2 = bpf_iter_bits_new(&it, 0, 1); bpf_iter_bits_destroy(&it);
  return r * 1000 + r2;
}

SEC("tc") int local_rw(struct __sk_buff *skb)
{
  struct bpf_dynptr d, c; __u64 v = 0, out = 0; int e1, e2, e3;
  bpf_skb_load_bytes(skb, 8, &v, 8);
  bpf_dynptr_from_mem(buf, sizeof(buf), 0, &d);
  bpf_dynptr_write(&d, 5, &v, 8, 0);
  bpf_dynptr_read(&out, 4, &d, 7, 0);
  e1 = bpf_dynptr_read(&out, 8, &d, 60, 0);          /* past the end: -E2BIG */
  e2 = bpf_dynptr_write(&d, 0, &v, 8, 1);             /* flags: -EINVAL */
  bpf_dynptr_clone(&d, &c);
  bpf_dynptr_adjust(&c, 6, 20);
  e3 = bpf_dynptr_adjust(&c, 4, 30);                  /* -ERANGE */
  __u8 *p = bpf_dynptr_data(&c, 2, 4);
  return (int)out + (p ? p[0] + p[3] * 256 : 7) + e1 * 3 + e2 * 5 + e3 * 11
         + bpf_dynptr_size(&c) * 100000;
}
SEC("tc") int local_bad_flags(struct __sk_buff *skb)
{
  struct bpf_dynptr d; int r = bpf_dynptr_from_mem(buf, 8, 1, &d);
  return r * 10 + IS_NULL(&d) + bpf_dynptr_size(&d) * 100;
}
SEC("tc") int ring_rw(struct __sk_buff *skb)
{
  struct bpf_dynptr d; __u64 v = 0; long r;
  bpf_skb_load_bytes(skb, 16, &v, 8);
  r = bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
  bpf_dynptr_write(&d, 4, &v, 8, 0);
  __u32 *p = bpf_dynptr_data(&d, 8, 4);
  int x = p ? (int)*p : -1, n = IS_NULL(&d);
  bpf_ringbuf_submit_dynptr(&d, 0);
  return x + r * 7 + n * 3;
}
SEC("tc") int ring_too_big(struct __sk_buff *skb)
{
  struct bpf_dynptr d; long r = bpf_ringbuf_reserve_dynptr(&rb, 8192, 0, &d);
  int n = IS_NULL(&d);
  bpf_ringbuf_discard_dynptr(&d, 0);
  return r * 10 + n;
}
SEC("tc") int skb_slices(struct __sk_buff *skb)
{
  struct bpf_dynptr d; __u8 b[4]; __u32 w = 0;
  if (bpf_dynptr_from_skb(skb, 0, &d)) return -1;
  __u8 *p = bpf_dynptr_slice(&d, 10, b, 4);
  __u8 *q = bpf_dynptr_slice(&d, 62, b, 4);           /* past the end: NULL */
  bpf_dynptr_read(&w, 4, &d, 20, 0);
  return (p ? p[0] ^ (p[3] << 8) : -2) + (q ? 1 << 20 : 0) + (int)(w & 0xffff) * 3
         + bpf_dynptr_size(&d);
}
SEC("xdp") int xdp_slices(struct xdp_md *x)
{
  struct bpf_dynptr d; __u8 b[4]; __u32 w = 0;
  if (bpf_dynptr_from_xdp(x, 0, &d)) return -1;
  __u8 *p = bpf_dynptr_slice(&d, 30, b, 4);
  bpf_dynptr_read(&w, 4, &d, 2, 0);
  return (p ? p[1] + p[2] * 7 : -2) + (int)(w >> 16) + bpf_dynptr_size(&d) * 0x10000;
}
static __always_inline int skb_rw(struct __sk_buff *skb)
{
  struct bpf_dynptr d; __u32 v = 0x5a5a, w = 0; int e;
  if (bpf_dynptr_from_skb(skb, 0, &d)) return -1;
  e = bpf_dynptr_write(&d, 14, &v, 2, 0);          /* -EINVAL where skb dynptrs are rdonly */
  bpf_dynptr_read(&w, 4, &d, 12, 0);
  return e * 7 + (int)w + (bpf_dynptr_is_rdonly(&d) & 1) * 3
         + (bpf_dynptr_data(&d, 0, 4) ? 1 << 24 : 0);
}
SEC("tc") int skb_rw_tc(struct __sk_buff *skb) { return skb_rw(skb); }
/* cgroup_skb programs return 0..3: two bits a program */
SEC("cgroup_skb/egress") int skb_rw_cgroup(struct __sk_buff *skb)
{
  struct bpf_dynptr d; __u32 v = 0x5a5a;
  if (bpf_dynptr_from_skb(skb, 0, &d)) return 0;
  return (bpf_dynptr_write(&d, 14, &v, 2, 0) == -22) + 2 * (bpf_dynptr_is_rdonly(&d) & 1);
}
SEC("cgroup_skb/egress") int skb_rw_cgroup2(struct __sk_buff *skb)
{
  struct bpf_dynptr d; __u32 v = 0x5a5a, w = 0;
  if (bpf_dynptr_from_skb(skb, 0, &d)) return 0;
  bpf_dynptr_write(&d, 14, &v, 2, 0);
  bpf_dynptr_read(&w, 4, &d, 12, 0);
  return (bpf_dynptr_data(&d, 0, 4) == 0) + 2 * ((w >> 16) == 0x5a5a);
}
char LICENSE[] SEC("license") = "GPL";
"""
PROGS = ["bits_one", "bits_many", "bits_too_many", "bits_none", "bits_new_ret", "local_rw",
         "local_bad_flags", "ring_rw", "ring_too_big", "skb_slices", "xdp_slices", "skb_rw_tc", "skb_rw_cgroup",
         "skb_rw_cgroup2"]


@pytest.fixture(scope="module")
def obj(tmp_path_factory):
    need_kernel_objects()
    src = tmp_path_factory.mktemp("dynptr_run") / "dynptr_run.c"
    src.write_text(SOURCE)
    return pipeline.build(src, output=src.with_suffix(".o"))


@pytest.mark.parametrize("engine", ["interp", "unicorn"])
@pytest.mark.parametrize("prog", PROGS)
def test_dynptr_run_matches_kernel(obj, prog, engine):
    if engine == "unicorn":
        pytest.importorskip("unicorn")
    r, seed_text = rng(0xD1A9)
    packets = [bytes(64)] + [bytes(r.randrange(256) for _ in range(64))
                             for _ in range(RANDOM_PACKETS)]
    for data in packets:
        want = K.run_object(obj.elf.path, prog, data).retval
        got = pipeline.run(obj, prog, data=data, engine=engine).retval
        assert got == want, f"{prog} on {data.hex()}: kernel {want:#x}, {engine} {got:#x} " \
                            f"({seed_text})"
