"""The mock kernel's TCP congestion-control and iterator/socket kfuncs against vmlinux.

Oracle: the running kernel's /sys/kernel/btf/vmlinux read through bpftool (never through
our BTF parser): every kfunc of core/tcp_ca_kfuncs and core/misc_kfuncs has vmlinux's
prototype (parameter names and types).  The verdicts that follow are compared with the live
kernel in tests/verifier/test_struct_ops_vs_kernel.py and test_iter_kfuncs_vs_kernel.py.
"""

from __future__ import annotations

import pytest

from pipeline.kernel.core import misc_kfuncs, tcp_ca_kfuncs
from tests.kernel_mock.test_task_kfuncs import _spell

VMLINUX_KFUNCS = sorted(d.name for m in (tcp_ca_kfuncs, misc_kfuncs)
                        for s in m.KFUNC_SETS for d in s.defs)


@pytest.mark.parametrize("name", VMLINUX_KFUNCS)
def test_prototype_is_vmlinux_s(kernel_raw, vmlinux_raw, name):
    theirs = vmlinux_raw.func(name)
    if theirs is None:
        pytest.skip(f"this kernel's vmlinux BTF has no {name}")
    ours = kernel_raw.func(name)
    assert [p for p, _ in ours[1]] == [p for p, _ in theirs[1]]          # parameter names
    assert _spell(kernel_raw, ours[0]) == _spell(vmlinux_raw, theirs[0])
    assert [_spell(kernel_raw, t) for _, t in ours[1]] \
        == [_spell(vmlinux_raw, t) for _, t in theirs[1]]
    assert kernel_raw.decl_tags(name) == ["bpf_kfunc"]
