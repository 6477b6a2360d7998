"""Structure checks that run before (and one after) the abstract interpretation.

In the kernel's order:

1. :func:`add_subprogs` - subprogram starts from BPF-to-BPF call targets and
   callback addresses (``call to invalid destination``);
2. :func:`check_subprogs` - jumps stay inside their subprogram (``jump out of
   range from insn 1 to 7``), each subprogram ends in exit or jump (``last
   insn is not an exit or jmp``);
3. :func:`check_btf_func` - func_info matches the subprogram layout; names
   and linkage (static/global) of subprograms;
4. :func:`resolve_pseudo_ldimm64` - reserved fields, LD_IMM64 pairing and map
   references, unknown opcodes;
5. :func:`check_cfg` (:mod:`verifier.cfg_walk`) - depth-first walk of the control
   flow graph: every instruction reachable (``unreachable insn 2``), no jump into the
   middle of an LD_IMM64, and marks the prune/jump points the state cache uses; then
   the orders the later passes walk (:mod:`verifier.cfg_order`: postorder, loops);
6. after verification, :func:`verifier.stack_depth.check_max_stack_depth` - call
   chains deeper than 8 frames or with more than 512 bytes of combined stack.
"""

from __future__ import annotations

from btf.errors import BtfError
from btf import layout as L
from btf.funcs import func_arg_info
from isa import opcodes as op
from verifier.env import BPF_MAX_SUBPROGS, Env, Subprog
from verifier.errors import EACCES, EINVAL, VerifierError
from verifier.calls import find_exception_callback_insn_off
from verifier.map_compat import check_map_prog_compatibility
from verifier.kfunc_call import add_kfunc
from verifier.cfg_order import compute_scc
from verifier.cfg_walk import check_cfg

MAX_VAR_OFF = 1 << 29


def is_pseudo_call(insn) -> bool:
    return insn.code == op.CALL_OP and insn.src == op.PSEUDO_CALL


def is_pseudo_func(insn) -> bool:
    return insn.code == op.LD_IMM64 and insn.src == op.PSEUDO_FUNC


def add_subprogs(env: Env) -> None:
    """kernel: add_subprog_and_kfunc - one walk over every instruction.  It also files the
    instructions the later structure passes look at (``env.jmp_insns``, ``env.call_insns``,
    ``env.res_insns``, by :data:`_SCAN_KIND`, and the LD_IMM64s, ``env.ldimm_insns``), so
    those passes visit only them."""
    starts = {0}
    n = env.n
    kind = _SCAN_KIND
    jmps: list[int] = []
    calls: list[int] = []
    res: list[int] = []
    ldimm: list[int] = []
    for i, insn in enumerate(env.insns):
        k = kind[insn.code]
        if not k:
            continue
        if k == _K_LDX:
            if insn.imm:
                res.append(i)
            continue
        if k & _K_JMP:
            jmps.append(i)
        if k & _K_RES:
            res.append(i)
        code = insn.code
        if code == _CALL_OP or code == _LD_IMM64:
            src = insn.src
            if code == _CALL_OP:
                calls.append(i)
            else:
                ldimm.append(i)
            if (src == _PSEUDO_CALL and code == _CALL_OP) or (src == _PSEUDO_FUNC
                                                            and code == _LD_IMM64):
                target = i + insn.imm + 1
                if target < 0 or target >= n:
                    raise VerifierError("call to invalid destination", EINVAL)
                starts.add(target)
                if len(starts) > BPF_MAX_SUBPROGS:
                    raise VerifierError("too many subprograms", EINVAL)
            elif code == _CALL_OP and src == _PSEUDO_KFUNC_CALL:
                add_kfunc(env, i, insn)
    env.jmp_insns, env.call_insns, env.res_insns, env.ldimm_insns = jmps, calls, res, ldimm
    # (only a main function with BTF func_info can name an exception callback)
    ex_cb_insn = find_exception_callback_insn_off(env) if env.inp.func_info else 0
    if ex_cb_insn:
        starts.add(ex_cb_insn)
        if len(starts) > BPF_MAX_SUBPROGS:
            raise VerifierError("too many subprograms", EINVAL)
    if len(starts) == 1:
        subprogs = env.subprogs = [Subprog(0, n)]
    else:
        order = sorted(starts)
        order.append(n)
        subprogs = env.subprogs = [Subprog(order[k], order[k + 1])
                                   for k in range(len(order) - 1)]
    if ex_cb_insn:
        # kernel: mark_subprog_exc_cb - a callback of its own, stack checked apart
        sp = next(sp for sp in subprogs if sp.start == ex_cb_insn)
        sp.is_cb = sp.is_async_cb = sp.is_exception_cb = True
    if env.log.level2:
        for k, sp in enumerate(subprogs):
            env.log.line(f"func#{k} @{sp.start}")
    aux = env.aux
    for k in range(1, len(subprogs)):      # aux.subprog starts out 0 (the main function)
        sp = subprogs[k]
        for i in range(sp.start, sp.end):
            aux[i].subprog = k


def check_subprogs(env: Env) -> None:
    """kernel: check_subprogs - per subprogram in order, its jumps stay inside it, then its
    last insn is an exit or a jump.  Only the filed instructions are visited: jumps and
    calls (``env.jmp_insns``), LD_ABS/LD_IND (in ``env.res_insns``)."""
    insns = env.insns
    jmps, lds = env.jmp_insns, env.res_insns
    nj, nl = len(jmps), len(lds)
    j = m = 0
    exit_, call = op.EXIT, op.CALL
    ja32 = op.JMP32 | op.JA
    last_ok = (op.EXIT_OP, op.JMP32 | op.JA, op.JMP | op.JA)
    ld_abs = _LD_ABS_CODES
    for sp in env.subprogs:
        start, end = sp.start, sp.end
        while j < nj and jmps[j] < end:
            i = jmps[j]
            j += 1
            insn = insns[i]
            code = insn.code
            o = code & 0xF0
            if o == call:
                if code == _CALL_OP and insn.src == 0 and insn.imm == 12:
                    sp.has_tail_call = True
                    sp.tail_call_reachable = True
            elif o != exit_:
                target = i + (insn.imm if code == ja32 else insn.off) + 1
                if target < start or target >= end:
                    end = i         # the LD_ABS seen before this insn still count
                    while m < nl and lds[m] < end:
                        if insns[lds[m]].code in ld_abs:
                            sp.has_ld_abs = True
                        m += 1
                    raise VerifierError(f"jump out of range from insn {i} to {target}",
                                        EINVAL)
        while m < nl and lds[m] < end:
            if insns[lds[m]].code in ld_abs:
                sp.has_ld_abs = True
            m += 1
        if insns[end - 1].code not in last_ok:
            raise VerifierError("last insn is not an exit or jmp", EINVAL)


def check_btf_func(env: Env) -> None:
    """Attach func_info (name, linkage, prototype) to subprograms.  What a record yields
    depends on its FUNC alone (and whether it is the main function's): worked out once
    per FUNC (:func:`_func_facts`) and kept in the Btf's memo, as the kernel checks a
    FUNC's prototype once, at BPF_BTF_LOAD; a verification then reads it back."""
    fi = env.inp.func_info
    btf = env.inp.btf
    if not fi or btf is None:
        return
    subprogs = env.subprogs
    if len(fi) != len(subprogs):
        raise VerifierError("number of funcs in func_info doesn't match number of subprogs",
                            EINVAL)
    prev = -1
    btf_types = btf.types
    ntypes = len(btf_types)
    types = []
    for k, (insn_off, type_id) in enumerate(fi):
        if k == 0 and insn_off:
            raise VerifierError(f"nonzero insn_off {insn_off} for the first func info record",
                                EINVAL)
        if k and insn_off <= prev:
            raise VerifierError(f"same or smaller insn offset ({insn_off}) than previous func "
                                f"info record ({prev})", EINVAL)
        prev = insn_off
        t = btf_types[type_id] if 0 <= type_id < ntypes else None   # (btf.type's range)
        if t is None or t.kind != _KIND_FUNC:
            raise VerifierError(f"invalid type id {type_id} in func info", EINVAL)
        types.append(t)
    memo = btf.memo
    for k, (insn_off, type_id) in enumerate(fi):
        sp = subprogs[k]
        if sp.start != insn_off:
            raise VerifierError("func_info BTF section doesn't match subprog layout in BPF "
                                "program", EINVAL)
        t = types[k]
        sp.func_id = type_id
        f = memo.get((_FUNC_FACTS, type_id, not k))
        if f is None or f[0] is not t:
            # (fills sp in the kernel's order: what it set stays when a step raises)
            f = _func_facts(btf, sp, t, type_id, k == 0)
        else:
            _, sp.name, sp.linkage, sp.info, sp.btf_problem, sp.arg_cnt, sp.stack_arg_cnt, _ = f
        if k and not f[7]:
            if sp.has_ld_abs:
                raise VerifierError("LD_ABS is only supported in functions that return 'int'.",
                                    EINVAL)
            if sp.has_tail_call:
                raise VerifierError("tail_call is only allowed in functions that return 'int'.",
                                    EINVAL)


_KIND_FUNC = L.FUNC
_FUNC_FACTS = "verifier.cfg.check_btf_func"     # the memo keys' tag (Btf.memo is shared)
_LINKAGE = {0: "static", 1: "global", 2: "extern"}    # a FUNC's vlen


def _func_facts(btf, sp: Subprog, t, type_id: int, main: bool) -> tuple:
    """What check_btf_func sets on the subprogram of FUNC ``t`` (``type_id``; ``main``: the
    program's first function), set on ``sp`` and kept in ``btf.memo``: (t, name, linkage,
    info, btf_problem, arg_cnt, stack_arg_cnt, returns a scalar).  The FUNC object is kept
    to notice a types list changed in place."""
    sp.name = t.name
    sp.linkage = _LINKAGE.get(t.vlen, "static")
    info = _arg_info(btf, type_id, main)
    if isinstance(info, BtfError):
        # the kernel reports this when the function is called
        # (btf_check_subprog_call -> "Caller passes invalid args ...")
        sp.info = None
        sp.btf_problem = kernel_problem_text(info.args[0] if info.args else str(info))
    else:
        sp.info = info
    if main and sp.info is not None:
        # the kernel runs btf_prepare_func_args on the main function too (only
        # to mark its BTF unreliable): a first argument that is no context
        # type (void *ctx, say) earns a complaint in the log
        strict = _arg_info(btf, type_id, False)
        if isinstance(strict, BtfError):
            sp.btf_problem = kernel_problem_text(strict.args[0] if strict.args else str(strict))
        elif strict.problem:
            sp.btf_problem = kernel_problem_text(strict.problem)
    info = sp.info
    if info is not None:
        sp.arg_cnt = info.arg_cnt
        sp.stack_arg_cnt = info.stack_arg_cnt
        if not main and sp.linkage == "global" and not info.reliable:
            sp.btf_problem = kernel_problem_text(info.problem)
            sp.info = None
    proto = btf.type(t.type)
    ret = btf.resolve(proto.type) if proto.type else None
    scalar_ret = ret is not None and ret.kind_name in ("INT", "ENUM", "ENUM64") and ret.size <= 8
    f = btf.memo[(_FUNC_FACTS, type_id, main)] = (
        t, sp.name, sp.linkage, sp.info, sp.btf_problem, sp.arg_cnt, sp.stack_arg_cnt,
        scalar_ret)
    return f


def _arg_info(btf, type_id: int, main: bool):
    """func_arg_info(btf, type_id, main=main), or the BtfError it raises.  (No insn: the
    SubprogInfo is shared by every program the FUNC is in, at whatever offset.)"""
    try:
        return func_arg_info(btf, type_id, main=main)
    except BtfError as e:
        return e


def resolve_pseudo_ldimm64(env: Env) -> None:
    """kernel: resolve_pseudo_ldimm64 (and bpf_opcode_in_insntable) - a walk over the
    instructions in order, an LD_IMM64 taking two slots.  Only the filed ones
    (``env.res_insns``: LD class, LDX with reserved fields, unknown opcodes) can fail or
    resolve anything; the second slot of an LD_IMM64 the walk reached is skipped."""
    insns = env.insns
    n = env.n
    ldx = op.LDX
    skip = -1
    used_maps = []
    for i in env.res_insns:
        if i == skip:
            continue
        insn = insns[i]
        code = insn.code
        if (code & 7) == ldx and (((code & 0xE0) not in (op.MEM, op.MEMSX)) or insn.imm != 0):
            raise VerifierError("BPF_LDX uses reserved fields", EINVAL)
        if code == op.LD_IMM64:
            if i == n - 1:
                raise VerifierError("invalid bpf_ld_imm64 insn", EINVAL)
            nxt = insns[i + 1]
            if nxt.code or nxt.dst or nxt.src or nxt.off:
                raise VerifierError("invalid bpf_ld_imm64 insn", EINVAL)
            src = insn.src
            aux = env.aux[i]
            if src == 0:
                pass
            elif src == op.PSEUDO_BTF_ID:
                # ksym variables (__ksym globals) are not modelled
                raise VerifierError("kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y "
                                    "is specified in Kconfig.", EINVAL)
            elif src == op.PSEUDO_FUNC:
                aux.ld_imm_kind = "func"
            else:
                if src in (op.PSEUDO_MAP_VALUE, op.PSEUDO_MAP_IDX_VALUE):
                    pass
                elif src in (op.PSEUDO_MAP_FD, op.PSEUDO_MAP_IDX) and nxt.imm == 0:
                    pass
                else:
                    raise VerifierError("unrecognized bpf_ld_imm64 insn", EINVAL)
                m = env.inp.map_at(insn.imm)
                if src in (op.PSEUDO_MAP_FD, op.PSEUDO_MAP_VALUE) and not env.inp.map_fds:
                    m = None
                if m is None:
                    if src in (op.PSEUDO_MAP_IDX, op.PSEUDO_MAP_IDX_VALUE):
                        raise VerifierError("fd_idx without fd_array is invalid", 71)
                    raise VerifierError(f"fd {insn.imm} is not pointing to valid bpf_map", 9)
                if m not in used_maps:      # kernel: env->used_maps
                    check_map_prog_compatibility(env.inp.prog_type, m, env.inp.sleepable)
                    used_maps.append(m)
                aux.map_index = insn.imm
                if src in (op.PSEUDO_MAP_VALUE, op.PSEUDO_MAP_IDX_VALUE):
                    off = nxt.imm & 0xFFFFFFFF
                    if off >= MAX_VAR_OFF:
                        raise VerifierError(f"direct value offset of {off} is not allowed", EINVAL)
                    # map->ops->map_direct_value_addr: arrays (and insn arrays) only
                    if m.map_type not in ("array",):
                        raise VerifierError("no direct value access support for this map type",
                                            EINVAL)
                    if m.max_entries != 1 or off >= m.value_size:
                        raise VerifierError(f"invalid access to map value pointer, "
                                            f"value_size={m.value_size} off={off}", EINVAL)
                    aux.map_off = off
                    aux.ld_imm_kind = "map_value"
                else:
                    aux.ld_imm_kind = "map"
            skip = i + 1
            continue
        if code not in _VALID_CODES:    # kernel: bpf_opcode_in_insntable
            raise VerifierError(f"unknown opcode {code:02x}", EINVAL)


def _insn_table() -> frozenset[int]:
    """kernel: bpf_opcode_in_insntable - every opcode byte the interpreter knows."""
    codes = set()
    for cls in (op.ALU, op.ALU64):
        for o in (op.ADD, op.SUB, op.MUL, op.DIV, op.OR, op.AND, op.LSH, op.RSH,
                  op.MOD, op.XOR, op.MOV, op.ARSH):
            for srcb in (op.K, op.X):
                codes.add(cls | o | srcb)
        codes.add(cls | op.NEG)
    codes |= {op.ALU | op.END | op.TO_LE, op.ALU | op.END | op.TO_BE, op.ALU64 | op.END}
    for cls in (op.JMP, op.JMP32):
        for o in (op.JA, op.JEQ, op.JGT, op.JGE, op.JSET, op.JNE, op.JSGT, op.JSGE, op.JLT,
                  op.JLE, op.JSLT, op.JSLE):
            for srcb in (op.K, op.X):
                codes.add(cls | o | srcb)
    codes |= {op.JMP | op.CALL, op.JMP | op.EXIT, op.JMP | op.JCOND, op.JMP | op.CALL | op.X}
    for size in (op.B, op.H, op.W, op.DW):
        codes.add(op.LDX | op.MEM | size)
        codes.add(op.STX | op.MEM | size)
        codes.add(op.ST | op.MEM | size)
    for size in (op.B, op.H, op.W):
        codes.add(op.LDX | op.MEMSX | size)
        codes.add(op.LD | op.ABS | size)
        codes.add(op.LD | op.IND | size)
    for size in (op.B, op.H, op.W, op.DW):
        codes.add(op.STX | op.ATOMIC | size)
    codes.add(op.LD | op.IMM | op.DW)
    return frozenset(codes)


_VALID_CODES = _insn_table()        # (kernel: bpf_opcode_in_insntable)


# add_subprogs files each instruction by its opcode byte for the passes after it:
_K_JMP = 1      # JMP/JMP32 class (jumps, calls, exits): env.jmp_insns
_K_RES = 2      # resolve_pseudo_ldimm64 must look: LD class, an unknown opcode, a bad LDX mode
_K_LDX = 4      # an LDX with a valid mode: resolve_pseudo_ldimm64 looks if its imm is set


def _scan_kind(code: int) -> int:
    cls = code & 7
    if cls == op.LDX and (code & 0xE0) in (op.MEM, op.MEMSX) and code in _VALID_CODES:
        return _K_LDX
    k = _K_JMP if cls in (op.JMP, op.JMP32) else 0
    if cls == op.LD or code not in _VALID_CODES:
        k |= _K_RES
    return k


_SCAN_KIND = tuple(_scan_kind(code) for code in range(256))
_LD_ABS_CODES = frozenset(c for c in range(256)
                          if c & 7 == op.LD and (c & 0xE0) in (op.ABS, op.IND))
_LD_IMM64, _CALL_OP = op.LD_IMM64, op.CALL_OP
_PSEUDO_CALL, _PSEUDO_FUNC = op.PSEUDO_CALL, op.PSEUDO_FUNC
_PSEUDO_KFUNC_CALL = op.PSEUDO_KFUNC_CALL


def kernel_problem_text(msg: str) -> str:
    """btf_prepare_func_args' message as the kernel logs it: an unsized pointee
    also prints the errno of btf_resolve_size."""
    if msg and msg.endswith("size cannot be determined"):
        return msg + ": -22"
    return msg


__all__ = ["add_subprogs", "check_subprogs", "check_btf_func", "resolve_pseudo_ldimm64",
           "check_cfg", "compute_scc", "EACCES"]
