"""The mock kernel's TCP congestion-control and iterator/socket kfuncs against vmlinux.

Oracle: the running kernel's /sys/kernel/btf/vmlinux read through bpftool (never through
our BTF parser): every kfunc of core/tcp_ca_kfuncs and core/misc_kfuncs has vmlinux's
prototype (parameter names and types).  The verdicts that follow are compared with the live
kernel in tests/verifier/test_struct_ops_vs_kernel.py and test_iter_kfuncs_vs_kernel.py.
"""

from __future__ import annotations

import pytest

from pipeline.kernel.core import misc_kfuncs, tcp_ca_kfuncs
from tests.kernel_mock.test_task_kfuncs import check_prototype_is_vmlinux_s

VMLINUX_KFUNCS = sorted(d.name for m in (tcp_ca_kfuncs, misc_kfuncs)
                        for s in m.KFUNC_SETS for d in s.defs)


@pytest.mark.parametrize("name", VMLINUX_KFUNCS)
def test_prototype_is_vmlinux_s(kernel_raw, vmlinux_raw, name):
    check_prototype_is_vmlinux_s(kernel_raw, vmlinux_raw, name)
