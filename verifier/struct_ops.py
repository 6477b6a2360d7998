"""struct_ops programs: the member of a kernel struct a program implements, and its struct's
verifier ops.

Kernel counterparts: ``check_struct_ops_btf_id`` (verifier.c: the member's function
prototype becomes the attach prototype that types the context, as ``btf_ctx_access`` reads
it for tracing programs), ``bpf_struct_ops_desc_init`` (bpf_struct_ops.c: stub parameters
named ``*__nullable`` make that argument maybe-NULL), ``check_return_code`` (a member
returning void leaves R0 unchecked), and the verifier ops of the two struct_ops types
modelled here:

- ``tcp_congestion_ops`` (net/ipv4/bpf_tcp_ca.c): ``bpf_tcp_ca_btf_struct_access`` lets
  the program write a few ``tcp_sock`` members; ``bpf_tcp_ca_get_func_proto`` adds
  bpf_tcp_send_ack, the socket-storage helpers, bpf_ktime_get_coarse_ns and, except in
  ``release``, bpf_setsockopt/bpf_getsockopt to the base helpers (:mod:`verifier.helpers`);
- ``bpf_dummy_ops`` (net/bpf/bpf_dummy_struct_ops.c): no helpers; writes only into
  ``struct bpf_dummy_ops_state``; only ``test_sleepable`` may be sleepable.

Other struct_ops types (sched_ext, hid, module-defined ones) are refused by name.  The
types, offsets and prototypes all come from the target BTF (``VerifierInput.target_btf``),
the member from ``VerifierInput.struct_ops`` (what libbpf sets: :mod:`pipeline.struct_ops`).
"""

from __future__ import annotations

from btf import layout as L
from verifier import regtypes as T
from verifier.btf_access import skip_mods
from verifier.btf_ctx import BtfCtx
from verifier.errors import EACCES, EINVAL, ENOTSUPP, VerifierError

BPF_F_SLEEPABLE = 1 << 4

# the tcp_sock members a congestion-control program may write (kernel:
# bpf_tcp_ca_btf_struct_access): (struct, member path, whole member range?)
_TCP_CA_WRITABLE = (
    ("sock", "sk_pacing_rate", False), ("sock", "sk_pacing_status", False),
    ("inet_connection_sock", "icsk_ca_priv", True),
    ("inet_connection_sock", "icsk_ack.pending", False),
    ("tcp_sock", "snd_cwnd", False), ("tcp_sock", "snd_cwnd_cnt", False),
    ("tcp_sock", "snd_cwnd_stamp", False), ("tcp_sock", "snd_ssthresh", False),
    ("tcp_sock", "ecn_flags", False), ("tcp_sock", "app_limited", False),
)


def _member_span(btf, struct: str, path: str) -> tuple[int, int] | None:
    """(offset, end) in bytes of ``struct``'s member ``path`` ("a.b" for nested ones)."""
    st = btf.find_one(struct, L.STRUCT)
    if st is None:
        return None
    off, tid = 0, st.id
    for name in path.split("."):
        mp = btf.find_member(tid, name)
        if mp is None:
            return None
        off += mp.bits_offset // 8
        tid = mp.member.type
    return off, off + btf.size_of(tid)


_SPANS: dict[int, tuple] = {}


def _tcp_ca_spans(btf) -> list:
    """[((start, end), whole member?)] of the writable members, once per target BTF."""
    got = _SPANS.get(id(btf))
    if got is None or got[0] is not btf:      # (a BTF freed and its id reused)
        got = _SPANS[id(btf)] = (btf, [(s, whole) for struct, path, whole in _TCP_CA_WRITABLE
                                       if (s := _member_span(btf, struct, path)) is not None])
    return got[1]


class _TcpCongestionOps:
    name = "tcp_congestion_ops"
    promote = ("sock", "tcp_sock")              # a struct sock argument is a tcp_sock
    unsupported = frozenset({"get_info"})       # no stub: bpf_struct_ops_supported fails

    @staticmethod
    def stub(member: str) -> str:
        return "bpf_tcp_ca_" + member

    @staticmethod
    def check_member(member: str, sleepable: bool) -> bool:
        return True

    @staticmethod
    def write(env, reg, btf, st, off: int, size: int) -> None:
        if st.name != "tcp_sock":
            raise VerifierError("only read is supported", EACCES)
        for (start, end), whole in _tcp_ca_spans(btf):
            if off == start or (whole and start <= off < end):
                if off + size > end:
                    raise VerifierError(f"write access at off {off} with size {size} beyond "
                                        f"the member of tcp_sock ended at {end}", EACCES)
                return
        raise VerifierError(f"no write support to tcp_sock at off {off}", EACCES)


class _BpfDummyOps:
    name = "bpf_dummy_ops"
    promote = None
    unsupported = frozenset()
    _STUBS = {"test_1": "bpf_dummy_ops__test_1", "test_2": "bpf_dummy_test_2",
              "test_sleepable": "bpf_dummy_test_sleepable"}

    @classmethod
    def stub(cls, member: str) -> str:
        return cls._STUBS.get(member, "")

    @staticmethod
    def check_member(member: str, sleepable: bool) -> bool:
        return member == "test_sleepable" or not sleepable

    @staticmethod
    def write(env, reg, btf, st, off: int, size: int) -> None:
        state = btf.find_one("bpf_dummy_ops_state", L.STRUCT)
        if state is None:
            raise VerifierError("only read is supported", EINVAL)
        if st.id != state.id:
            raise VerifierError("only access to bpf_dummy_ops_state is supported", EACCES)
        if off + size > state.size:
            raise VerifierError(f"write access at off {off} with size {size}", EACCES)


MODELS = {m.name: m for m in (_TcpCongestionOps, _BpfDummyOps)}


class StructOpsCtx(BtfCtx):
    """The context of a struct_ops program: the member's arguments, as u64 slots."""

    def __init__(self, model, member: str, btf, proto, ctx_args: dict):
        super().__init__("struct_ops", member, btf, proto, ctx_args)
        self.name = "struct_ops"
        self.model = model

    def load(self, env, off: int, size: int, write: bool, is_ldsx: bool):
        r = super().load(env, off, size, write, is_ldsx)
        promote = self.model.promote
        if promote and T.base(r.type) == T.PTR_TO_BTF_ID and r.btf_name == promote[0] and \
                not r.type & (T.PTR_UNTRUSTED | T.MEM_USER | T.MEM_PERCPU):
            # kernel: bpf_tcp_ca_is_valid_access promotes a struct sock argument
            to = self.btf.find_one(promote[1], L.STRUCT)
            if to is not None:
                r.btf_id, r.btf_name = to.id, to.name
        return r

    @property
    def returns_void(self) -> bool:
        return not self.proto.type

    def btf_struct_access(self, env, reg, btf, st, off: int, size: int) -> None:
        """A write through a kernel-object pointer (kernel: the struct's
        ``btf_struct_access`` verifier op)."""
        self.model.write(env, reg, btf, st, off, size)


def _nullable_args(btf, model, member: str, proto) -> dict:
    """ctx offset -> (flags, struct id) for the stub's ``*__nullable`` pointer parameters."""
    stub = btf.find_one(model.stub(member), L.FUNC) if model.stub(member) else None
    if stub is None:
        return {}
    sproto = btf.types[stub.type]
    out, off = {}, 0
    for i, p in enumerate(proto.params):
        t = skip_mods(btf, p.type)
        if i < len(sproto.params) and sproto.params[i].name.endswith("__nullable") \
                and t.kind == L.PTR:
            out[off] = (T.PTR_TRUSTED | T.PTR_MAYBE_NULL, skip_mods(btf, t.type).id)
        off += 8 if t.kind == L.PTR else (t.size + 7) // 8 * 8
    return out


def attach(inp) -> StructOpsCtx:
    """kernel: check_struct_ops_btf_id."""
    if not inp.gpl_compatible:
        raise VerifierError("struct ops programs must have a GPL compatible license", EINVAL)
    btf = inp.target_btf
    if btf is None:
        raise VerifierError("struct_ops programs need the kernel's BTF (their context is typed "
                            "by it): load the object with a target BTF (--target-btf vmlinux)",
                            ENOTSUPP)
    if inp.struct_ops is None:
        raise VerifierError("struct_ops program without attach_btf_id (no struct_ops map "
                            "uses it)", ENOTSUPP)
    tid, midx = inp.struct_ops
    st = btf.types[tid]
    model = MODELS.get(st.name)
    if model is None:
        raise VerifierError(f"struct_ops type '{st.name}' is not modelled (modelled: "
                            f"{', '.join(sorted(MODELS))})", ENOTSUPP)
    if midx >= st.vlen:
        raise VerifierError(f"attach to invalid member idx {midx} of struct {st.name}", EINVAL)
    m = st.members[midx]
    t = skip_mods(btf, m.type)
    proto = skip_mods(btf, t.type) if t.kind == L.PTR else None
    if proto is None or proto.kind != L.FUNC_PROTO:
        raise VerifierError(f"attach to invalid member {m.name}(@idx {midx}) of struct "
                            f"{st.name}", EINVAL)
    sleepable = bool(inp.prog_flags & BPF_F_SLEEPABLE)
    if m.name in model.unsupported or not model.check_member(m.name, sleepable):
        raise VerifierError(f"attach to unsupported member {m.name} of struct {st.name}",
                            EINVAL)
    return StructOpsCtx(model, m.name, btf, proto, _nullable_args(btf, model, m.name, proto))

