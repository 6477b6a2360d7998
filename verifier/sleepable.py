"""Sleepable programs (``BPF_F_SLEEPABLE``; kernel: ``in_sleepable``, ``can_be_sleepable`` and
the sleepable part of ``check_attach_btf_id``).

libbpf sets the flag for the ``*.s`` sections (``uprobe.s``, ``uprobe.multi.s``, ``usdt.s``,
``fentry.s``, ``lsm.s``, ``iter.s``, ...) and for ``syscall`` programs.  A sleepable program
may call helpers and kfuncs that might sleep and may use only some map types
(:func:`verifier.map_compat.check_map_prog_compatibility`).  The kernel allows a sleepable
fentry/fexit/fmod_ret program only on an error-injectable function and a sleepable LSM
program only on a sleepable hook: those lists are the running kernel's, not modelled here,
so such programs are refused by name rather than guessed.
"""

from __future__ import annotations

from .errors import EINVAL, ENOTSUPP, VerifierError


def in_sleepable(env) -> bool:
    """kernel: in_sleepable - the program is sleepable or the state is a sleepable callback's."""
    return env.inp.sleepable or env.cur.in_sleepable


def can_be_sleepable(prog_type: str, attach: str | None) -> bool:
    if prog_type == "tracing":
        return attach in ("trace_fentry", "trace_fexit", "modify_return", "trace_iter")
    if prog_type == "lsm":
        return attach != "lsm_cgroup"
    return prog_type in ("kprobe", "struct_ops")       # kprobe: only uprobes sleep


def check_attach_sleepable(env) -> None:
    """The sleepable checks of check_attach_btf_id (after check_cfg, as in bpf_check)."""
    inp = env.inp
    if inp.prog_type == "syscall":
        if not inp.sleepable:
            raise VerifierError("Syscall programs can only be sleepable", EINVAL)
        return
    if not inp.sleepable:
        return
    if not can_be_sleepable(inp.prog_type, inp.expected_attach_type):
        raise VerifierError("Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops "
                            "programs can be sleepable", EINVAL)
    if inp.prog_type == "lsm" or (inp.prog_type == "tracing"
                                  and inp.expected_attach_type != "trace_iter"):
        raise VerifierError(f"sleepable {inp.prog_type} program on {inp.attach or '?'}: the "
                            f"kernel's list of sleepable attach targets is not modelled by "
                            f"this verifier", ENOTSUPP)
