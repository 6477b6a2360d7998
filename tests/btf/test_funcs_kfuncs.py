"""Subprogram arg info, kfunc models, kernel-side resolution and annotations.

Expected counts come from the C source in each test and the documented kernel
rules (DESIGN §3): 5 register args, then one 8-byte stack slot per argument,
two for 9..16-byte values; at most 12 arguments; the kernel's message texts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import btf
from btf import kinds as K
from btf.errors import BtfError
from btf.funcs import ArgKind, func_arg_info, subprog_at, subprogs
from btf.kernel import KernelBtf, load_kernel_btf, resolve_ksyms
from btf.kfuncs import BTF_FMODEL_SIGNED_ARG, BTF_FMODEL_STRUCT_ARG, KfArg, classify, distill

_TESTS = str(Path(__file__).resolve().parents[1])   # tests/, appended: see tests/support
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from btf.annotations import annotations_of, parse_tag, program_annotations  # noqa: E402

NAKED = """
#define NAKED __attribute__((naked))
#define BODY { asm volatile("r0 = 0; exit;"); }
NAKED int s6(int a, int b, int c, int d, int e, int f) BODY
NAKED int s7(int a, int b, int c, int d, int e, int f, int g) BODY
NAKED int s8(char a, short b, int c, long d, int e, int f, int g, int h) BODY
NAKED int s9(int a, int b, int c, int d, int e, int f, int g, int h, int i) BODY
NAKED int s10(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j) BODY
NAKED int s11(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j, int k) BODY
NAKED int s12(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j, int k, int l) BODY
struct pair { long lo, hi; };
NAKED int s16(int a, int b, int c, int d, int e, struct pair p, int g) BODY
NAKED int split(int a, int b, int c, int d, struct pair p, int f) BODY
NAKED int i128(__int128 a, int b, int c, int d, int e, __int128 f) BODY
static NAKED __attribute__((used)) int st7(int a, int b, int c, int d, int e, int f, int g) BODY
__attribute__((section("tc"))) int prog(void *ctx) { return 0; }
"""


@pytest.fixture(scope="module")
def naked(build):
    return btf.load(build(NAKED, "naked_subprogs"))


@pytest.mark.parametrize("name, nargs", [("s6", 6), ("s7", 7), ("s8", 8), ("s9", 9), ("s10", 10),
                                         ("s11", 11), ("s12", 12)])
def test_subprog_counts_6_to_12(naked, name, nargs):
    infos = {i.name: i for i in subprogs(naked.btf, naked.ext, ".text")}
    info = infos[name]
    assert info.arg_cnt == nargs
    assert info.stack_arg_cnt == nargs - 5
    assert info.linkage == "global" and info.reliable
    assert all(a.kind == ArgKind.SCALAR for a in info.args)
    assert [a.location for a in info.args][5:] == [f"*(R11-{8 * k})" for k in range(1, nargs - 4)]


def test_subprog_16_byte_args(naked):
    infos = {i.name: i for i in subprogs(naked.btf, naked.ext, ".text")}
    s16 = infos["s16"]
    # 5 ints in r1-r5, the 16-byte struct in slots 1-2, g in slot 3
    assert s16.arg_cnt == 7 and s16.stack_arg_cnt == 3
    assert [s.stack_slot for s in s16.args[5].slots] == [1, 2]
    assert s16.args[6].location == "*(R11-24)"
    assert s16.rejects     # the kernel has no arg type for a by-value struct in a global func
    assert s16.problem == "Arg#5 type STRUCT in s16() is not supported yet."
    sp = infos["split"]
    # struct straddles r5 and stack slot 1
    assert [s.name for s in sp.args[4].slots] == ["R5", "*(R11-8)"]
    assert sp.stack_arg_cnt == 2
    i = infos["i128"]
    assert [s.name for s in i.args[0].slots] == ["R1", "R2"]
    assert i.stack_arg_cnt == 3     # 2 + 4 ints = 6 regs-worth, then f takes 2 slots
    assert i.args[5].location == "*(R11-16)"


def test_static_linkage_and_main(naked):
    infos = {i.name: i for i in subprogs(naked.btf, naked.ext, ".text")}
    assert infos["st7"].linkage == "static" and infos["st7"].stack_arg_cnt == 2
    main = subprogs(naked.btf, naked.ext, "tc")[0]
    assert main.name == "prog" and main.args[0].kind == ArgKind.CTX
    at = subprog_at(naked.btf, naked.ext, ".text", infos["s7"].insn)
    assert at.name == "s7"


def test_missing_prototype(naked):
    with pytest.raises(BtfError, match="missing prototype"):
        subprog_at(naked.btf, naked.ext, ".text", 99999)
    with pytest.raises(BtfError, match="no func_info"):
        subprogs(naked.btf, None, ".text")


def test_more_than_12_args_rejected(build):
    obj = btf.load(build("""
    __attribute__((naked)) int s13(int a, int b, int c, int d, int e, int f, int g, int h, int i,
        int j, int k, int l, int m) { asm volatile("r0 = 0; exit;"); }
    """, "too_many"))
    fn = obj.btf.find_one("s13", K.FUNC)
    with pytest.raises(BtfError, match="13 > 12 args"):
        func_arg_info(obj.btf, fn.id)
    with pytest.raises(BtfError, match="The function s13 has 13 arguments. Too many."):
        distill(obj.btf, fn.id)


def test_arg_kinds_and_ctx_tag(build):
    obj = btf.load(build("""
    struct __sk_buff { int len; };
    struct data { long x[4]; };
    struct bpf_dynptr { long a, b; };
    __attribute__((noinline)) int g(struct __sk_buff *skb, void *raw __attribute__((btf_decl_tag("arg:ctx"))),
        struct data *d, int *ip, struct bpf_dynptr *dp) { return d->x[0] + *ip + skb->len + (raw != 0) + (dp != 0); }
    __attribute__((section("tc"))) int prog(struct __sk_buff *s) { struct data d = {}; int i = 0; return g(s, s, &d, &i, 0); }
    """, "arg_kinds"))
    info = {i.name: i for i in subprogs(obj.btf, obj.ext, ".text")}["g"]
    kinds = [a.kind for a in info.args]
    assert kinds == [ArgKind.CTX, ArgKind.CTX, ArgKind.STRUCT_PTR, ArgKind.MEM, ArgKind.DYNPTR]
    assert info.args[1].tags == ("ctx",)
    assert info.args[2].mem_size == 32 and info.args[3].mem_size == 4
    assert info.args[2].nullable       # global user pointers may be NULL (PTR_MAYBE_NULL)


def test_global_void_ptr_rejected(build):
    obj = btf.load(build("""
    __attribute__((noinline)) int g(void *p) { return p != 0; }
    __attribute__((section("tc"))) int prog(void *ctx) { return g(ctx); }
    """, "void_ptr"))
    g = subprogs(obj.btf, obj.ext, ".text")[0]
    assert g.rejects and not g.reliable
    assert g.problem == "arg#0 reference type('UNKNOWN ') size cannot be determined"


EXTERNS = """
#define KS __attribute__((section(".ksyms")))
struct pair { long lo, hi; };
extern int kf6(int, int, int, int, int, int) KS;
extern long kf7(long, long, long, long, long, long, long) KS;
extern char kf9(char, short, int, long, char, short, int, long, unsigned char) KS;
extern unsigned long kf12(int, int, int, int, int, int, int, int, int, int, int, int) KS;
extern int kf_pair(int, int, int, int, int, struct pair, int) KS;
extern __int128 kf_i128(__int128, int, int, int, int, __int128) KS;
extern struct pair kf_ret_struct(int) KS;
extern float kf_float(float) KS;
void *tab[] = { &kf6, &kf7, &kf9, &kf12, &kf_pair, &kf_i128, &kf_ret_struct, &kf_float };
"""


@pytest.fixture(scope="module")
def externs(build):
    return btf.load(build(EXTERNS, "externs")).btf


def _fid(b, name):
    return b.find_one(name, K.FUNC).id


def test_kfunc_models(externs):
    m = distill(externs, _fid(externs, "kf9"))
    assert m.nr_args == 9 and m.arg_size == (1, 2, 4, 8, 1, 2, 4, 8, 1)
    # char is signed on BPF; unsigned char is not
    assert [bool(f & BTF_FMODEL_SIGNED_ARG) for f in m.arg_flags] == [True] * 8 + [False]
    assert m.ret_size == 1 and m.stack_arg_cnt == 4
    m12 = distill(externs, _fid(externs, "kf12"))
    assert m12.nr_args == 12 and m12.stack_arg_cnt == 7 and m12.ret_size == 8
    m6 = distill(externs, _fid(externs, "kf6"))
    assert m6.nr_args == 6 and m6.stack_arg_cnt == 1
    m7 = distill(externs, _fid(externs, "kf7"))
    assert m7.nr_args == 7 and m7.stack_arg_cnt == 2 and m7.arg_size == (8,) * 7


def test_kfunc_16_byte(externs):
    mp = distill(externs, _fid(externs, "kf_pair"))
    assert mp.arg_size[5] == 16 and mp.arg_flags[5] & BTF_FMODEL_STRUCT_ARG
    assert mp.stack_arg_cnt == 3
    k = classify(externs, _fid(externs, "kf_pair"))
    assert k.args[5].cls == KfArg.STRUCT_BY_VALUE and k.args[5].location == "*(R11-8)"
    mi = distill(externs, _fid(externs, "kf_i128"))
    assert mi.arg_size == (16, 4, 4, 4, 4, 16) and mi.ret_size == 16 and mi.stack_arg_cnt == 3


def test_kfunc_unsupported_protos(externs):
    with pytest.raises(BtfError, match="The function kf_ret_struct return type STRUCT is unsupported."):
        distill(externs, _fid(externs, "kf_ret_struct"))
    with pytest.raises(BtfError, match="The function kf_float return type FLOAT is unsupported."):
        distill(externs, _fid(externs, "kf_float"))


KERNEL_C = """
struct bpf_dynptr { unsigned long long __opaque[2]; } __attribute__((aligned(8)));
struct bpf_timer { unsigned long long __opaque[2]; } __attribute__((aligned(8)));
struct bpf_iter_num { unsigned long long __opaque[1]; } __attribute__((aligned(8)));
struct task { int pid; };
#define K __attribute__((noinline))
K int kmem(void *mem, unsigned int mem__sz, const char *name__str, int flag__k, void *x__ign) { return 0; }
K int kspecial(struct bpf_dynptr *d, struct bpf_timer *t, struct task *tk__nullable, int *buf__uninit,
               struct bpf_iter_num *it__iter) { return 0; }
K int kconst(void *p, unsigned int p__szk, void *a__arena, int (*cb)(int), long *plain) { return 0; }
__attribute__((naked)) int kf7(long a, long b, long c, long d, long e, long f) { asm volatile("r0 = 0; exit;"); }
"""


@pytest.fixture(scope="module")
def kernel(build):
    return load_kernel_btf(build(KERNEL_C, "mock_kernel"), {"kmem": frozenset({"KF_ACQUIRE"})})


def test_kfunc_suffix_classes(kernel):
    k = kernel.kfunc("kmem")
    assert [a.cls for a in k.args] == [KfArg.MEM_WITH_SIZE, KfArg.MEM_SIZE, KfArg.CONST_STR,
                                       KfArg.CONST_SCALAR, KfArg.IGNORE]
    assert k.kflags == {"KF_ACQUIRE"}
    s = kernel.kfunc("kspecial")
    assert [a.cls for a in s.args] == [KfArg.DYNPTR, KfArg.TIMER, KfArg.BTF_ID_OR_MEM, KfArg.MEM,
                                       KfArg.ITER]
    assert s.args[2].nullable and s.args[3].uninit
    c = kernel.kfunc("kconst")
    assert [a.cls for a in c.args] == [KfArg.MEM_WITH_SIZE, KfArg.CONST_MEM_SIZE, KfArg.ARENA,
                                       KfArg.CALLBACK, KfArg.MEM]


PROG_OK = """
#define KS __attribute__((section(".ksyms")))
extern int kf7(long, long, long, long, long, long) KS;
extern int kmem(void *, unsigned int, const char *, int, void *) KS;
void *tab[] = { &kf7, &kmem };
"""
PROG_BAD = """
#define KS __attribute__((section(".ksyms")))
struct task { int pid; };
extern int kmem(void *, unsigned int, struct task, int, void *) KS;
void *tab[] = { &kmem };
"""
PROG_MISSING = """
extern int nosuch(int) __attribute__((section(".ksyms")));
void *tab[] = { &nosuch };
"""
PROG_COUNT = """
extern int kf7(long, long, long, long, long) __attribute__((section(".ksyms")));
void *tab[] = { &kf7 };
"""
PROG_SIZE = """
extern int kf7(long, long, long, long, long, char) __attribute__((section(".ksyms")));
void *tab[] = { &kf7 };
"""


def test_resolve_ksyms(kernel, build):
    res = resolve_ksyms(btf.load(build(PROG_OK, "prog_ok")), kernel)
    assert set(res) == {"kf7", "kmem"}
    assert res["kf7"].kfunc.model.nr_args == 6 and res["kf7"].kfunc.model.stack_arg_cnt == 1
    assert res["kmem"].kfunc.args[1].name == "mem__sz"     # names come from the kernel side
    with pytest.raises(BtfError, match=r"kfunc 'kmem': parameter 3 'name__str' differs"):
        resolve_ksyms(btf.load(build(PROG_BAD, "prog_bad")), kernel)
    with pytest.raises(BtfError, match="'nosuch': not found"):
        resolve_ksyms(btf.load(build(PROG_MISSING, "prog_missing")), kernel)
    with pytest.raises(BtfError, match="kfunc 'kf7': program declares 5 parameters, kernel has 6"):
        resolve_ksyms(btf.load(build(PROG_COUNT, "prog_count")), kernel)
    size_prog = btf.load(build(PROG_SIZE, "prog_size"))
    resolve_ksyms(size_prog, kernel)             # libbpf: all integers are compatible
    with pytest.raises(BtfError, match="kfunc 'kf7': parameter 6 differs: char vs long"):
        resolve_ksyms(size_prog, kernel, strict=True)


ANNOTATED = """
#define T(x) __attribute__((btf_decl_tag(x)))
#define XSTR(x) STR(x)
#define STR(x) #x
#define C(tag) T("comment:" XSTR(__COUNTER__) ":" tag)
C("test_expect_failure") C("test_expect_msg=first {{a=b}}") C("test_expect_msg=second") C("test_retval=0")
__attribute__((section("tc"))) int newfmt(void *ctx) { return 0; }
T("comment:test_expect_success") T("comment:test_expect_msg=3=old style") T("comment:test_description=d")
__attribute__((section("tc"))) int oldfmt(void *ctx) { return 0; }
"""


def test_annotations(build):
    b = btf.load(build(ANNOTATED, "annotated")).btf
    new = annotations_of(b, b.find_one("newfmt", K.FUNC).id)
    assert [(a.key, a.value) for a in new] == [("test_expect_failure", None),
                                               ("test_expect_msg", "first {{a=b}}"),
                                               ("test_expect_msg", "second"), ("test_retval", "0")]
    old = {a.key: a for a in annotations_of(b, b.find_one("oldfmt", K.FUNC).id)}
    assert old["test_expect_msg"].value == "old style" and old["test_expect_msg"].counter == 3
    assert old["test_description"].value == "d" and old["test_expect_success"].value is None
    assert set(program_annotations(b)) == {"newfmt", "oldfmt"}
    assert parse_tag("arg:ctx") is None


LOWERED_KERNEL_C = """
struct bpf_dynptr { unsigned long long __opaque[2]; } __attribute__((aligned(8)));
struct bpf_timer { unsigned long long __opaque[2]; } __attribute__((aligned(8)));
__attribute__((noinline)) int kbig(int a, int b, int c, int d, int e, void *mem, unsigned int mem__sz,
     const char *s__str, int f__k, struct bpf_dynptr *dp, struct bpf_timer *t, void *z__ign)
{ return a + (mem != 0); }
"""


def test_named_12_arg_kfunc_via_lowering(tmp_path, clang22):
    """Names at stack positions need a >5-arg *definition*; clang-22 only builds one through
    toolchain's stack-argument lowering.  Optional: skipped when that path is unavailable."""
    try:
        from toolchain.driver import compile_c
        from toolchain.errors import CompileError, ToolchainError
    except ImportError as exc:
        pytest.skip(f"toolchain lowering not available: {exc}")
    src = tmp_path / "kbig.c"
    src.write_text(LOWERED_KERNEL_C)
    try:
        compile_c(src, tmp_path / "kbig.o")
    except (CompileError, ToolchainError) as exc:
        pytest.skip(f"toolchain could not build a 12-argument definition: {exc}")
    kernel = load_kernel_btf(tmp_path / "kbig.o")
    k = kernel.kfunc("kbig")
    assert k.model.nr_args == 12 and k.model.stack_arg_cnt == 7
    assert [a.cls for a in k.args[5:]] == [KfArg.MEM_WITH_SIZE, KfArg.MEM_SIZE, KfArg.CONST_STR,
                                           KfArg.CONST_SCALAR, KfArg.DYNPTR, KfArg.TIMER,
                                           KfArg.IGNORE]
    assert [a.location for a in k.args[5:7]] == ["*(R11-8)", "*(R11-16)"]
    assert k.args[11].location == "*(R11-56)"
    obj = btf.load(tmp_path / "kbig.o")
    info = subprogs(obj.btf, obj.ext, ".text")[0]
    assert info.name == "kbig" and info.arg_cnt == 12 and info.stack_arg_cnt == 7
    assert [a.kind for a in info.args[9:11]] == [ArgKind.DYNPTR, ArgKind.STRUCT_PTR]


def test_iter_kfunc_first_arg(build):
    """For KF_ITER_* kfuncs the iterator is argument 0 whatever its name (is_kfunc_arg_iter)."""
    kb = load_kernel_btf(build("""
    struct bpf_iter_num { unsigned long long __opaque[1]; } __attribute__((aligned(8)));
    __attribute__((noinline)) int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) { return 0; }
    """, "iter_kernel"), {"bpf_iter_num_new": frozenset({"KF_ITER_NEW"})})
    k = kb.kfunc("bpf_iter_num_new")
    assert [a.cls for a in k.args] == [KfArg.ITER, KfArg.SCALAR, KfArg.SCALAR]
    plain = KernelBtf(kb.btf)          # same prototype without the flag: a plain struct pointer
    assert plain.kfunc("bpf_iter_num_new").args[0].cls == KfArg.BTF_ID_OR_MEM


def test_btf_func_path_fixup(build, bpftool_dump):
    from btf.dump_raw import dump_raw
    from btf.fixup import apply_func_names
    prog = btf.load(build("""
    __attribute__((naked)) int sub_a(int x, long y, char *z) { asm volatile("r0 = 0; exit;"); }
    __attribute__((naked)) int sub_b(int p, long q, char *r) { asm volatile("r0 = 0; exit;"); }
    __attribute__((section("tc"))) int prog(void *ctx) { return 0; }
    """, "naked_prog")).btf
    comp = btf.load(build("""
    int sub_a(int x, long y, char *z) { return x + y + (z != 0); }
    int sub_b(int p, long q, char *r) { return p + q + (r != 0); }
    """, "companion")).btf
    from btf.funcs import anonymous_param_problem
    sub_a = prog.find_one("sub_a", K.FUNC)
    assert anonymous_param_problem(prog) == f"[{sub_a.id}] FUNC sub_a type_id={sub_a.type} Invalid arg#1"
    fixed_btf, fixed = apply_func_names(prog, comp)
    assert sorted(fixed) == ["sub_a", "sub_b"]
    assert anonymous_param_problem(fixed_btf) is None
    for name, expect in (("sub_a", ["x", "y", "z"]), ("sub_b", ["p", "q", "r"])):
        fn = fixed_btf.find_one(name, K.FUNC)
        assert [p.name for p in fixed_btf.func_proto(fn.id).params] == expect
    # the original, shared prototype is untouched: the raw dump's old lines are bpftool's
    before = bpftool_dump(build("""
    __attribute__((naked)) int sub_a(int x, long y, char *z) { asm volatile("r0 = 0; exit;"); }
    __attribute__((naked)) int sub_b(int p, long q, char *r) { asm volatile("r0 = 0; exit;"); }
    __attribute__((section("tc"))) int prog(void *ctx) { return 0; }
    """, "naked_prog2"))
    after = dump_raw(fixed_btf)
    old_lines = [ln for ln in before.splitlines() if not ln.startswith("[") or " FUNC " not in ln]
    assert all(ln in after.splitlines() for ln in old_lines)
    assert after.count("FUNC_PROTO") == before.count("FUNC_PROTO") + 2
