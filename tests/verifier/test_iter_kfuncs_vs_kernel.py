"""Kfuncs of iterators and sockets, each program against the live kernel.

bpf_sock_destroy is registered for tracing programs, but its set's filter admits iterators
only; bpf_map_sum_elem_count takes a trusted map (an iterator's map is one); tracing
programs' bpf_get_socket_cookie takes a socket object.  The kernel loads each object
through libbpf; ours is ``pipeline.verify`` of the same object with ``target_btf="vmlinux"``.
Verdict, verdict line and (when both accept) processed instructions must be equal.
"""

from __future__ import annotations


import pytest

from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

HEAD = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define __pai __attribute__((preserve_access_index))
struct sock_common { unsigned short skc_family; } __pai;
struct seq_file { char *buf; } __pai;
struct bpf_map { unsigned int max_entries; } __pai;
struct bpf_iter_meta { struct seq_file *seq; unsigned long long session_id; } __pai;
struct bpf_iter__tcp { struct bpf_iter_meta *meta; struct sock_common *sk_common;
  unsigned int uid; } __pai;
struct bpf_iter__bpf_map { struct bpf_iter_meta *meta; struct bpf_map *map; } __pai;
extern int bpf_sock_destroy(struct sock_common *sk) __ksym;
extern long long bpf_map_sum_elem_count(const struct bpf_map *map) __ksym;
"""
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

SRC = """
SEC("iter/tcp") int destroy_checked(struct bpf_iter__tcp *ctx)
{ struct sock_common *sk = ctx->sk_common;
  if (!sk) return 0;
  if (bpf_get_socket_cookie(sk) == 7) bpf_sock_destroy(sk);
  return 0; }
SEC("iter/tcp") int destroy_unchecked(struct bpf_iter__tcp *ctx)
{ bpf_sock_destroy(ctx->sk_common); return 0; }
SEC("tp_btf/sys_enter") int destroy_outside_iter(unsigned long long *ctx)
{ bpf_sock_destroy((struct sock_common *)ctx[0]); return 0; }
SEC("iter/bpf_map") int map_count(struct bpf_iter__bpf_map *ctx)
{ struct bpf_map *map = ctx->map;
  if (!map) return 0;
  return bpf_map_sum_elem_count(map) > 100; }
SEC("iter/bpf_map") int map_count_unchecked(struct bpf_iter__bpf_map *ctx)
{ return bpf_map_sum_elem_count(ctx->map) > 100; }
"""
CASES = ["destroy_checked", "destroy_unchecked", "destroy_outside_iter", "map_count",
         "map_count_unchecked"]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "iter_kfunc_objects", {"src": SRC}, HEAD, TAIL)


@pytest.mark.parametrize("prog", CASES)
def test_verdict_equals_kernel(objects, prog):
    path, obj = objects("src")
    assert_same_verdict(*kernel_and_ours(path, obj, prog, target_btf="vmlinux", skip_eperm=True))
