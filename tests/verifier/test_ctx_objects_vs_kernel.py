"""Type-specific helpers that need a whole object (BTF-defined maps: socket local storage,
spin locks), each against the live kernel.

Every program here is C compiled by the project's toolchain; the kernel loads it through
libbpf (tests/oracles/kernel.py ``load_object``) and our verifier gets the same object through
``pipeline.verify``.  The verdict, the kernel's verdict line and (when both accept) the
processed-instruction count must be the same.  Skips where bpf() or libbpf is missing.
"""

from __future__ import annotations


import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder

pytestmark = needs_kernel_objects

HEAD = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

SOURCES = {
    # bpf_sk_storage_get/delete: on the cgroup_sock context itself, on a sockopt's ctx->sk,
    # on a full socket from an skb; only with an sk_storage map
    "sk_storage": """
struct { __uint(type, BPF_MAP_TYPE_SK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int); __type(value, long); } sks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4);
  __type(key, int); __type(value, long); } h SEC(".maps");
SEC("cgroup/sock_create") int sock_ctx(struct bpf_sock *sk)
{
  long *v = bpf_sk_storage_get(&sks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (!v) return 1;
  *v += 1;
  return 1;
}
SEC("cgroup/sock_create") int sock_unchecked(struct bpf_sock *sk)
{
  long *v = bpf_sk_storage_get(&sks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  *(volatile long *)v = 1;
  return 1;
}
SEC("cgroup/sock_create") int sock_hash_map(struct bpf_sock *sk)
{
  long *v = bpf_sk_storage_get(&h, sk, 0, 0);
  return v ? 1 : 0;
}
SEC("cgroup/sock_create") int sock_init_value(struct bpf_sock *sk)
{
  long init = 7;
  long *v = bpf_sk_storage_get(&sks, sk, &init, BPF_SK_STORAGE_GET_F_CREATE);
  return v ? 1 : 0;
}
SEC("cgroup/getsockopt") int sockopt_sk(struct bpf_sockopt *ctx)
{
  struct bpf_sock *sk = ctx->sk;
  long *v;
  if (!sk) return 1;
  v = bpf_sk_storage_get(&sks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (v) *v = bpf_get_netns_cookie(ctx);
  return 1;
}
SEC("cgroup_skb/egress") int skb_fullsock_delete(struct __sk_buff *skb)
{
  struct bpf_sock *sk = skb->sk;
  if (!sk) return 1;
  sk = bpf_sk_fullsock(sk);
  if (!sk) return 1;
  bpf_sk_storage_delete(&sks, sk);
  return 1;
}
SEC("cgroup_skb/egress") int skb_sock_common_delete(struct __sk_buff *skb)
{
  struct bpf_sock *sk = skb->sk;
  if (!sk) return 1;
  bpf_sk_storage_delete(&sks, sk);
  return 1;
}
""",
    # bpf_getsockopt/bpf_setsockopt on ctx->sk: setsockopt hooks only
    "sockopt_helpers": """
SEC("cgroup/setsockopt") int set_hook_getsockopt(struct bpf_sockopt *ctx)
{
  int val = 0;
  if (ctx->sk) bpf_getsockopt(ctx->sk, 1, 36, &val, sizeof(val));
  return 1;
}
SEC("cgroup/setsockopt") int set_hook_setsockopt(struct bpf_sockopt *ctx)
{
  int val = 1;
  if (ctx->sk) bpf_setsockopt(ctx->sk, 1, 36, &val, sizeof(val));
  return 1;
}
SEC("cgroup/getsockopt") int get_hook_getsockopt(struct bpf_sockopt *ctx)
{
  int val = 0;
  if (ctx->sk) bpf_getsockopt(ctx->sk, 1, 36, &val, sizeof(val));
  return 1;
}
SEC("cgroup/setsockopt") int set_hook_on_ctx(struct bpf_sockopt *ctx)
{
  int val = 0;
  bpf_getsockopt(ctx, 1, 36, &val, sizeof(val));
  return 1;
}
""",
    # a bpf_spin_lock in a global-data section: libbpf gives the map the section's DATASEC
    # as its BTF value type, so the lock is usable there
    "data_lock": """
struct bpf_spin_lock glock SEC(".data.A");
int counter SEC(".data.A");
SEC("tc") int data_lock(struct __sk_buff *skb)
{
  bpf_spin_lock(&glock);
  counter++;
  bpf_spin_unlock(&glock);
  return 0;
}
SEC("tc") int data_lock_read_directly(struct __sk_buff *skb)
{
  return *(volatile int *)&glock;
}
SEC("tc") int data_unlock_unlocked(struct __sk_buff *skb)
{
  bpf_spin_unlock(&glock);
  return 0;
}
SEC("tc") int data_lock_wrong_offset(struct __sk_buff *skb)
{
  bpf_spin_lock((struct bpf_spin_lock *)&counter);
  return 0;
}
SEC("tc") int data_lock_leaked(struct __sk_buff *skb)
{
  bpf_spin_lock(&glock);
  return 0;
}
""",
    # bpf_snprintf: the constant format is checked against the number of u64 arguments
    "snprintf": """
char out[32];
char writable_fmt[8] = "%d";
#define SNP(name, f, n) SEC("raw_tp/sys_enter") int name(void *ctx) \\
{ static const char fmt[] = f; __u64 args[4] = {1, 2, 3, 4}; \\
  return bpf_snprintf(out, sizeof(out), fmt, args, (n) * 8) > 0; }
SNP(two_args, "%d-%llx", 2)
SNP(too_few_args, "%d %d %d", 2)
SNP(short_int, "%hd", 1)
SNP(ipv4, "%pI4 %pks", 2)
SNP(bad_pointer, "%pZ", 1)
SNP(string_then_letter, "%sx", 1)
SNP(string_then_punct, "%s%d.%c", 3)
SNP(flags_width, "%-08llu|%+5x|% i", 3)
SNP(control_char, "a\\x01", 0)
SNP(utf8_text, "\\xc3\\xa9 %u", 1)
SEC("raw_tp/sys_enter") int no_args(void *ctx)
{
  static const char fmt[] = "plain %%";
  return bpf_snprintf(out, sizeof(out), fmt, 0, 0);
}
SEC("raw_tp/sys_enter") int fmt_not_readonly(void *ctx)
{
  __u64 a = 1;
  return bpf_snprintf(out, sizeof(out), writable_fmt, &a, 8);
}
""",
}

CASES = [("sk_storage", p) for p in ("sock_ctx", "sock_unchecked", "sock_hash_map",
                                     "sock_init_value", "sockopt_sk", "skb_fullsock_delete",
                                     "skb_sock_common_delete")]
CASES += [("sockopt_helpers", p) for p in ("set_hook_getsockopt", "set_hook_setsockopt",
                                           "get_hook_getsockopt", "set_hook_on_ctx")]
CASES += [("snprintf", p) for p in ("two_args", "too_few_args", "short_int", "ipv4",
                                   "bad_pointer", "string_then_letter", "string_then_punct",
                                   "flags_width", "control_char", "utf8_text", "no_args",
                                   "fmt_not_readonly")]
CASES += [("data_lock", p) for p in ("data_lock", "data_lock_read_directly", "data_unlock_unlocked",
                                     "data_lock_wrong_offset", "data_lock_leaked")]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "ctx_objects", SOURCES, HEAD, TAIL)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_object_verdict_equals_kernel(objects, src, prog):
    import pipeline
    path, obj = objects(src)
    res = kernel.load_object(path, prog, log_level=1)
    try:
        processed = kernel.prog_info(res.fd).verified_insns if res.accepted else None
    finally:
        res.close()
    assert res.reached_kernel, res.error
    ours = pipeline.verify(obj, prog, log_level=1)
    assert ours.accepted == res.accepted, (ours.error_line, res.log)
    if res.accepted:
        assert ours.processed_insns == processed
    else:
        assert ours.error_line == res.error_line, res.log
