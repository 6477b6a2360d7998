"""cfg_one's fused walk gives what the general structure passes give.

``cfg_one.scan`` stands in for add_subprogs + check_subprogs (+ check_cfg's checks) of a
program of one function whose jumps all go forward, and ``cfg_one.finish`` for
check_cfg's marks; for any other program, or one those passes reject, scan returns None
having changed nothing and the general passes run.  The oracle is the general passes,
which the live-kernel tests hold to the kernel's messages.  On fixed-seed random programs
(well-formed ones, anything-goes ones and well-formed ones with one or two faults put in:
an unknown opcode, a backward or out-of-range jump, an unreachable insn, a broken LD_IMM64
pair, a bad last insn, a BPF-to-BPF call ...):

* wherever scan takes a program, the general passes accept it too and leave the same
  instruction lists, subprogram, per-insn marks, live registers (scan's backward walk
  stands in for compute_live_registers too) and orders (resolve_pseudo_ldimm64, which
  runs between the halves, fails the same way in both);
* verify() with and without the fused walk gives the same verdict, message, insn, counts,
  log (levels 1 and 2) and subprogram facts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import isa
from isa import opcodes as op
from verifier import VerifierInput, cfg, cfg_one, verify
from verifier.env import Env
from verifier.errors import VerifierError
from verifier.liveness import compute_live_registers
from verifier.log import Log

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from random_progs import MAPS, PROG_TYPES, raw_program, shaped_program  # noqa: E402
from seeds import rng  # noqa: E402

I = isa.Insn


def _fault(r, prog: list) -> list:
    """``prog`` with one fault put in at a random place."""
    p = list(prog)
    n = len(p)
    i = r.randrange(n)
    k = r.randrange(13)
    if k == 0:
        p[i] = I(r.choice([0xf5, 0xff, 0x86, 0x96, 0x8d, 0x0e, 0x0d, 0x20, 0x38, 0xdd]),
                 r.randrange(11), r.randrange(11), r.randrange(-3, 4), 0)
    elif k == 1:                                    # a backward jump (a loop)
        p[i] = I(op.JMP | op.JNE, 1, 0, -r.randrange(1, i + 2), 0)
    elif k == 2:                                    # a jump out of the program
        p[i] = I(op.JMP | op.JA, 0, 0, n - i + r.randrange(0, 3), 0)
    elif k == 3:                                    # code after an exit nothing reaches
        p.insert(i, I(op.EXIT_OP))
        p.insert(i + 1, I(op.ALU64 | op.MOV, 0, 0, 0, 0))
    elif k == 4:                                    # an LD_IMM64 pair cut or broken
        p.insert(i, I(op.LD_IMM64, 1, r.choice([0, 0, 1, 2, op.PSEUDO_FUNC]), 0, 0))
        if r.random() < 0.5:
            p.insert(i + 1, I(r.choice([0, 0xb7]), r.randrange(2), 0, r.randrange(2), 0))
    elif k == 5:                                    # a bad last insn
        p[-1] = r.choice([I(op.ALU64 | op.MOV, 0, 0, 0, 0), I(op.JMP | op.JEQ, 0, 0, 0, 0),
                          I(op.CALL_OP, 0, 0, 0, 5), I(op.LD_IMM64, 0, 0, 0, 0)])
    elif k == 6:                                    # a BPF-to-BPF call, a callback address
        p.insert(i, r.choice([I(op.CALL_OP, 0, op.PSEUDO_CALL, 0, r.randrange(-i - 1, n - i)),
                              I(op.CALL_OP, 0, op.PSEUDO_KFUNC_CALL, 0, 7)]))
    elif k == 7:                                    # a jump into an LD_IMM64's second slot
        p[i:i] = [I(op.JMP | op.JA, 0, 0, 1, 0), I(op.LD_IMM64, 2, 0, 0, 1), I(0, 0, 0, 0, 0)]
    elif k == 8:                                    # reserved fields of an LDX, may_goto
        p[i] = r.choice([I(op.LDX | op.MEM | op.W, 0, 1, 0, 3),
                         I(op.JMP | op.JCOND, 0, 0, r.randrange(0, 3), 0),
                         I(op.JMP32 | op.JA, 0, 0, 0, r.randrange(-1, 3))])
    elif k == 9:                                    # LD_ABS / LD_IND, tail calls
        p.insert(i, r.choice([I(op.LD | op.ABS | op.W, 0, 0, 0, 4),
                              I(op.LD | op.IND | op.B, 0, 1, 0, 0),
                              I(op.CALL_OP, 0, 0, 0, 12), I(op.CALL_OP, 0, 0, 0, 9)]))
    elif k == 10:                                   # a jump to the very end, or past it
        p[i] = I(op.JMP | op.JA, 0, 0, n - i - 2 + r.randrange(0, 2), 0)
    elif k == 11:                                   # a call with an unknown source
        p.insert(i, I(op.CALL_OP, 0, 3, 0, 1))
    else:                           # a second slot with no LD_IMM64, a run of LD_IMM64s
        p[i:i] = r.choice([[I(0, 0, 0, 0, 0)], [I(op.LD_IMM64, 1, 0, 0, 0)] * 2 + [I(0)],
                           [I(op.LD_IMM64, 1, 0, 0, 0), I(0), I(0)]])
    return p


def _multi_program(r, pt: str) -> list:
    """A program of 2-4 shaped functions with BPF-to-BPF calls and callback addresses
    (LD_IMM64 of a function, passed to bpf_loop or for_each_map_elem) put at a
    function's head or before its final ``r0 = ...; exit`` (where no jump of it
    crosses them): mostly calls to later functions, so that every function is called,
    sometimes back or to itself (a call cycle), sometimes none (a function nothing
    calls) or a target off a function's start."""
    nf = r.randrange(2, 5)
    funcs = [_forward_function(r, pt) for _ in range(nf)]
    sites: list[list[list]] = [[[], []] for _ in range(nf)]     # per function: head, tail
    for g in range(1, nf):
        if r.random() < 0.93:
            sites[r.randrange(g)][r.randrange(2)].append(g)
    for _ in range(r.randrange(0, 3)):
        f = r.randrange(nf)
        g = r.randrange(nf) if r.random() < 0.3 else r.randrange(min(f + 1, nf - 1), nf)
        sites[f][r.randrange(2)].append(g)
    body: list = []
    starts = []
    for f in range(nf):
        starts.append(len(body))
        head, tail = ([x for g in part for x in _site(r, g)] for part in sites[f])
        body += funcs[f][:1] + head + funcs[f][1:-2] + tail + funcs[f][-2:]
    out = []
    for i, x in enumerate(body):
        if isinstance(x, tuple):            # (code, dst, src, function called)
            code, dst, src, g = x
            t = starts[g] if r.random() < 0.96 else r.randrange(-1, len(body) + 1)
            x = I(code, dst, src, 0, t - i - 1)
        out.append(x)
    return out


def _forward_function(r, pt: str) -> list:
    """A shaped program, most often one whose jumps all go forward (scan's kind)."""
    for _ in range(8):
        prog = shaped_program(r, pt)
        if not any(x.off < 0 and x.code & 7 in (op.JMP, op.JMP32) for x in prog):
            break
    return prog


def _site(r, g: int) -> list:
    """A call of function ``g`` or its address passed to a callback helper (the target
    resolved once the functions are laid out)."""
    k = r.random()
    if k < 0.6:
        return [(op.CALL_OP, 0, op.PSEUDO_CALL, g)]
    helper = r.choice([181, 164, 9, 12])        # bpf_loop, for_each_map_elem, a packet
    return [I(op.ALU64 | op.MOV, 1, 0, 0, 4),   # change, a tail call
            (op.LD_IMM64, 2, op.PSEUDO_FUNC, g), I(0),
            I(op.ALU64 | op.MOV, 3, 0, 0, 0), I(op.ALU64 | op.MOV, 4, 0, 0, 0),
            I(op.CALL_OP, 0, 0, 0, helper)]


def _programs():
    r, where = rng(20261208)
    progs = []
    for k in range(3600):
        pt = r.choice(PROG_TYPES)
        if k % 6 == 0:
            prog = raw_program(r)
        else:
            prog = shaped_program(r, pt) if k % 6 < 3 else _multi_program(r, pt)
            for _ in range(k % 3):          # none, one or two faults
                prog = _fault(r, prog)
        progs.append((prog, pt))
    return progs, where


def _env(prog, pt, level=0):
    return Env(VerifierInput(prog, prog_type=pt, maps=MAPS), Log(level))


def _state(env, orders=True):
    """Everything the structure passes leave behind (``orders``: and the orders, built on
    first use, so not before the passes ran)."""
    # (env.aux makes an InsnAux on a first look: an insn without one has no facts; the
    # live registers are read at prune points only, and in a program of several
    # functions at a frame's call site: finish sets them there alone, or all)
    every = len(env.subprogs) > 1
    aux = [(env.prune_point[i], env.jmp_point[i], env.seen[i],
            env.live_regs_before[i] if every or env.prune_point[i] else None,
            dict(env.aux[i].__dict__) if i in env.aux else {}) for i in range(env.n)]
    return (list(env.jmp_insns), list(env.call_insns), list(env.res_insns),
            list(env.ldimm_insns), [dict(sp.__dict__) for sp in env.subprogs], aux,
            env.loop_free) + ((env.postorder, env.succ) if orders else ())


def _general(prog, pt):
    env = _env(prog, pt)
    stage = "structure"
    try:
        cfg.add_subprogs(env)
        cfg.check_subprogs(env)
        if env.res_insns:
            stage = "resolve"
            cfg.resolve_pseudo_ldimm64(env)
        stage = "structure"
        cfg.check_cfg(env)
    except VerifierError as e:
        return (stage, e.message), None
    compute_live_registers(env)
    return None, _state(env)


def _fused(prog, pt):
    """(None, None) when scan does not take the program, else as _general."""
    env = _env(prog, pt)
    before = _state(env, False)
    live = [a.live_regs_before for a in env.aux]
    try:
        edges = cfg_one.scan(env)
    except VerifierError as e:
        return ("structure", e.message), None
    if edges is None:
        assert _state(env, False)[4:] == before[4:], "scan changed the env and gave up"
        assert [a.live_regs_before for a in env.aux] == live, "scan gave up, live regs set"
        return None, None
    try:
        if env.res_insns:
            cfg.resolve_pseudo_ldimm64(env)
    except VerifierError as e:
        return ("resolve", e.message), None
    cfg_one.finish(env, edges)
    return None, _state(env)


def test_scan_and_finish_match_the_general_passes():
    progs, where = _programs()
    taken = refused = several = 0
    for k, (prog, pt) in enumerate(progs):
        err, state = _fused(prog, pt)
        if err is None and state is None:
            refused += 1
            continue
        taken += 1
        several += state is not None and len(state[4]) > 1
        assert _general(prog, pt) == (err, state), f"{where}, program {k}: {prog}"
    assert taken > 500 and refused > 500 and several > 200, (where, taken, refused, several)


def _verdict(prog, pt, level):
    v = verify(VerifierInput(prog, prog_type=pt, maps=MAPS, insn_limit=20000), log_level=level)
    e = v.error
    return (v.accepted, e and (e.message, e.insn, e.subprog, e.errno), v.processed_insns,
            v.total_states, v.peak_states, v.max_states_per_insn, v.log, v.subprogs,
            v.seen_insns, v.internal_error)


def test_verify_with_and_without_the_fused_walk(monkeypatch):
    progs, where = _programs()
    progs = progs[:1200]
    levels = [1 if k % 3 else 2 for k in range(len(progs))]
    shipped = [_verdict(p, pt, lv) for (p, pt), lv in zip(progs, levels)]
    monkeypatch.setattr(cfg_one, "scan", lambda env: None)
    for k, ((p, pt), lv) in enumerate(zip(progs, levels)):
        assert _verdict(p, pt, lv) == shipped[k], f"{where}, program {k}: {p}"
