"""compute_live_registers' one backward pass gives what its general data flow gives.

A program without a backward edge takes a single pass in index order, which reads most
instructions' effect on the live set from a per-opcode table (liveness._FLOW: kill the
destination, read the source...).  The oracle is the general code: the iterated data
flow over the successor table in postorder with use/def sets from ``_insn_use_def``, which
the live-kernel log tests hold to the kernel's "Live regs before insn" lines.  Every
fixed-seed random program that passes the structure checks is analysed both ways and
every instruction's ``live_regs_before`` must agree; a wrong table entry (a kept
destination, a forgotten source) changes some program's sets.
"""

from __future__ import annotations

import sys
from pathlib import Path

from verifier import VerifierInput, cfg, liveness
from verifier.env import Env
from verifier.errors import VerifierError
from verifier.log import Log

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from random_progs import MAPS, PROG_TYPES, raw_program, shaped_program  # noqa: E402
from seeds import rng  # noqa: E402


def _structured(prog, pt):
    """An Env after check_cfg (the passes compute_live_registers runs after), or None."""
    env = Env(VerifierInput(prog, prog_type=pt, maps=MAPS), Log(0))
    try:
        cfg.add_subprogs(env)
        cfg.check_subprogs(env)
        cfg.resolve_pseudo_ldimm64(env)
        cfg.check_cfg(env)
    except VerifierError:
        return None
    return env


def _live(env, one_pass: bool) -> list[int]:
    """live_regs_before per instruction (an LD_IMM64's second slot, never verified, left out)."""
    env.live_regs_before[:] = [-1] * env.n
    env.loop_free = one_pass
    liveness.compute_live_registers(env)
    second = {i + 1 for i in env.ldimm_insns}
    return [v for i, v in enumerate(env.live_regs_before) if i not in second]


def test_one_pass_matches_the_general_data_flow():
    r, where = rng(20261207)
    checked = 0
    for k in range(3000):
        pt = r.choice(PROG_TYPES)
        prog = shaped_program(r, pt) if k % 3 == 0 else raw_program(r)
        env = _structured(prog, pt)
        if env is None or not env.loop_free:
            continue
        general = _live(env, False)
        assert _live(env, True) == general, f"{where}, program {k}: {prog}"
        checked += 1
    assert checked > 500, f"{where}: only {checked} loop-free programs passed check_cfg"


def test_the_table_covers_the_common_opcodes():
    # loads, stores, ALU by constant and by register, mov, LD_IMM64 take the table;
    # atomics, LD_ABS/LD_IND and jumps the general use/def
    kinds = liveness._FLOW
    assert kinds[0x61] == kinds[0xbf] == liveness._KILL_D_USE_S   # ldxw, mov64 r, r
    assert kinds[0x07] == kinds[0x62] == liveness._USE_D          # add64 r, imm; stw
    assert kinds[0xb7] == kinds[0x18] == liveness._KILL_D         # mov64 r, imm; lddw
    assert kinds[0x0f] == kinds[0x7b] == liveness._USE_DS         # add64 r, r; stxdw
    assert kinds[0xdb] == kinds[0x20] == kinds[0x05] == kinds[0x85] == 0
