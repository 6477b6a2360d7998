"""BPF -> x86-64 register assignment: the Linux x86 JIT's map.

BPF r1-r5 land in the SysV argument registers (rdi, rsi, rdx, rcx, r8), so a
BPF call needs no argument shuffling, and r0 is rax, the SysV return
register.  r6-r9 are callee-saved on both sides (rbx, r13, r14, r15), r10 is
the frame pointer rbp.  Argument 6 of the stack-argument ABI travels in r9,
the sixth SysV argument register; r10 and r11 are JIT scratch registers
(SysV caller-saved, never holding BPF state across an instruction).
"""

from __future__ import annotations

from . import x86_encode as x

# BPF r0..r10 -> x86 register number
BPF_TO_X86 = (x.RAX, x.RDI, x.RSI, x.RDX, x.RCX, x.R8, x.RBX, x.R13, x.R14, x.R15, x.RBP)

ARG6 = x.R9           # stack argument slot 1 (r11 -/+ 8), both directions
AUX = x.R11           # scratch within one BPF instruction (the kernel's AUX_REG)
AX = x.R10            # second scratch (the kernel's BPF_REG_AX)

# BPF r6..r9 -> the callee-saved x86 registers a function must preserve when it uses them
CALLEE_SAVED = {6: x.RBX, 7: x.R13, 8: x.R14, 9: x.R15}


def reg(bpf_reg: int) -> int:
    """The x86 register holding BPF register ``bpf_reg`` (0..10)."""
    return BPF_TO_X86[bpf_reg]
