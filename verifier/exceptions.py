"""BPF exceptions: the ``bpf_throw`` kfunc and the exception callback.

Kernel counterpart (kernel/bpf/verifier.c): ``check_kfunc_call``'s ``KF_bpf_throw``
case, ``process_bpf_exit_full`` with ``exception_exit``, the ``bpf_throw`` walk of
``check_max_stack_depth_subprog`` and the exception-callback parts of
``do_check_common`` / ``do_check_subprogs`` / ``check_cfg``.

* ``bpf_throw(cookie)`` ends the path it is on, like a program exit: no lock, RCU
  section or preemption-disabled region may be open and no reference held, in any
  frame (``bpf_throw cannot be used inside ...``, ``bpf_throw would lead to reference
  leak``), but the return code is not checked there.  Without an exception callback the
  cookie becomes the program's return value, so R1 must be within the program type's
  return range (``At program exit the register R1 ...``).
* A program names its exception callback with the BTF decl tag
  ``exception_callback:NAME`` on its main function (:func:`verifier.calls.
  find_exception_callback_insn_off`).  The callback is a global function that is never
  called directly (``cannot call exception cb directly``), is verified on its own as if
  called (one integer argument: ``exception cb only supports single integer argument``),
  and returns within the program type's range, as the program would.
* ``bpf_throw`` may not run inside a callback (``bpf_loop``, timer, the exception
  callback itself), directly or through the subprograms it calls: ``bpf_throw kfunc
  (insn N) cannot be called from callback subprog M``.
"""

from __future__ import annotations

from btf.funcs import ArgKind
from verifier.calls import check_return_code
from verifier.env import Env
from verifier.errors import EINVAL, VerifierError
from verifier.refs import check_resource_leak

THROW = "bpf_throw"


def is_throw(env: Env, idx: int) -> bool:
    """kernel: is_bpf_throw_kfunc - the kfunc call at ``idx`` is ``bpf_throw``."""
    desc = env.kfunc_descs.get(idx)
    return desc is not None and desc.name == THROW


def has_exception_cb(env: Env) -> bool:
    return any(sp.is_exception_cb for sp in env.subprogs)


def check_throw_call(env: Env) -> None:
    """kernel: check_kfunc_call for ``bpf_throw``, after the arguments and before the
    call clobbers R1-R5: under the default callback the cookie is the return value."""
    if not has_exception_cb(env):
        check_return_code(env, 1)


def throw_exit(env: Env) -> None:
    """kernel: process_bpf_exit_full(exception_exit = true) - the path ends here with
    every frame unwound; nothing may be held in any of them."""
    check_resource_leak(env, True, True, "bpf_throw")


def check_exception_cb_args(env: Env, subprog: int) -> None:
    """kernel: do_check_common - the exception callback takes one scalar argument."""
    info = env.subprogs[subprog].info
    args = info.args if info is not None else []
    if len(args) != 1 or args[0].kind != ArgKind.SCALAR:
        raise VerifierError("exception cb only supports single integer argument", EINVAL)


def check_throw_site(env: Env, i: int, idx: int, frame: int, ret_prog: list[int]) -> None:
    """kernel: check_max_stack_depth_subprog - insn ``i`` of subprog ``idx``, reached
    through the subprograms ``ret_prog[:frame]``, must not throw from a callback."""
    insn = env.insns[i]
    if insn.off or not is_throw(env, i):
        return
    sps = env.subprogs
    if sps[idx].is_cb or any(sps[ret_prog[c]].is_cb for c in range(frame)):
        raise VerifierError(f"bpf_throw kfunc (insn {i}) cannot be called from callback "
                            f"subprog {idx}", EINVAL)


__all__ = ["THROW", "is_throw", "has_exception_cb", "check_throw_call", "throw_exit",
           "check_exception_cb_args", "check_throw_site"]
