"""Verifier rules that need a whole object (BTF, subprograms, maps), each against the live kernel.

Every program here is C compiled by the project's toolchain; the kernel loads it through
libbpf (tests/oracles/kernel.py ``load_object``) and our verifier gets the same object through
``pipeline.verify``.  The verdict, the kernel's verdict line and (when both accept) the
processed-instruction count must be the same.  Skips where bpf() or libbpf is missing.
The numbers in the comments name the rule of issue 12 each program covers.
"""

from __future__ import annotations


import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder

pytestmark = needs_kernel_objects

HEAD = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'
PKT = """
  void *data = (void *)(long)sk->data, *end = (void *)(long)sk->data_end;
  if (data + 4 > end) return 0;
"""
PROG_ARRAY = """struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 1);
  __type(key, int); __type(value, int); } jt SEC(".maps");
"""

SOURCES = {
    # 2. "changes packet data" reaches the caller through nested subprograms and tail calls
    "pkt_data": PROG_ARRAY + """
__attribute__((noinline)) int inner(struct __sk_buff *sk) { return bpf_skb_pull_data(sk, 0); }
__attribute__((noinline)) int outer(struct __sk_buff *sk) { return inner(sk) + 1; }
SEC("tc") int nested_global(struct __sk_buff *sk)
{""" + PKT + """  outer(sk);
  return *(volatile char *)data;
}
__attribute__((noinline)) static int st_inner(struct __sk_buff *sk)
{ return bpf_skb_pull_data(sk, 0); }
__attribute__((noinline)) int g_outer(struct __sk_buff *sk) { return st_inner(sk) + 1; }
SEC("tc") int global_over_static(struct __sk_buff *sk)
{""" + PKT + """  g_outer(sk);
  return *(volatile char *)data;
}
__attribute__((noinline)) int g_tail(struct __sk_buff *sk) { bpf_tail_call(sk, &jt, 0); return 0; }
SEC("tc") int global_tail_call(struct __sk_buff *sk)
{""" + PKT + """  g_tail(sk);
  return *(volatile char *)data;
}
__attribute__((noinline)) static int s_tail(struct __sk_buff *sk)
{ bpf_tail_call(sk, &jt, 0); return sk->len; }
SEC("tc") int static_tail_call(struct __sk_buff *sk)
{""" + PKT + """  if (s_tail(sk) == 7) return 1;
  return *(volatile char *)data;
}
SEC("tc") int main_tail_call(struct __sk_buff *sk)
{""" + PKT + """  bpf_tail_call(sk, &jt, 0);
  return *(volatile char *)data;
}
__attribute__((noinline)) int g_quiet(struct __sk_buff *sk) { return sk->len + 1; }
SEC("tc") int global_keeps_pkt(struct __sk_buff *sk)
{""" + PKT + """  g_quiet(sk);
  return *(volatile char *)data;
}
""",
    # 3. LD_ABS/LD_IND in a subprogram may leave it with R0 = 0
    "ld_abs": """
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
__attribute__((noinline)) static int fill(struct __sk_buff *skb, int *out)
{ *out = load_byte(skb, 0); return skb->len; }
SEC("socket") int ldabs_fill(struct __sk_buff *skb)
{
  int v;
  if (fill(skb, &v) == 3) return 1;
  return v;
}
__attribute__((noinline)) static int one(struct __sk_buff *skb)
{ int x = load_byte(skb, 0); return x | 0x100; }
SEC("socket") int ldabs_ret0(struct __sk_buff *skb)
{
  int arr[4] = {};
  int r = one(skb);
  return arr[(r >> 8) - 1 + skb->len * 0];
}
__attribute__((noinline)) static int ind(struct __sk_buff *skb, int i)
{ int x = load_byte(skb, i & 7); return x + 1; }
SEC("socket") int ldind_ret0(struct __sk_buff *skb)
{
  char arr[8] = {};
  int r = ind(skb, skb->len);
  return arr[8 - r];
}
""",
    # 9. a map-fd ld_imm64 without a relocation: its fd (0) names no map
    "ld_imm64": """
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int);
  __type(value, long); } arr SEC(".maps");
SEC("socket") int unrelocated_map_fd(void *ctx)
{
  int k = 0;
  long *p = bpf_map_lookup_elem(&arr, &k);
  if (!p) return 0;
  /* r1 = map fd 0 ll, written as bytes so that no relocation comes with it */
  asm volatile(".byte 0x18, 0x11, 0, 0, 0, 0, 0, 0\\n .byte 0, 0, 0, 0, 0, 0, 0, 0"
               ::: "r1");
  return *p;
}
SEC("socket") int unrelocated_map_value(void *ctx)
{
  int k = 0;
  long *p = bpf_map_lookup_elem(&arr, &k);
  if (!p) return 0;
  asm volatile(".byte 0x18, 0x21, 0, 0, 0, 0, 0, 0\\n .byte 0, 0, 0, 0, 0, 0, 0, 0"
               ::: "r1");
  return *p;
}
""",
    # 5, 6. helpers write their result into no .rodata value, and aligned
    "result_ptr": """
const volatile long ro = 5;
long rw[4];
SEC("socket") int strtol_rodata(void *ctx)
{ char buf[4] = "12"; bpf_strtol(buf, sizeof(buf), 0, (long *)&ro); return 0; }
SEC("socket") int strtoul_rodata(void *ctx)
{ char buf[4] = "12"; bpf_strtoul(buf, sizeof(buf), 0, (unsigned long *)&ro); return 0; }
SEC("socket") int strtol_bss(void *ctx)
{ char buf[4] = "12"; bpf_strtol(buf, sizeof(buf), 0, &rw[1]); return 0; }
SEC("socket") int strtol_bss_misaligned(void *ctx)
{ char buf[4] = "12"; bpf_strtol(buf, sizeof(buf), 0, (long *)((char *)rw + 4)); return 0; }
SEC("kprobe") int probe_read_rodata(void *ctx)
{ bpf_probe_read_kernel((void *)&ro, 8, ctx); return 0; }
""",
    # 11. iter programs return 0 or 1; tp_btf programs have no function address
    "tracing": """
SEC("iter/bpf_map") int iter_ret2(void *ctx) { return 2; }
SEC("iter/bpf_map") int iter_ret1(void *ctx) { return 1; }
SEC("tp_btf/sched_switch") int tp_btf_func_ip(void *ctx) { return bpf_get_func_ip(ctx) & 0; }
SEC("tracepoint/syscalls/sys_enter_getpid") int tp_func_ip(void *ctx)
{ return bpf_get_func_ip(ctx) & 0; }
""",
    # 8. socket maps: no lookup in local storage, a sockmap lookup holds a reference,
    # map_update/delete only from program types where sockets are not locked
    "sock_maps": """
struct { __uint(type, BPF_MAP_TYPE_SK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int); __type(value, long); } sks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 4); __type(key, int);
  __type(value, int); } sm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SOCKHASH); __uint(max_entries, 4); __type(key, int);
  __type(value, int); } sh SEC(".maps");
SEC("tc") int sk_storage_lookup(struct __sk_buff *skb)
{ int k = 0; long *v = bpf_map_lookup_elem(&sks, &k); return v ? 1 : 0; }
SEC("tc") int sockmap_lookup_leak(struct __sk_buff *skb)
{ int k = 0; void *s = bpf_map_lookup_elem(&sm, &k); return s ? 1 : 0; }
SEC("tc") int sockhash_lookup_leak(struct __sk_buff *skb)
{ int k = 0; void *s = bpf_map_lookup_elem(&sh, &k); return s ? 1 : 0; }
SEC("tc") int sockmap_lookup_release(struct __sk_buff *skb)
{
  int k = 0;
  struct bpf_sock *s = bpf_map_lookup_elem(&sm, &k);
  if (s) bpf_sk_release(s);
  return 0;
}
SEC("raw_tp/sys_enter") int sockmap_delete_raw_tp(void *ctx)
{ int k = 0; return bpf_map_delete_elem(&sm, &k); }
SEC("kprobe") int sockhash_delete_kprobe(void *ctx)
{ int k = 0; return bpf_map_delete_elem(&sh, &k); }
SEC("tc") int sockmap_delete_tc(struct __sk_buff *skb)
{ int k = 0; return bpf_map_delete_elem(&sm, &k); }
SEC("sockops") int sockmap_delete_sockops(struct bpf_sock_ops *ctx)
{ int k = 0; return bpf_map_delete_elem(&sm, &k) & 0; }
""",
    # 10. a global function's dynptr argument must be an initialized dynptr, never NULL;
    # the main function's exception_callback: tag names a function the program may not call
    "dynptr_exc": """
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
                               struct bpf_dynptr *ptr__uninit) __ksym;
__attribute__((noinline)) int dyn_user(struct bpf_dynptr *p) { return p ? 1 : 0; }
SEC("tc") int dynptr_null(struct __sk_buff *skb) { return dyn_user((void *)0); }
SEC("tc") int dynptr_uninit(struct __sk_buff *skb)
{ struct bpf_dynptr d; return dyn_user(&d); }
SEC("tc") int dynptr_init(struct __sk_buff *skb)
{ struct bpf_dynptr d; bpf_dynptr_from_skb(skb, 0, &d); return dyn_user(&d); }
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
__attribute__((noinline)) int dyn_size(struct bpf_dynptr *p) { return bpf_dynptr_size(p); }
SEC("tc") int dynptr_callee_uses(struct __sk_buff *skb)
{ struct bpf_dynptr d; bpf_dynptr_from_skb(skb, 0, &d); return dyn_size(&d) & 1; }
__attribute__((noinline)) int exc_cb(unsigned long long cookie) { return cookie + 1; }
SEC("tc") __attribute__((btf_decl_tag("exception_callback:exc_cb")))
int exc_called_directly(struct __sk_buff *skb) { return exc_cb(skb->len); }
SEC("tc") __attribute__((btf_decl_tag("exception_callback:exc_cb")))
int exc_not_in_program(struct __sk_buff *skb) { return 0; }
""",
}

CASES = [("pkt_data", p) for p in ("nested_global", "global_over_static", "global_tail_call",
                                    "static_tail_call", "main_tail_call", "global_keeps_pkt")]
CASES += [("ld_abs", p) for p in ("ldabs_fill", "ldabs_ret0", "ldind_ret0")]
CASES += [("result_ptr", p) for p in ("strtol_rodata", "strtoul_rodata", "strtol_bss",
                                      "strtol_bss_misaligned", "probe_read_rodata")]
CASES += [("tracing", p) for p in ("iter_ret2", "iter_ret1", "tp_btf_func_ip", "tp_func_ip")]
CASES += [("sock_maps", p) for p in ("sk_storage_lookup", "sockmap_lookup_leak",
                                     "sockhash_lookup_leak", "sockmap_lookup_release",
                                     "sockmap_delete_raw_tp", "sockhash_delete_kprobe",
                                     "sockmap_delete_tc", "sockmap_delete_sockops")]
CASES += [("dynptr_exc", p) for p in ("dynptr_null", "dynptr_uninit", "dynptr_init",
                                      "dynptr_callee_uses",
                                      "exc_called_directly", "exc_not_in_program")]
CASES += [("ld_imm64", p) for p in ("unrelocated_map_fd", "unrelocated_map_value")]
# level-2 logs equal line for line (the implicit exit's path and its place in the log)
LOG2 = [("ld_abs", "ldabs_fill"), ("ld_abs", "ldabs_ret0"), ("dynptr_exc", "dynptr_null"),
        ("dynptr_exc", "dynptr_uninit"), ("dynptr_exc", "exc_called_directly"),
        ("dynptr_exc", "exc_not_in_program")]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "rules_objects", SOURCES, HEAD, TAIL)


def _libbpf_version() -> tuple[int, int]:
    import ctypes
    lib = ctypes.CDLL("libbpf.so.1")
    return lib.libbpf_major_version(), lib.libbpf_minor_version()


# libbpf >= 1.3 appends a tagged exception callback to the program (our linker, like this
# machine's libbpf 1.1, does not): then the kernel sees another program
NEEDS_OLD_LIBBPF = {"exc_not_in_program"}


def _both(objects, src: str, prog: str, level: int = 1):
    import pipeline
    if prog in NEEDS_OLD_LIBBPF and _libbpf_version() >= (1, 3):
        pytest.skip("libbpf >= 1.3 appends the exception callback")
    path, obj = objects(src)
    res = kernel.load_object(path, prog, log_level=level)
    try:
        processed = kernel.prog_info(res.fd).verified_insns if res.accepted else None
    finally:
        res.close()
    assert res.reached_kernel, res.error
    # tp_btf/iter contexts are typed by the kernel's BTF, which libbpf loads them against
    opts = {"target_btf": "vmlinux"} if src == "tracing" else {}
    return res, processed, pipeline.verify(obj, prog, log_level=level, **opts)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_object_verdict_equals_kernel(objects, src, prog):
    res, processed, ours = _both(objects, src, prog)
    assert ours.accepted == res.accepted, (ours.error_line, res.log)
    if res.accepted:
        assert ours.processed_insns == processed
    else:
        assert ours.error_line == res.error_line, res.log


@pytest.mark.parametrize("src, prog", LOG2, ids=[p for _, p in LOG2])
def test_object_level2_log_equals_kernel(objects, src, prog):
    res, _, ours = _both(objects, src, prog, level=2)
    assert ours.log.splitlines() == res.log.splitlines()


def test_sockmap_update_context_message_equals_kernel(objects):
    # the kernel says why before the verdict line
    res, _, ours = _both(objects, "sock_maps", "sockmap_delete_raw_tp")
    assert not res.accepted
    block = res.error_block.splitlines()
    assert len(block) == 2, res.log          # the reason line, then the verdict line
    assert ours.log.splitlines()[-1 - len(block):-1] == block
