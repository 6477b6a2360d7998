"""Local objects, linked lists, rbtrees, refcounts and kptrs, each against the live kernel.

Small C programs (bpf_obj_new/bpf_obj_drop, bpf_list_push/pop under a bpf_spin_lock,
bpf_rbtree_add with its 'less' callback, bpf_refcount_acquire, bpf_kptr_xchg) are compiled
by the project's toolchain; the kernel loads each through libbpf (tests/oracles/kernel.py
``load_object``) and our verifier gets the same object through ``pipeline.verify``.  The
verdict, the kernel's verdict line and, when both accept, the processed-instruction count
must be the same.  The rejections cover the rules of the graph API: the lock must be held,
a non-owning reference dies at bpf_spin_unlock, an owning reference must be released, the
node type and offset must match the root's ``__contains``, special fields are not plain
memory.  Skips where bpf() or libbpf is missing.
"""

from __future__ import annotations

import pytest

from tests.oracles import kernel
from tests.support.skips import needs_kernel_objects, object_builder
from tests.support.verdicts import assert_same_verdict, kernel_and_ours

pytestmark = needs_kernel_objects

# This machine's <linux/bpf.h> predates the graph types: their UAPI layout, and the
# declarations of bpf_experimental.h (the kernel matches the types by name).
HEAD = r"""#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct bpf_list_head { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_list_node { __u64 __opaque[3]; } __attribute__((aligned(8)));
struct bpf_rb_root { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_rb_node { __u64 __opaque[4]; } __attribute__((aligned(8)));
struct bpf_refcount { __u32 __opaque[1]; } __attribute__((aligned(4)));
#define __contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))
#define __kptr __attribute__((btf_type_tag("kptr")))
#define private(name) SEC(".bss." #name) __attribute__((aligned(8)))
#define container_of(p, type, member) ((type *)((void *)(p) - __builtin_offsetof(type, member)))
extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern void *bpf_refcount_acquire_impl(void *kptr, void *meta) __ksym;
extern int bpf_list_push_front_impl(struct bpf_list_head *head, struct bpf_list_node *node,
                                    void *meta, __u64 off) __ksym;
extern int bpf_list_push_back_impl(struct bpf_list_head *head, struct bpf_list_node *node,
                                   void *meta, __u64 off) __ksym;
extern struct bpf_list_node *bpf_list_pop_front(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_pop_back(struct bpf_list_head *head) __ksym;
extern struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root *root,
                                             struct bpf_rb_node *node) __ksym;
extern int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
                               _Bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b),
                               void *meta, __u64 off) __ksym;
extern struct bpf_rb_node *bpf_rbtree_first(struct bpf_rb_root *root) __ksym;
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(__builtin_btf_type_id(*(type *)0, 0), 0))
#define bpf_obj_drop(p) bpf_obj_drop_impl(p, 0)
#define bpf_refcount_acquire(p) bpf_refcount_acquire_impl(p, 0)
#define bpf_list_push_front(h, n) bpf_list_push_front_impl(h, n, 0, 0)
#define bpf_list_push_back(h, n) bpf_list_push_back_impl(h, n, 0, 0)
#define bpf_rbtree_add(r, n, less) bpf_rbtree_add_impl(r, n, less, 0, 0)

struct elem { long key; struct bpf_list_node node; int data; };
struct other { struct bpf_list_node node; int data; };
struct tnode { struct bpf_rb_node rb; long key; };
struct rnode { long key; struct bpf_list_node l; struct bpf_rb_node r; struct bpf_refcount ref; };
struct plain { long a; long b; };

private(A) struct bpf_spin_lock glock;
private(A) struct bpf_list_head ghead __contains(elem, node);
private(B) struct bpf_spin_lock tlock;
private(B) struct bpf_rb_root troot __contains(tnode, rb);
private(C) struct bpf_spin_lock rlock;
private(C) struct bpf_list_head rhead __contains(rnode, l);
private(C) struct bpf_rb_root rroot __contains(rnode, r);

struct stash { struct plain __kptr *p; long x; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, int); __type(value, struct stash);
         __uint(max_entries, 1); } stashes SEC(".maps");

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
  return container_of(a, struct tnode, rb)->key < container_of(b, struct tnode, rb)->key;
}
static _Bool rless(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
  return container_of(a, struct rnode, r)->key < container_of(b, struct rnode, r)->key;
}
"""
TAIL = '\nchar LICENSE[] SEC("license") = "GPL";\n'

SOURCES = {
    "accepted": r"""
SEC("tc") int obj_new_drop(void *ctx)
{
  struct plain *p = bpf_obj_new(struct plain);
  if (!p) return 1;
  p->a = 7; p->b = p->a + 1;
  bpf_obj_drop(p);
  return 0;
}
SEC("tc") int list_push_pop(void *ctx)
{
  struct bpf_list_node *n;
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  e->data = 42;
  bpf_spin_lock(&glock);
  bpf_list_push_front(&ghead, &e->node);
  bpf_spin_unlock(&glock);
  bpf_spin_lock(&glock);
  n = bpf_list_pop_back(&ghead);
  bpf_spin_unlock(&glock);
  if (!n) return 2;
  e = container_of(n, struct elem, node);
  if (e->data != 42) { bpf_obj_drop(e); return 3; }
  bpf_obj_drop(e);
  return 0;
}
SEC("tc") int list_fifo_sum(void *ctx)
{
  struct bpf_list_node *n;
  struct elem *e;
  int i, sum = 0;
  for (i = 1; i <= 3; i++) {
    e = bpf_obj_new(struct elem);
    if (!e) return -1;
    e->data = i * 10;
    bpf_spin_lock(&glock);
    bpf_list_push_back(&ghead, &e->node);
    bpf_spin_unlock(&glock);
  }
  for (i = 0; i < 4; i++) {
    bpf_spin_lock(&glock);
    n = bpf_list_pop_front(&ghead);
    bpf_spin_unlock(&glock);
    if (!n) break;
    e = container_of(n, struct elem, node);
    sum = sum * 2 + e->data;
    bpf_obj_drop(e);
  }
  return sum + i * 1000;
}
SEC("tc") int refcount_list_twice(void *ctx)
{
  struct bpf_list_node *n;
  struct rnode *a = bpf_obj_new(struct rnode), *b;
  int ret;
  if (!a) return -1;
  a->key = 5;
  b = bpf_refcount_acquire(a);
  bpf_spin_lock(&rlock);
  bpf_list_push_back(&rhead, &a->l);
  ret = bpf_list_push_back(&rhead, &b->l);    /* already in the list: -EINVAL */
  n = bpf_list_pop_front(&rhead);
  bpf_spin_unlock(&rlock);
  if (!n) return -2;
  a = container_of(n, struct rnode, l);
  ret = ret * 100 + a->key;
  bpf_obj_drop(a);
  return ret;
}
SEC("tc") int rbtree_add_first_remove(void *ctx)
{
  struct bpf_rb_node *res;
  struct tnode *t = bpf_obj_new(struct tnode), *u = bpf_obj_new(struct tnode);
  if (!t || !u) { if (t) bpf_obj_drop(t); if (u) bpf_obj_drop(u); return 1; }
  t->key = 3; u->key = 5;
  bpf_spin_lock(&tlock);
  bpf_rbtree_add(&troot, &t->rb, less);
  bpf_rbtree_add(&troot, &u->rb, less);
  res = bpf_rbtree_first(&troot);
  if (!res) { bpf_spin_unlock(&tlock); return 2; }
  res = bpf_rbtree_remove(&troot, res);
  bpf_spin_unlock(&tlock);
  if (!res) return 3;
  t = container_of(res, struct tnode, rb);
  bpf_obj_drop(t);
  return 0;
}
SEC("tc") int refcount_in_two_graphs(void *ctx)
{
  struct rnode *n = bpf_obj_new(struct rnode), *m;
  if (!n) return 1;
  m = bpf_refcount_acquire(n);
  bpf_spin_lock(&rlock);
  bpf_list_push_back(&rhead, &n->l);
  if (m) bpf_rbtree_add(&rroot, &m->r, rless);
  bpf_spin_unlock(&rlock);
  return 0;
}
SEC("tc") int kptr_stash(void *ctx)
{
  int key = 0;
  struct stash *s = bpf_map_lookup_elem(&stashes, &key);
  struct plain *p;
  if (!s) return 1;
  p = bpf_obj_new(struct plain);
  if (!p) return 2;
  p = bpf_kptr_xchg(&s->p, p);
  if (p) bpf_obj_drop(p);
  p = bpf_kptr_xchg(&s->p, 0);
  if (p) bpf_obj_drop(p);
  return 0;
}
""",
    "rejected": r"""
SEC("tc") int push_without_lock(void *ctx)
{
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  bpf_list_push_front(&ghead, &e->node);
  return 0;
}
SEC("tc") int pop_with_wrong_lock(void *ctx)
{
  struct bpf_list_node *n;
  bpf_spin_lock(&tlock);
  n = bpf_list_pop_front(&ghead);
  bpf_spin_unlock(&tlock);
  if (n) bpf_obj_drop(container_of(n, struct elem, node));
  return 0;
}
SEC("tc") int non_owning_after_unlock(void *ctx)
{
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  bpf_spin_lock(&glock);
  bpf_list_push_front(&ghead, &e->node);
  bpf_spin_unlock(&glock);
  e->data = 1;
  return 0;
}
SEC("tc") int owning_leak(void *ctx)
{
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  e->data = 2;
  return 0;
}
SEC("tc") int popped_leak(void *ctx)
{
  struct bpf_list_node *n;
  bpf_spin_lock(&glock);
  n = bpf_list_pop_front(&ghead);
  bpf_spin_unlock(&glock);
  return n ? 1 : 0;
}
SEC("tc") int drop_twice(void *ctx)
{
  struct plain *p = bpf_obj_new(struct plain);
  if (!p) return 1;
  bpf_obj_drop(p);
  bpf_obj_drop(p);
  return 0;
}
SEC("tc") int pop_unchecked(void *ctx)
{
  struct bpf_list_node *n;
  struct elem *e;
  bpf_spin_lock(&glock);
  n = bpf_list_pop_front(&ghead);
  bpf_spin_unlock(&glock);
  e = container_of(n, struct elem, node);
  return e->data;
}
SEC("tc") int direct_node_read(void *ctx)
{
  struct elem *e = bpf_obj_new(struct elem);
  long v;
  if (!e) return 1;
  v = *(volatile long *)&e->node;
  bpf_obj_drop(e);
  return v;
}
SEC("tc") int wrong_node_type(void *ctx)
{
  struct other *o = bpf_obj_new(struct other);
  if (!o) return 1;
  bpf_spin_lock(&glock);
  bpf_list_push_front(&ghead, &o->node);
  bpf_spin_unlock(&glock);
  return 0;
}
SEC("tc") int push_twice(void *ctx)
{
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  bpf_spin_lock(&glock);
  bpf_list_push_front(&ghead, &e->node);
  bpf_list_push_back(&ghead, &e->node);
  bpf_spin_unlock(&glock);
  return 0;
}
SEC("tc") int obj_new_under_lock(void *ctx)
{
  struct elem *e;
  bpf_spin_lock(&glock);
  e = bpf_obj_new(struct elem);
  bpf_spin_unlock(&glock);
  if (e) bpf_obj_drop(e);
  return 0;
}
SEC("tc") int kptr_direct_store(void *ctx)
{
  int key = 0;
  struct stash *s = bpf_map_lookup_elem(&stashes, &key);
  if (!s) return 1;
  *(volatile long *)&s->p = 0x1234;
  return 0;
}
SEC("tc") int kptr_xchg_wrong_type(void *ctx)
{
  int key = 0;
  struct stash *s = bpf_map_lookup_elem(&stashes, &key);
  struct elem *e;
  if (!s) return 1;
  e = bpf_obj_new(struct elem);
  if (!e) return 2;
  e = bpf_kptr_xchg(&s->p, e);
  if (e) bpf_obj_drop(e);
  return 0;
}
struct twelve_kptrs { struct elem __kptr *p[12]; };
private(TWELVE) struct twelve_kptrs gtwelve;
SEC("tc") int kptr_twelve_fields(void *ctx)
{
  /* more special fields than one record holds (BTF_FIELDS_MAX): the map has none */
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  e = bpf_kptr_xchg(&gtwelve.p[3], e);
  if (e) bpf_obj_drop(e);
  return 0;
}
static _Bool locking_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
  bpf_spin_lock(&glock);
  bpf_spin_unlock(&glock);
  return 0;
}
SEC("tc") int rbtree_cb_takes_lock(void *ctx)
{
  struct tnode *t = bpf_obj_new(struct tnode);
  if (!t) return 1;
  bpf_spin_lock(&tlock);
  bpf_rbtree_add(&troot, &t->rb, locking_less);
  bpf_spin_unlock(&tlock);
  return 0;
}
""",
}

ACCEPTED = ["obj_new_drop", "list_push_pop", "list_fifo_sum", "refcount_list_twice",
            "rbtree_add_first_remove",
            "refcount_in_two_graphs", "kptr_stash"]
REJECTED = ["push_without_lock", "pop_with_wrong_lock", "non_owning_after_unlock",
            "owning_leak", "popped_leak", "drop_twice", "pop_unchecked", "direct_node_read",
            "wrong_node_type", "push_twice", "obj_new_under_lock", "kptr_direct_store",
            "kptr_xchg_wrong_type", "rbtree_cb_takes_lock", "kptr_twelve_fields"]
CASES = [("accepted", p) for p in ACCEPTED] + [("rejected", p) for p in REJECTED]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return object_builder(tmp_path_factory, "graph", SOURCES, HEAD, TAIL)


def _both(objects, src: str, prog: str):
    path, obj = objects(src)
    return kernel_and_ours(path, obj, prog)


@pytest.mark.parametrize("src, prog", CASES, ids=[p for _, p in CASES])
def test_graph_verdict_equals_kernel(objects, src, prog):
    res, processed, ours = _both(objects, src, prog)
    assert res.accepted == (src == "accepted"), res.log     # the program tests what it says
    assert_same_verdict(res, processed, ours)
    if not res.accepted:
        # the lines the kernel prints before its verdict line (the leaked reference, ...)
        block = res.error_block.splitlines()
        assert ours.log.splitlines()[-1 - len(block):-1] == block, res.log


# Programs the mock kernel can run (objects, refcounts and lists: no kernel-side callback),
# each against BPF_PROG_TEST_RUN of the same object on the live kernel, on every engine.
RUNS = ["obj_new_drop", "list_push_pop", "list_fifo_sum", "refcount_list_twice"]
PACKET = bytes(range(64))


@pytest.mark.parametrize("engine", ["interp", "unicorn", "native"])
@pytest.mark.parametrize("prog", RUNS)
def test_graph_run_equals_kernel(objects, prog, engine):
    import pipeline
    path, obj = objects("accepted")
    res = kernel.load_object(path, prog, log_level=0)
    try:
        assert res.accepted, res.log
        want = kernel.prog_test_run(res.fd, PACKET).retval
    finally:
        res.close()
    try:
        got = pipeline.run(obj, prog, data=PACKET, engine=engine)
    except pipeline.Error as e:
        if engine == "unicorn" and "unicorn" in str(e):
            pytest.skip(str(e))
        raise
    assert got.retval == want


def test_rbtree_run_is_refused_by_name(objects):
    import pipeline
    _, obj = objects("accepted")
    with pytest.raises(pipeline.Error, match="bpf_rbtree_add_impl"):
        pipeline.run(obj, "rbtree_add_first_remove", data=PACKET, engine="interp")
