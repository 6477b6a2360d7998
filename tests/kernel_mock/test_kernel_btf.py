"""The mock kernel's BTF: prototypes, struct layouts, argument classes, ksym resolution, cache.

Oracles: the documented prototypes and layouts of reference/testmod_kfuncs.md
§2 (bpf_testmod) and the running kernel's /sys/kernel/btf/vmlinux (core
kfuncs), both read through bpftool's dump of the built object, never through
our BTF parser; the kfunc argument naming conventions (``__sz``, ``__str``,
``__iter``, ``__uninit``, ``__arena``) and the special pointee types listed in
testmod_kfuncs.md for the argument classes.
"""

from __future__ import annotations

import shutil

import pytest

import btf
from btf.errors import BtfError
from btf.kernel import load_kernel_btf, resolve_ksyms
from btf.kfuncs import KfArg
from pipeline.kernel import build as kbuild
from pipeline.kernel import kfunc_defs
from tests.kernel_mock.test_task_kfuncs import TASK_KFUNCS
from tests.kernel_mock.test_vmlinux_kfuncs import VMLINUX_KFUNCS

U64 = "u64"
A_TO = lambda last: [(c, U64) for c in "abcdefghij"[: "abcdefghij".index(last) + 1]]  # noqa: E731

# testmod_kfuncs.md §2, kernel side (u64 spelling).  Names: exactly the documented ones.
TESTMOD_PROTOS = {
    "bpf_kfunc_call_stack_arg": (U64, A_TO("j")),
    "bpf_kfunc_call_stack_arg_ptr": (U64, A_TO("i") + [("p", "struct prog_test_pass1 *")]),
    "bpf_kfunc_call_stack_arg_mix": (U64, A_TO("g") + [("p", "struct prog_test_pass1 *"),
                                                       ("h", U64),
                                                       ("q", "struct prog_test_pass1 *")]),
    "bpf_kfunc_call_stack_arg_dynptr": (U64, A_TO("i") + [("ptr", "struct bpf_dynptr *")]),
    "bpf_kfunc_call_stack_arg_mem": (U64, A_TO("e") + [("mem", "void *"), ("mem__sz", "int")]),
    # not in bpf_testmod: the pair split between R5 and slot 1 (review bug (d))
    "bpf_kfunc_call_stack_arg_mem_r5": (U64, A_TO("d") + [("mem", "void *"), ("mem__sz", "int")]),
    "bpf_kfunc_call_stack_arg_iter": (U64, A_TO("i") + [("it__iter",
                                                         "struct bpf_iter_testmod_seq *")]),
    "bpf_kfunc_call_stack_arg_const_str": (U64, A_TO("i") + [("str__str", "const char *")]),
    "bpf_kfunc_call_stack_arg_timer": (U64, A_TO("i") + [("timer", "struct bpf_timer *")]),
    "bpf_kfunc_call_stack_arg_big": (U64, A_TO("e") + [("s", "struct prog_test_big_arg")]),
    "bpf_iter_testmod_seq_new": ("int", [("it", "struct bpf_iter_testmod_seq *"),
                                         ("value", "s64"), ("cnt", "int")]),
    "bpf_iter_testmod_seq_next": ("s64 *", [("it", "struct bpf_iter_testmod_seq *")]),
    "bpf_iter_testmod_seq_destroy": ("void", [("it", "struct bpf_iter_testmod_seq *")]),
    "bpf_kfunc_arena_stack_arg_test": (U64, A_TO("e") + [("f__arena", "u64 *")]),
    # bpf_testmod_kfunc.h / bpf_testmod.c
    "bpf_kfunc_call_test_acquire": ("struct prog_test_ref_kfunc *",
                                    [("scalar_ptr", "unsigned long *")]),
}
# The core kfuncs, kernel side.  testmod_kfuncs.md quotes the BPF-side header
# (bpf_kfuncs.h: `struct __sk_buff *skb, __u64 flags`); the kernel's own
# parameter names and typedefs are vmlinux's (checked against it below).
CORE_PROTOS = {
    "bpf_dynptr_from_skb": ("int", [("s", "struct __sk_buff *"), ("flags", U64),
                                    ("ptr__uninit", "struct bpf_dynptr *")]),
    "bpf_dynptr_size": (U64, [("p", "const struct bpf_dynptr *")]),
    "bpf_iter_num_new": ("int", [("it", "struct bpf_iter_num *"), ("start", "int"),
                                 ("end", "int")]),
    "bpf_iter_num_next": ("int *", [("it", "struct bpf_iter_num *")]),
    "bpf_iter_num_destroy": ("void", [("it", "struct bpf_iter_num *")]),
    "bpf_kfunc_call_test_release": ("void", [("p", "struct prog_test_ref_kfunc *")]),
    "bpf_throw": ("void", [("cookie", U64)]),
}
# Local objects and BPF graphs (kernel/bpf/helpers.c generic_btf_ids; core/graph.c)
LH, LN = "struct bpf_list_head *", "struct bpf_list_node *"
RR, RN = "struct bpf_rb_root *", "struct bpf_rb_node *"
GRAPH_PROTOS = {
    "bpf_obj_new_impl": ("void *", [("local_type_id__k", U64), ("meta__ign", "void *")]),
    "bpf_obj_drop_impl": ("void", [("p__alloc", "void *"), ("meta__ign", "void *")]),
    "bpf_refcount_acquire_impl": ("void *", [("p__refcounted_kptr", "void *"),
                                             ("meta__ign", "void *")]),
    "bpf_list_push_front_impl": ("int", [("head", LH), ("node", LN), ("meta__ign", "void *"),
                                         ("off", U64)]),
    "bpf_list_push_back_impl": ("int", [("head", LH), ("node", LN), ("meta__ign", "void *"),
                                        ("off", U64)]),
    "bpf_list_pop_front": (LN, [("head", LH)]),
    "bpf_list_pop_back": (LN, [("head", LH)]),
    "bpf_rbtree_remove": (RN, [("root", RR), ("node", RN)]),
    "bpf_rbtree_add_impl": ("int", [("root", RR), ("node", RN),
                                    # bool (*less)(struct bpf_rb_node *, const struct
                                    # bpf_rb_node *): the renderer names no prototypes
                                    ("less", "(anon) *"),
                                    ("meta__ign", "void *"), ("off", U64)]),
    "bpf_rbtree_first": (RN, [("root", RR)]),
}
CORE_PROTOS.update(GRAPH_PROTOS)
# the dynptr kfuncs and the bits iterator as the running kernel's BTF (6.18) declares them
_DP = [("p", "const struct bpf_dynptr *")]
DYNPTR_PROTOS = {
    "bpf_dynptr_from_xdp": ("int", [("x", "struct xdp_md *"), ("flags", U64),
                                    ("ptr__uninit", "struct bpf_dynptr *")]),
    "bpf_dynptr_slice": ("void *", _DP + [("offset", "u32"), ("buffer__opt", "void *"),
                                          ("buffer__szk", "u32")]),
    "bpf_dynptr_slice_rdwr": ("void *", _DP + [("offset", "u32"), ("buffer__opt", "void *"),
                                               ("buffer__szk", "u32")]),
    "bpf_dynptr_adjust": ("int", _DP + [("start", "u32"), ("end", "u32")]),
    "bpf_dynptr_is_null": ("bool", _DP),
    "bpf_dynptr_is_rdonly": ("bool", _DP),
    "bpf_dynptr_clone": ("int", _DP + [("clone__uninit", "struct bpf_dynptr *")]),
    "bpf_iter_bits_new": ("int", [("it", "struct bpf_iter_bits *"),
                                  ("unsafe_ptr__ign", "const u64 *"), ("nr_words", "u32")]),
    "bpf_iter_bits_next": ("int *", [("it", "struct bpf_iter_bits *")]),
    "bpf_iter_bits_destroy": ("void", [("it", "struct bpf_iter_bits *")]),
}
ALL_PROTOS = {**TESTMOD_PROTOS, **CORE_PROTOS, **DYNPTR_PROTOS}


# ---- prototypes, as bpftool reads the built object -----------------------------

@pytest.mark.parametrize("name", sorted(ALL_PROTOS))
def test_prototype_matches_documentation(kernel_raw, name):
    assert kernel_raw.func(name) is not None, f"{name} missing from the kernel BTF"
    assert kernel_raw.signature(name) == ALL_PROTOS[name]


def test_every_registered_kfunc_is_tagged_and_documented(kernel_raw):
    registered = {d.name for d in kfunc_defs()}
    # the table above documents exactly what the mock kernel registers, plus _value and
    # the task/cgroup/cpumask/RCU, TCP congestion-control and iterator/socket kfuncs
    # (checked against vmlinux in test_task_kfuncs.py and test_vmlinux_kfuncs.py)
    assert registered - set(ALL_PROTOS) - set(TASK_KFUNCS) - set(VMLINUX_KFUNCS) \
        == {"bpf_iter_testmod_seq_value"}
    assert set(ALL_PROTOS) <= registered
    for name in registered:
        assert kernel_raw.decl_tags(name) == ["bpf_kfunc"], name


def test_internal_helpers_are_not_kfuncs(kernel_raw, reg):
    # in the BTF (they carry bpf_dynptr_kern there, as in vmlinux) but not callable
    for name in ("bpf_dynptr_init", "__bpf_dynptr_size"):
        assert kernel_raw.func(name) is not None
        assert kernel_raw.decl_tags(name) == []
        assert name not in reg.kfuncs


# ---- struct layouts (testmod_kfuncs.md "Struct layouts") -------------------------

def _flat_members(raw, struct, base=0, depth=0, spell=None):
    """(name, bit offset, anonymous-nesting depth, type) of every named leaf member."""
    spell = spell or raw.render
    out = []
    for m in struct["members"]:
        off = base + int(m["bits_offset"])
        t = raw.types[int(m["type_id"])]
        if m["name"] == "(anon)" and t["kind"] in ("STRUCT", "UNION"):
            out += _flat_members(raw, t, off, depth + 1, spell)
        else:
            out.append((m["name"], off, depth, spell(int(m["type_id"]))))
    return out


def test_prog_test_pass1_layout(kernel_raw):
    s = kernel_raw.get("STRUCT", "prog_test_pass1")
    assert s["attrs"]["size"] == "16"
    assert _flat_members(kernel_raw, s) == [
        ("x0", 0, 0, "int"), ("x1", 32, 1, "int"), ("x2", 64, 2, "int"), ("x3", 96, 3, "int")]


@pytest.mark.parametrize("name, size, members", [
    ("prog_test_big_arg", 16, [("a", 0, 0, "u64"), ("b", 64, 0, "u64")]),
    ("bpf_iter_testmod_seq", 16, [("value", 0, 0, "s64"), ("cnt", 64, 0, "int")]),
    ("bpf_dynptr_kern", 16, [("data", 0, 0, "void *"), ("size", 64, 0, "u32"),
                             ("offset", 96, 0, "u32")]),
    ("bpf_dynptr", 16, [("__opaque", 0, 0, "__u64[2]")]),
    ("bpf_timer", 16, [("__opaque", 0, 0, "__u64[2]")]),
])
def test_struct_layouts(kernel_raw, name, size, members):
    s = kernel_raw.get("STRUCT", name)
    assert s is not None, name
    assert int(s["attrs"]["size"]) == size
    assert _flat_members(kernel_raw, s) == members


# ---- against the running kernel's vmlinux BTF -----------------------------------

# Where the kernel of the stack-argument series (bpf-next 2026, which the mock
# kernel follows) differs from older kernels: bpf_dynptr_size returned __u32
# before dynptr sizes became 64-bit (kernel/bpf/helpers.c).
KNOWN_NEWER = {("bpf_dynptr_size", "return"): ("__u32", U64)}


@pytest.mark.parametrize("name", sorted(CORE_PROTOS))
def test_core_prototypes_agree_with_vmlinux(kernel_raw, vmlinux_raw, name):
    theirs = vmlinux_raw.func(name)
    if theirs is None:
        pytest.skip(f"this kernel's vmlinux BTF has no {name}")
    ours = kernel_raw.func(name)
    assert [p for p, _ in ours[1]] == [p for p, _ in theirs[1]]          # parameter names
    # libbpf's loose compatibility: every type agrees up to integer width
    assert kernel_raw.compat(ours[0]) == vmlinux_raw.compat(theirs[0])
    assert [kernel_raw.compat(t) for _, t in ours[1]] == [vmlinux_raw.compat(t) for _, t in theirs[1]]
    # exactly, except the documented widening
    ret = (vmlinux_raw.render(theirs[0]), kernel_raw.render(ours[0]))
    if ret[0] != ret[1]:
        assert KNOWN_NEWER.get((name, "return")) == ret
    assert [kernel_raw.render(t) for _, t in ours[1]] == [vmlinux_raw.render(t) for _, t in theirs[1]]


@pytest.mark.parametrize("name", ["__sk_buff", "bpf_dynptr_kern", "prog_test_ref_kfunc",
                                  "prog_test_member", "bpf_dynptr", "bpf_timer", "bpf_iter_num"])
def test_core_structs_agree_with_vmlinux(kernel_raw, vmlinux_raw, name):
    theirs = vmlinux_raw.get("STRUCT", name)
    if theirs is None:
        pytest.skip(f"this kernel's vmlinux BTF has no struct {name}")
    ours = kernel_raw.get("STRUCT", name)
    assert ours["attrs"]["size"] == theirs["attrs"]["size"]
    # member names, offsets and anonymous nesting exactly; types up to typedef spelling
    assert (_flat_members(kernel_raw, ours, spell=kernel_raw.compat)
            == _flat_members(vmlinux_raw, theirs, spell=vmlinux_raw.compat))


def test_dynptr_type_enum_agrees_with_vmlinux(kernel_raw, vmlinux_raw):
    theirs = vmlinux_raw.get("ENUM", "bpf_dynptr_type")
    if theirs is None:
        pytest.skip("no enum bpf_dynptr_type in this kernel")
    ours = kernel_raw.get("ENUM", "bpf_dynptr_type")
    values = lambda e: {m["name"]: m["val"] for m in e["members"]}  # noqa: E731
    common = values(ours).keys() & values(theirs).keys()
    assert "BPF_DYNPTR_TYPE_SKB" in common
    assert {k: values(ours)[k] for k in common} == {k: values(theirs)[k] for k in common}


# ---- argument classes (btf.kfuncs.classify on the kernel prototypes) --------------

@pytest.mark.parametrize("name, index, cls", [
    ("bpf_kfunc_call_stack_arg_mem", 5, KfArg.MEM_WITH_SIZE),    # mem, sized by the next arg
    ("bpf_kfunc_call_stack_arg_mem", 6, KfArg.MEM_SIZE),         # mem__sz
    ("bpf_kfunc_call_stack_arg_const_str", 9, KfArg.CONST_STR),  # str__str
    ("bpf_kfunc_call_stack_arg_iter", 9, KfArg.ITER),            # it__iter
    ("bpf_kfunc_call_stack_arg_dynptr", 9, KfArg.DYNPTR),        # struct bpf_dynptr *
    ("bpf_kfunc_call_stack_arg_timer", 9, KfArg.TIMER),          # struct bpf_timer *
    ("bpf_kfunc_call_stack_arg_big", 5, KfArg.STRUCT_BY_VALUE),  # struct by value
    ("bpf_kfunc_call_stack_arg_ptr", 9, KfArg.BTF_ID_OR_MEM),    # struct prog_test_pass1 *
    ("bpf_kfunc_arena_stack_arg_test", 5, KfArg.ARENA),          # f__arena
    ("bpf_dynptr_from_skb", 0, KfArg.CTX),                       # struct __sk_buff *
    ("bpf_dynptr_from_skb", 2, KfArg.DYNPTR),                    # ptr__uninit
    ("bpf_iter_testmod_seq_new", 0, KfArg.ITER),                 # KF_ITER_NEW's first arg
    ("bpf_kfunc_call_stack_arg", 9, KfArg.SCALAR),
])
def test_argument_classes(reg, name, index, cls):
    assert reg.kfunc(name).proto.args[index].cls == cls


def test_uninit_dynptr_and_stack_slots(reg):
    assert reg.kfunc("bpf_dynptr_from_skb").proto.args[2].uninit
    assert not reg.kfunc("bpf_kfunc_call_stack_arg_dynptr").proto.args[9].uninit
    # argument 5+k lives in stack slot k, *(r11 - 8k) at the caller (DESIGN §3)
    args = reg.kfunc("bpf_kfunc_call_stack_arg").proto.args
    assert [a.location for a in args[5:]] == [f"*(R11-{8 * k})" for k in range(1, 6)]
    big = reg.kfunc("bpf_kfunc_call_stack_arg_big").proto
    assert [s.name for s in big.args[5].slots] == ["*(R11-8)", "*(R11-16)"]   # 16 bytes, 2 slots
    assert big.model.stack_arg_cnt == 2


def test_flags_reach_kernel_btf(reg):
    # what the verifier gets: btf.kernel's classification carries the registry's flags
    kb = load_kernel_btf(reg.build.path, reg.kfunc_flags())
    assert kb.kfunc("bpf_kfunc_call_test_acquire").kflags == {"KF_ACQUIRE", "KF_RET_NULL"}
    assert kb.kfunc("bpf_iter_testmod_seq_next").kflags == {"KF_ITER_NEXT", "KF_RET_NULL"}


# ---- resolving a program's externs ---------------------------------------------

def test_program_externs_resolve(reg, build_prog):
    obj = btf.load(build_prog("stack_arg_kfunc"))
    resolved = resolve_ksyms(obj, reg.kernel)
    assert set(resolved) == {
        "bpf_kfunc_call_stack_arg", "bpf_kfunc_call_stack_arg_ptr", "bpf_kfunc_call_stack_arg_mix",
        "bpf_kfunc_call_stack_arg_dynptr", "bpf_kfunc_call_stack_arg_mem",
        "bpf_kfunc_call_stack_arg_iter", "bpf_kfunc_call_stack_arg_const_str",
        "bpf_kfunc_call_stack_arg_timer", "bpf_dynptr_from_skb", "bpf_iter_testmod_seq_new",
        "bpf_iter_testmod_seq_destroy", "bpf_kfunc_call_test_acquire",
        "bpf_kfunc_call_test_release", "bpf_iter_num_new", "bpf_iter_num_next",
        "bpf_iter_num_destroy"}
    for name, r in resolved.items():
        assert r.kernel_func_id == reg.kfunc(name).btf_id
        assert r.kfunc.kflags == reg.kfunc(name).flags
    assert resolved["bpf_kfunc_call_stack_arg_mix"].kfunc.model.stack_arg_cnt == 5


def test_program_externs_resolve_strictly(reg, build_prog):
    # the BPF-side header spells the same prototypes (__u64 for u64, ...)
    resolve_ksyms(btf.load(build_prog("stack_arg_kfunc")), reg.kernel, strict=True)


@pytest.mark.parametrize("define, strict, message", [
    ("WRONG_PTR", False,
     "kfunc 'bpf_kfunc_call_stack_arg_mix': parameter 10 'q' differs: int vs struct prog_test_pass1"),
    ("WRONG_COUNT", False,
     "kfunc 'bpf_kfunc_call_stack_arg': program declares 9 parameters, kernel has 10"),
    ("NARROW_INT", True, "kfunc 'bpf_kfunc_call_stack_arg': parameter 10 'j' differs"),
    ("UNKNOWN", False, "'bpf_kfunc_call_no_such_kfunc': not found in kernel BTF"),
])
def test_mismatched_extern_is_reported(reg, build_prog, define, strict, message):
    obj = btf.load(build_prog("mismatch", define))
    with pytest.raises(BtfError) as e:
        resolve_ksyms(obj, reg.kernel, strict=strict)
    assert message in str(e.value)


def test_narrow_int_is_loosely_compatible(reg, build_prog):
    # libbpf's rules ignore integer width; only strict mode (the stack-arg ABI check) does not
    assert "bpf_kfunc_call_stack_arg" in resolve_ksyms(btf.load(build_prog("mismatch", "NARROW_INT")),
                                                       reg.kernel)


# ---- build and cache ------------------------------------------------------------

def test_cache_hit_miss_and_stale(tmp_path, raw_of):
    names = [d.name for d in kfunc_defs()]
    first = kbuild.build_kernel_btf(required=names, cache=tmp_path)
    assert not first.cached and first.path.parent == tmp_path
    second = kbuild.build_kernel_btf(required=names, cache=tmp_path)
    assert second.cached and second.path == first.path and second.key == first.key
    types = raw_of(first.path).types
    first.path.write_bytes(b"\x7fELF garbage")                     # stale: unreadable
    third = kbuild.build_kernel_btf(required=names, cache=tmp_path)
    assert not third.cached and third.path == first.path
    assert raw_of(third.path).types == types                      # the same kernel BTF again
    # a cached object lacking a required function is stale too; the rebuild then says why
    with pytest.raises(kbuild.KernelBuildError, match="no_such_kfunc"):
        kbuild.build_kernel_btf(required=names + ["no_such_kfunc"], cache=tmp_path)
    assert not list(tmp_path.glob("*.part"))


def test_cache_key_follows_sources(tmp_path, monkeypatch):
    base = kbuild.cache_key()
    copy = tmp_path / "kernel"
    shutil.copytree(kbuild.KERNEL_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(kbuild, "KERNEL_DIR", copy)
    assert kbuild.cache_key() == base                              # same contents, same key
    src = copy / "testmod" / "kfuncs.c"
    src.write_text(src.read_text() + "\n/* edited */\n")
    assert kbuild.cache_key() != base
    assert kbuild.cache_key(modules=("core",)) != kbuild.cache_key()
