"""tp_btf and iter arguments as the live kernel types them: trusted, maybe-NULL, untrusted, scalar.

For tracepoints of this machine's vmlinux BTF (every one the null-argument table names, plus
a fixed sample of the others), a three-instruction tp_btf program loads pointer argument
``i`` (``r1 = *(u64 *)(r1 + 8 * i)``) with ``attach_btf_id`` = the ``btf_trace_<name>``
typedef; the register type the kernel's level-2 log shows after the load
(``trusted_ptr_or_null_sock(id=1)``, ``scalar()``, ...) must be the one our verifier shows for
the same program with the same target BTF.  Likewise every argument of every iterator target
(``bpf_iter_<name>``) whose context is modelled.  Skips where bpf() or vmlinux BTF is missing.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from tests.oracles import kernel

VMLINUX = Path("/sys/kernel/btf/vmlinux")
BPF_TRACE_RAW_TP = 23          # enum bpf_attach_type
BPF_PROG_TYPE_TRACING = 26
BPF_TRACE_ITER = 28
_OK, _WHY = kernel.kernel_available()
pytestmark = [pytest.mark.skipif(not _OK, reason=_WHY or "bpf() available"),
              pytest.mark.skipif(not VMLINUX.exists(), reason="no /sys/kernel/btf/vmlinux")]
SAMPLE_EVERY = 40              # one pointer argument in 40 besides the table's tracepoints


def _insn(code, dst=0, src=0, off=0, imm=0) -> bytes:
    return struct.pack("<BBhi", code, dst | src << 4, off, imm)


def _cases():
    import btf
    from btf import layout as L
    from verifier.btf_access import skip_mods
    from verifier.btf_ctx import RAW_TP_NULL_ARGS, RAW_TP_UNTRUSTED_ARGS
    vm = btf.load(str(VMLINUX)).btf
    named = set(RAW_TP_NULL_ARGS) | {n for n, _ in RAW_TP_UNTRUSTED_ARGS}
    out, k = [], 0
    for t in vm.types:
        if t.kind != L.TYPEDEF or not t.name.startswith("btf_trace_"):
            continue
        name = t.name[len("btf_trace_"):]
        proto = vm.types[vm.types[t.type].type]
        for i, p in enumerate(proto.params[1:]):
            pt = skip_mods(vm, p.type)
            if pt.kind != L.PTR or not pt.type \
                    or skip_mods(vm, pt.type).kind not in (L.STRUCT, L.UNION):
                continue
            k += 1
            if name in named or k % SAMPLE_EVERY == 0:
                out.append((name, i, t.id))
    return vm, out


@pytest.fixture(scope="module")
def tracepoints():
    return _cases()


def _loaded_type(log: str) -> str | None:
    """R1 after insn 0: on a line of its own after a "func ... arg" line, or on insn 0's."""
    m = re.search(r"(?:^|\n|error)1: R1=(\S+)", log) \
        or re.search(r"\n0: \(79\)[^\n]*; R1=(\S+)", log)
    return m.group(1) if m else None


def test_tracepoint_argument_types_equal_kernel(tracepoints):
    from verifier import VerifierInput, verify
    from isa import decode
    vm, cases = tracepoints
    assert len(cases) > 60
    code = None
    diffs = []
    for name, i, tid in cases:
        code = _insn(0x79, 1, 1, 8 * i) + _insn(0xB7) + _insn(0x95)
        res = kernel.prog_load(code, BPF_PROG_TYPE_TRACING, log_level=2,
                               expected_attach_type=BPF_TRACE_RAW_TP, attach_btf_id=tid)
        if not res.accepted and res.errno == 1:
            pytest.skip("the kernel refuses tp_btf loads here (EPERM)")
        assert res.accepted, (name, i, res.log)
        want = _loaded_type(res.log)
        assert want is not None, (name, i, res.log)
        inp = VerifierInput(insns=decode(code), prog_type="tracing",
                            expected_attach_type="trace_raw_tp", attach=name, target_btf=vm,
                            static_liveness=False)
        ours = verify(inp, log_level=2)
        got = _loaded_type(ours.log)
        if not ours.accepted or got != want:
            diffs.append((name, i, want, got, ours.error_line))
    assert not diffs, diffs[:10]


def test_iterator_argument_types_equal_kernel(tracepoints):
    from btf import layout as L
    from isa import decode
    from verifier import VerifierInput, verify
    from verifier.btf_ctx import ITER_ARGS
    vm, _ = tracepoints
    diffs, seen = [], set()
    for name in sorted(ITER_ARGS):
        fn = vm.find_one("bpf_iter_" + name, L.FUNC)
        if fn is None:
            continue
        seen.add(name)
        for i in range(len(vm.types[fn.type].params)):
            code = _insn(0x79, 1, 1, 8 * i) + _insn(0xB7) + _insn(0x95)
            res = kernel.prog_load(code, BPF_PROG_TYPE_TRACING, log_level=2,
                                   expected_attach_type=BPF_TRACE_ITER, attach_btf_id=fn.id)
            assert res.accepted, (name, i, res.log)
            want = _loaded_type(res.log)
            assert want is not None, (name, i, res.log)
            inp = VerifierInput(insns=decode(code), prog_type="tracing",
                                expected_attach_type="trace_iter", attach=name, target_btf=vm,
                                static_liveness=False)
            ours = verify(inp, log_level=2)
            if not ours.accepted or _loaded_type(ours.log) != want:
                diffs.append((name, i, want, _loaded_type(ours.log), ours.error_line))
    assert {"task", "task_file", "bpf_map", "tcp", "udp"} <= seen
    assert not diffs, diffs
