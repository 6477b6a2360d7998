"""Random BPF programs for the verifier's robustness and differential tests.

Two generators, both deterministic for a given ``random.Random``:

* :func:`raw_program` - anything goes: random opcodes and fields, random jump targets,
  LD_IMM64 with any pseudo source, r11 operands. Most programs are malformed; the
  point is that the verifier rejects them cleanly.
* :func:`shaped_program` - mostly well-formed programs (registers initialised first,
  forward branches, bounded loops, map lookups with NULL checks, stack spills and
  fills, ctx loads at valid offsets), so that verification goes deep: pruning,
  precision, loops, packet/map/stack checks. About one in ten is accepted.

:data:`MAPS` are the maps both generators refer to by index (``imm`` of LD_IMM64).
"""

from __future__ import annotations

import random

import isa
from isa import opcodes as op
from verifier import MapDesc, VerifierInput, verify

I = isa.Insn

MAPS = [
    MapDesc("a", "array", 4, 16, 4),
    MapDesc("h", "hash", 8, 8, 16),
    MapDesc("d", "array", 4, 64, 1, flags=1 << 7, frozen=True, initial_value=bytes(range(64)),
            kind="data"),
    MapDesc("w", "array", 4, 32, 1, kind="data"),
]
PROG_TYPES = ["socket_filter", "sched_cls", "xdp", "cgroup_skb", "kprobe"]
CTX_OFF = {"socket_filter": [0, 4, 8, 16, 48, 52, 68], "sched_cls": [0, 4, 8, 16, 48, 68, 76, 80, 140],
           "xdp": [0, 4, 8, 12, 16], "cgroup_skb": [0, 8, 48, 76, 80], "kprobe": [0, 8, 16, 112]}
_ALU_OPS = [op.ADD, op.SUB, op.MUL, op.DIV, op.OR, op.AND, op.LSH, op.RSH, op.NEG, op.MOD, op.XOR,
            op.MOV, op.ARSH, op.END]
_JMP_OPS = [op.JA, op.JEQ, op.JGT, op.JGE, op.JSET, op.JNE, op.JSGT, op.JSGE, op.JLT, op.JLE,
            op.JSLT, op.JSLE, op.CALL, op.EXIT]
_HELPERS = [1, 2, 3, 5, 6, 7, 8, 9, 12, 26, 28, 39, 44, 84, 86, 93, 94, 131, 132, 169, 170, 181,
            9999]


def _raw_insn(r: random.Random, i: int, n: int) -> list:
    if r.random() < 0.02:
        return [I(r.randrange(256), r.randrange(16), r.randrange(16), r.randrange(-40, 40),
                  r.randrange(-2**31, 2**31))]
    reg = lambda: r.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 0] + ([11] if r.random() < .05 else []))  # noqa: E731
    imm = r.choice([0, 1, -1, 4, 8, -8, 16, 255, 2**31 - 1, -2**31, r.randrange(-100, 100)])
    off = r.choice([0, 0, -8, -4, -16, 8, 4, -512, -520, 1, r.randrange(-30, 30)])
    cls = r.choice([op.ALU, op.ALU64, op.ALU64, op.LDX, op.STX, op.ST, op.JMP, op.JMP32, op.LD])
    if cls in (op.ALU, op.ALU64):
        o = r.choice(_ALU_OPS)
        src = r.choice([op.K, op.X])
        o2 = (r.choice([0, 0, 8, 16, 32, 1]) if o == op.MOV and src else
              r.choice([0, 0, 1]) if o in (op.DIV, op.MOD) else 0)
        if o == op.END:
            imm = r.choice([16, 32, 64])
        return [I(cls | o | src, reg(), reg() if src else 0, o2, 0 if src else imm)]
    if cls == op.LDX:
        return [I(cls | r.choice([op.MEM, op.MEM, op.MEMSX]) | r.choice([op.B, op.H, op.W, op.DW]),
                  reg(), reg(), off)]
    if cls == op.STX:
        mode = r.choice([op.MEM, op.MEM, op.ATOMIC])
        aimm = (r.choice([op.ADD, op.ADD | op.FETCH, op.XCHG, op.CMPXCHG, op.OR, op.LOAD_ACQ,
                          op.STORE_REL, 0x1234]) if mode == op.ATOMIC else 0)
        return [I(cls | mode | r.choice([op.W, op.DW, op.B, op.H]), reg(), reg(), off, aimm)]
    if cls == op.ST:
        return [I(cls | op.MEM | r.choice([op.B, op.H, op.W, op.DW]), reg(), 0, off, imm)]
    if cls == op.LD:
        src = r.choice([0, op.PSEUDO_MAP_FD, op.PSEUDO_MAP_VALUE, op.PSEUDO_FUNC, op.PSEUDO_BTF_ID,
                        op.PSEUDO_MAP_IDX])
        return [I(op.LD_IMM64 if r.random() < 0.9 else op.LD | r.choice([op.ABS, op.IND]) | op.W,
                  reg(), src, 0, r.randrange(-1, len(MAPS) + 1)),
                I(0, 0, 0, 0, r.choice([0, 0, 4, 100]))]
    o = r.choice(_JMP_OPS)
    if o == op.CALL:
        if r.random() < 0.85:
            return [I(op.CALL_OP, 0, 0, 0, r.choice(_HELPERS))]
        return [I(op.CALL_OP, 0, r.choice([1, 2]), 0, r.randrange(-i - 1, max(1, n - i)))]
    if o == op.EXIT:
        return [I(op.EXIT_OP)]
    tgt = r.randrange(0, max(1, n - i)) if r.random() < 0.9 else r.randrange(-i - 1, n - i + 2)
    if o == op.JA:
        return [I(cls | op.JA, 0, 0, tgt if cls == op.JMP else 0, 0 if cls == op.JMP else tgt)]
    src = r.choice([op.K, op.X])
    return [I(cls | o | src, reg(), reg() if src else 0, tgt, 0 if src else imm)]


def raw_program(r: random.Random) -> list:
    n = r.randrange(1, 14)
    out: list = []
    while len(out) < n:
        out += _raw_insn(r, len(out), n)
    if r.random() < 0.85:
        out += [I(op.ALU64 | op.MOV, 0, 0, 0, 0), I(op.EXIT_OP)]
    return out


def shaped_program(r: random.Random, prog_type: str) -> list:
    ctx = CTX_OFF.get(prog_type, [0])
    body: list = [I(op.ALU64 | op.MOV | op.X, 6, 1)]
    for rr in (0, 2, 3, 4, 5, 7, 8, 9):
        if r.random() < 0.85:
            if r.random() < 0.5:
                body.append(I(op.ALU64 | op.MOV, rr, 0, 0, r.choice([0, 1, 2, 5, 16, -1, 100])))
            else:
                body.append(I(op.LDX | op.MEM | op.W, rr, 1, r.choice(ctx)))
    body.append(I(op.ST | op.MEM | op.DW, 10, 0, -8, 0))
    for _ in range(r.randrange(4, 22)):
        k = r.random()
        reg = r.choice([0, 2, 3, 4, 5, 7, 8, 9, 1, 6])
        reg2 = r.choice([0, 2, 3, 4, 5, 7, 8, 9, 1, 6, 10])
        if k < 0.18:
            o = r.choice([op.ADD, op.SUB, op.MUL, op.OR, op.AND, op.LSH, op.RSH, op.ARSH, op.XOR,
                          op.MOV, op.MOV, op.DIV, op.MOD])
            cls = r.choice([op.ALU64, op.ALU64, op.ALU])
            if r.random() < 0.5:
                imm = r.choice([0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 63, 255, -1, -8, 0xffff])
                if o in (op.LSH, op.RSH, op.ARSH):
                    imm = r.randrange(0, 32 if cls == op.ALU else 64)
                if o in (op.DIV, op.MOD) and imm == 0:
                    imm = 3
                body.append(I(cls | o, reg, 0, 0, imm))
            else:
                body.append(I(cls | o | op.X, reg, reg2))
        elif k < 0.30:
            body.append(I(op.LDX | op.MEM | op.W, reg, 6, r.choice(ctx)))
        elif k < 0.42:
            off = -8 * r.randrange(1, 6)
            if r.random() < 0.5:
                body.append(I(op.STX | op.MEM | r.choice([op.DW, op.DW, op.W]), 10, reg, off))
            else:
                body.append(I(op.ST | op.MEM | op.DW, 10, 0, off, r.choice([0, 1, 5, -1])))
        elif k < 0.52:
            body.append(I(op.LDX | op.MEM | r.choice([op.DW, op.DW, op.W, op.B]), reg, 10,
                          -8 * r.randrange(1, 6)))
        elif k < 0.62:
            m = r.randrange(len(MAPS))
            if MAPS[m].kind == "data":
                body += [I(op.LD_IMM64, reg, op.PSEUDO_MAP_VALUE, 0, m),
                         I(0, 0, 0, 0, r.choice([0, 4, 8])),
                         I(op.LDX | op.MEM | op.W, reg2, reg, r.choice([0, 4, 8, 60, 64]))]
                continue
            body += [I(op.ST | op.MEM | op.DW, 10, 0, -8, r.choice([0, 1, 3, 7])),
                     I(op.ALU64 | op.MOV | op.X, 2, 10), I(op.ALU64 | op.ADD, 2, 0, 0, -8),
                     I(op.LD_IMM64, 1, op.PSEUDO_MAP_FD, 0, m), I(0),
                     I(op.CALL_OP, 0, 0, 0, 1)]
            if r.random() < 0.85:
                body.append(I(op.JMP | op.JEQ, 0, 0, 2 if r.random() < 0.8 else 1, 0))
            body.append(I(op.LDX | op.MEM | r.choice([op.W, op.DW]), reg if reg else 3, 0,
                          r.choice([0, 4, 8, 12, 16])))
            body.append(I(op.ALU64 | op.MOV | op.X, 7, 0))
        elif k < 0.80:
            o = r.choice([op.JEQ, op.JNE, op.JGT, op.JGE, op.JLT, op.JLE, op.JSGT, op.JSLT, op.JSET])
            cls = r.choice([op.JMP, op.JMP, op.JMP32])
            skip = r.randrange(0, 4)
            if r.random() < 0.6:
                body.append(I(cls | o, reg, 0, skip, r.choice([0, 1, 5, 10, 64, -1, 100])))
            else:
                body.append(I(cls | o | op.X, reg, reg2, skip))
        elif k < 0.86:
            body += [I(op.ALU64 | op.MOV, 8, 0, 0, 0), I(op.ALU64 | op.ADD, 8, 0, 0, 1),
                     I(op.ALU64 | op.ADD, reg, 0, 0, r.choice([1, 2])),
                     I(op.JMP | op.JLT, 8, 0, -3, r.choice([3, 5, 10]))]
        elif k < 0.93:
            body.append(I(op.CALL_OP, 0, 0, 0, r.choice([5, 7, 8, 14])))
        else:
            body += [I(op.ALU64 | op.MOV | op.X, reg, 10),
                     I(op.ALU64 | op.ADD, reg, 0, 0, -8 * r.randrange(1, 5))]
    body += [I(op.ALU64 | op.MOV, 0, 0, 0, r.choice([0, 1, 2])) if r.random() < 0.9
             else I(op.ALU64 | op.MOV, 1, 0, 0, 0), I(op.EXIT_OP)]
    # forward jumps must land inside the program and never on an LD_IMM64's second half
    n = len(body)
    out = []
    for i, x in enumerate(body):
        if ((x.code & 7) in (op.JMP, op.JMP32) and (x.code & 0xF0) not in (op.CALL, op.EXIT, op.JA)
                and x.off >= 0):
            tgt = min(i + 1 + x.off, n - 2)
            if tgt > 0 and body[tgt - 1].code == op.LD_IMM64:
                tgt += 1
            x = I(x.code, x.dst, x.src, tgt - i - 1, x.imm)
        out.append(x)
    return out


def mixed_programs(r: random.Random, n_shaped: int, n_raw: int) -> list:
    """``n_shaped`` shaped programs of random types, then ``n_raw`` raw ones, as
    (insns, prog_type) pairs (the draws in this order: a given seed gives the same list)."""
    progs = []
    for _ in range(n_shaped):
        pt = r.choice(PROG_TYPES)
        progs.append((shaped_program(r, pt), pt))
    for _ in range(n_raw):
        progs.append((raw_program(r), r.choice(PROG_TYPES)))
    return progs


def facts(prog, prog_type: str, log_level: int) -> tuple:
    """What a short cut must leave unchanged: verdict, message, processed insns, state
    counts, the log at ``log_level`` and whether the run hit an internal error."""
    v = verify(VerifierInput(prog, prog_type=prog_type, maps=MAPS, insn_limit=20000),
               log_level=log_level)
    return (v.accepted, v.error and v.error.message, v.processed_insns, v.total_states,
            v.peak_states, v.max_states_per_insn, v.log, v.internal_error)
