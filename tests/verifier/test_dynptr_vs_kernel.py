"""Dynptrs and the bits iterator (issue 12), each program against the live kernel.

C compiled by the project's toolchain; the kernel loads it through libbpf and our verifier
gets the same object through ``pipeline.verify``.  The verdict, the kernel's verdict line
and (when both accept) the processed-instruction count must be the same.  Covered: local
dynptrs from map values (``bpf_dynptr_from_mem``, read/write/data, adjust, clone, slices),
ring-buffer dynptrs (reservation, the reference they hold, release, use after release,
overwrite of a referenced dynptr, clones), skb/xdp dynptrs (slices, invalidation by packet
writes, program types), stack writes over dynptrs, and the bits iterator.
"""

from __future__ import annotations

import pytest

from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

HEAD = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n" + """
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
                               struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags,
                               struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt,
                              __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset,
                                   void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern int bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
struct bpf_iter_bits { __u64 __opaque[2]; } __attribute__((aligned(8)));
extern int bpf_iter_bits_new(struct bpf_iter_bits *it, const __u64 *unsafe_ptr__ign,
                             __u32 nr_words) __ksym;
extern int *bpf_iter_bits_next(struct bpf_iter_bits *it) __ksym;
extern void bpf_iter_bits_destroy(struct bpf_iter_bits *it) __ksym;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
         __type(value, char[64]); } arr SEC(".maps");
char buf[64];
"""
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'
LOCAL = "struct bpf_dynptr d; bpf_dynptr_from_mem(buf, sizeof(buf), 0, &d);\n"
RING = "struct bpf_dynptr d; bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);\n"

SOURCES = {
    "local": """
SEC("syscall") int read_write(void *ctx)
{ """ + LOCAL + """  char out[8]; long v = 0x1122334455667788;
  bpf_dynptr_write(&d, 3, &v, 8, 0); bpf_dynptr_read(out, 8, &d, 2, 0);
  return out[1] + out[7]; }
SEC("syscall") int data_slice(void *ctx)
{ """ + LOCAL + """  long *p = bpf_dynptr_data(&d, 8, 8); if (!p) return 1; *p = 3; return p[0]; }
SEC("syscall") int data_oob(void *ctx)
{ """ + LOCAL + """  char *p = bpf_dynptr_data(&d, 0, 8); return p ? p[8] : 0; }
SEC("syscall") int data_no_null_check(void *ctx)
{ """ + LOCAL + """  char *p = bpf_dynptr_data(&d, 0, 8); return p[0]; }
SEC("syscall") int from_stack(void *ctx)
{ char mem[16]; struct bpf_dynptr d; bpf_dynptr_from_mem(mem, 16, 0, &d); return 0; }
SEC("syscall") int from_map_lookup(void *ctx)
{ int k = 0; char *v = bpf_map_lookup_elem(&arr, &k); struct bpf_dynptr d;
  if (!v) return 0; bpf_dynptr_from_mem(v, 64, 0, &d); return bpf_dynptr_size(&d); }
SEC("syscall") int read_uninit(void *ctx)
{ struct bpf_dynptr d; char out[4]; bpf_dynptr_read(out, 4, &d, 0, 0); return out[0]; }
SEC("syscall") int read_dynptr_bytes(void *ctx)
{ """ + LOCAL + """  return *(volatile int *)&d; }
SEC("syscall") int adjust_clone(void *ctx)
{ """ + LOCAL + """  struct bpf_dynptr c; bpf_dynptr_clone(&d, &c); bpf_dynptr_adjust(&c, 2, 10);
  return bpf_dynptr_size(&c) + bpf_dynptr_is_null(&c) + bpf_dynptr_is_rdonly(&d); }
SEC("syscall") int slice_local(void *ctx)
{ """ + LOCAL + """  char *p = bpf_dynptr_slice(&d, 4, 0, 4); return p ? p[3] : 7; }
SEC("syscall") int slice_write_rdonly(void *ctx)
{ """ + LOCAL + """  char *p = bpf_dynptr_slice(&d, 0, 0, 4); if (p) p[0] = 1; return 0; }
SEC("syscall") int slice_rdwr(void *ctx)
{ """ + LOCAL + """  char b[4]; char *p = bpf_dynptr_slice_rdwr(&d, 0, b, 4); return p ? p[0] : 0; }
SEC("syscall") int slice_var_size(void *ctx)
{ """ + LOCAL + """  char b[8]; __u32 n = bpf_get_prandom_u32() & 7;
  char *p = bpf_dynptr_slice(&d, 0, b, n); return p ? 1 : 0; }
SEC("syscall") int overwrite_unref_slice(void *ctx)
{ """ + LOCAL + """  char *p = bpf_dynptr_data(&d, 0, 4); if (!p) return 0;
  *(volatile long *)&d = 0; return p[0]; }
SEC("syscall") int overwrite_unref(void *ctx)
{ """ + LOCAL + """  *(volatile long *)&d = 0; return 0; }
""",
    "ring": """
SEC("syscall") int ring_ok(void *ctx)
{ """ + RING + """  long v = 5; bpf_dynptr_write(&d, 0, &v, 8, 0);
  long *p = bpf_dynptr_data(&d, 8, 8); if (p) *p = 6; bpf_ringbuf_submit_dynptr(&d, 0); return 0; }
SEC("syscall") int ring_leak(void *ctx)
{ """ + RING + """  return 0; }
SEC("syscall") int ring_use_after_submit(void *ctx)
{ """ + RING + """  long *p = bpf_dynptr_data(&d, 0, 8); bpf_ringbuf_discard_dynptr(&d, 0);
  return p ? *p : 0; }
SEC("syscall") int ring_overwrite(void *ctx)
{ """ + RING + """  *(volatile char *)&d = 0; bpf_ringbuf_discard_dynptr(&d, 0); return 0; }
SEC("syscall") int ring_reinit(void *ctx)
{ """ + RING + """  bpf_dynptr_from_mem(buf, 8, 0, &d); return 0; }
SEC("syscall") int ring_release_twice(void *ctx)
{ """ + RING + """  bpf_ringbuf_submit_dynptr(&d, 0); bpf_ringbuf_submit_dynptr(&d, 0); return 0; }
SEC("syscall") int ring_release_local(void *ctx)
{ """ + LOCAL + """  bpf_ringbuf_submit_dynptr(&d, 0); return 0; }
SEC("syscall") int ring_clone_release(void *ctx)
{ """ + RING + """  struct bpf_dynptr c; bpf_dynptr_clone(&d, &c); bpf_ringbuf_submit_dynptr(&c, 0);
  return bpf_dynptr_size(&d); }
SEC("syscall") int ring_read_into_dynptr(void *ctx)
{ """ + RING + """  bpf_dynptr_read(&d, 8, &d, 0, 0); bpf_ringbuf_discard_dynptr(&d, 0); return 0; }
SEC("syscall") int ring_wrong_map(void *ctx)
{ struct bpf_dynptr d; bpf_ringbuf_reserve_dynptr(&arr, 8, 0, &d);
  bpf_ringbuf_discard_dynptr(&d, 0); return 0; }
SEC("syscall") int ring_submit_slice(void *ctx)
{ """ + RING + """  void *p = bpf_dynptr_data(&d, 0, 8); if (p) bpf_ringbuf_submit(p, 0);
  bpf_ringbuf_discard_dynptr(&d, 0); return 0; }
SEC("syscall") int dynptr_at_odd_offset(void *ctx)
{ char mem[40]; bpf_ringbuf_reserve_dynptr(&rb, 8, 0, (void *)(mem + 4));
  bpf_ringbuf_discard_dynptr((void *)(mem + 4), 0); return 0; }
""",
    "pkt": """
SEC("tc") int skb_slice(struct __sk_buff *skb)
{ struct bpf_dynptr d; char b[4]; if (bpf_dynptr_from_skb(skb, 0, &d)) return 1;
  char *p = bpf_dynptr_slice(&d, 0, b, 4); return p ? p[2] : 3; }
SEC("tc") int skb_slice_after_write(struct __sk_buff *skb)
{ struct bpf_dynptr d; char b[4]; long v = 0; if (bpf_dynptr_from_skb(skb, 0, &d)) return 1;
  char *p = bpf_dynptr_slice(&d, 0, b, 4); if (!p) return 0;
  bpf_dynptr_write(&d, 0, &v, 2, 0); return p[0]; }
SEC("tc") int skb_slice_after_pull(struct __sk_buff *skb)
{ struct bpf_dynptr d; char b[4]; if (bpf_dynptr_from_skb(skb, 0, &d)) return 1;
  char *p = bpf_dynptr_slice(&d, 0, b, 4); if (!p) return 0;
  bpf_skb_pull_data(skb, 0); return p[0]; }
SEC("tc") int skb_no_buf(struct __sk_buff *skb)
{ struct bpf_dynptr d; if (bpf_dynptr_from_skb(skb, 0, &d)) return 1;
  char *p = bpf_dynptr_slice(&d, 0, 0, 4); return p ? p[0] : 3; }
SEC("tc") int skb_small_buf(struct __sk_buff *skb)
{ struct bpf_dynptr d; char b[2]; if (bpf_dynptr_from_skb(skb, 0, &d)) return 1;
  char *p = bpf_dynptr_slice(&d, 0, b, 4); return p ? p[0] : 3; }
SEC("xdp") int xdp_slice(struct xdp_md *x)
{ struct bpf_dynptr d; char b[4]; bpf_dynptr_from_xdp(x, 0, &d);
  char *p = bpf_dynptr_slice(&d, 1, b, 4); return p ? p[3] : 3; }
SEC("tc") int xdp_in_tc(struct __sk_buff *skb)
{ struct bpf_dynptr d; bpf_dynptr_from_xdp((void *)skb, 0, &d); return 0; }
SEC("cgroup_skb/egress") int skb_rdonly_write(struct __sk_buff *skb)
{ struct bpf_dynptr d; long v = 0; if (bpf_dynptr_from_skb(skb, 0, &d)) return 1;
  return bpf_dynptr_write(&d, 0, &v, 2, 0) ? 1 : 1; }
""",
    "misc": """
__attribute__((noinline)) int g_submit(struct bpf_dynptr *p)
{ bpf_ringbuf_submit_dynptr(p, 0); return 0; }
SEC("syscall") int const_release(void *ctx)
{ """ + RING + """  g_submit(&d); bpf_ringbuf_discard_dynptr(&d, 0); return 0; }
__attribute__((noinline)) int g_reinit(struct bpf_dynptr *p)
{ return bpf_dynptr_from_mem(buf, 8, 0, p); }
SEC("syscall") int const_reinit(void *ctx)
{ """ + LOCAL + """  return g_reinit(&d); }
__attribute__((noinline)) int g_clone_into(struct bpf_dynptr *p)
{ struct bpf_dynptr q; bpf_dynptr_from_mem(buf, 8, 0, &q); return bpf_dynptr_clone(&q, p); }
SEC("syscall") int const_clone_into(void *ctx)
{ """ + LOCAL + """  return g_clone_into(&d); }
__attribute__((noinline)) int g_read(struct bpf_dynptr *p)
{ char c[2]; char *s = bpf_dynptr_data(p, 0, 2); bpf_dynptr_read(c, 2, p, 0, 0);
  return (s ? s[1] : 0) + c[0] + bpf_dynptr_size(p); }
SEC("syscall") int const_read(void *ctx)
{ """ + RING + """  int r = g_read(&d); bpf_ringbuf_discard_dynptr(&d, 0); return r; }
SEC("syscall") int var_offset(void *ctx)
{ struct bpf_dynptr d[2]; __u32 i = bpf_get_prandom_u32() & 1;
  bpf_dynptr_from_mem(buf, 8, 0, &d[i]); return 0; }
SEC("syscall") int partial_overwrite(void *ctx)
{ """ + LOCAL + """  *((volatile int *)&d + 2) = 0; return bpf_dynptr_size(&d); }
SEC("syscall") int overwrite_then_reinit(void *ctx)
{ """ + LOCAL + """  *((volatile int *)&d + 2) = 0; bpf_dynptr_from_mem(buf, 4, 0, &d);
  return bpf_dynptr_size(&d); }
SEC("socket") int skb_in_socket(struct __sk_buff *skb)
{ struct bpf_dynptr d; bpf_dynptr_from_skb(skb, 0, &d); return 0; }
SEC("kprobe") int skb_in_kprobe(void *ctx)
{ struct bpf_dynptr d; bpf_dynptr_from_skb(ctx, 0, &d); return 0; }
""",
    "bits": """
SEC("syscall") int bits_sum(void *ctx)
{ __u64 w[3] = {0x8001, 0, 0x5}; struct bpf_iter_bits it; int *b, s = 0;
  bpf_iter_bits_new(&it, w, 3);
  while ((b = bpf_iter_bits_next(&it))) s += *b;
  bpf_iter_bits_destroy(&it); return s; }
SEC("syscall") int bits_no_destroy(void *ctx)
{ __u64 w = 3; struct bpf_iter_bits it; bpf_iter_bits_new(&it, &w, 1); return 0; }
SEC("syscall") int bits_next_uninit(void *ctx)
{ struct bpf_iter_bits it; int *b = bpf_iter_bits_next(&it); return b ? *b : 0; }
SEC("syscall") int bits_write_result(void *ctx)
{ __u64 w = 3; struct bpf_iter_bits it; int *b; bpf_iter_bits_new(&it, &w, 1);
  b = bpf_iter_bits_next(&it); if (b) *b = 1; bpf_iter_bits_destroy(&it); return 0; }
""",
}
CASES = [(src, name) for src, text in SOURCES.items()
         for name in [line.split(" int ")[1].split("(")[0]
                      for line in text.splitlines() if line.startswith("SEC(")]]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "dynptr", SOURCES, HEAD, TAIL)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_dynptr_verdict_equals_kernel(objects, src, prog):
    path, obj = objects(src)
    assert_same_verdict(*kernel_and_ours(path, obj, prog))

