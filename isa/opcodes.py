"""eBPF opcode constants (RFC 9669 plus the cpu v4 and kernel extensions).

One 8-bit ``code`` byte is split three ways depending on the class:
ALU/JMP classes use ``op | source | class``; load/store classes use
``mode | size | class``.  Names follow the kernel's uapi ``BPF_*`` macros so a
reader can cross-check against ``include/uapi/linux/bpf.h``.
"""

# Instruction classes (low 3 bits).
LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64 = range(8)

# Source operand (bit 3) for ALU/JMP classes.
K = 0x00  # immediate
X = 0x08  # register

# Sizes (bits 3-4) for load/store classes.
W, H, B, DW = 0x00, 0x08, 0x10, 0x18
SIZE_BYTES = {W: 4, H: 2, B: 1, DW: 8}

# Modes (bits 5-7) for load/store classes.
IMM, ABS, IND, MEM, MEMSX, ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xC0

# ALU operations (bits 4-7).
ADD, SUB, MUL, DIV, OR, AND, LSH, RSH = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
NEG, MOD, XOR, MOV, ARSH, END = 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0

# END (byte swap) direction, carried in the source bit.
TO_LE, TO_BE = 0x00, 0x08

# Jump operations (bits 4-7).
JA, JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
CALL, EXIT, JLT, JLE, JSLT, JSLE, JCOND = 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0
COND_JUMPS = (JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE)

# JCOND sub-kinds (src_reg).
MAY_GOTO = 0

# Atomic operations (imm field of STX|ATOMIC).
FETCH = 0x01
XCHG = 0xE0 | FETCH
CMPXCHG = 0xF0 | FETCH
LOAD_ACQ = 0x100
STORE_REL = 0x110
ATOMIC_RMW_OPS = (ADD, OR, AND, XOR)

# Pseudo sources of LD_IMM64 (src_reg).
PSEUDO_MAP_FD = 1
PSEUDO_MAP_VALUE = 2
PSEUDO_BTF_ID = 3
PSEUDO_FUNC = 4
PSEUDO_MAP_IDX = 5
PSEUDO_MAP_IDX_VALUE = 6

# Pseudo sources of CALL (src_reg).
CALL_HELPER = 0
PSEUDO_CALL = 1        # BPF-to-BPF call, imm = relative slot offset
PSEUDO_KFUNC_CALL = 2  # kfunc, imm = BTF id

# Full opcodes used often enough to name.
LD_IMM64 = LD | IMM | DW  # 0x18, occupies two 8-byte slots
CALL_OP = JMP | CALL      # 0x85
CALLX_OP = JMP | CALL | X  # 0x8d
EXIT_OP = JMP | EXIT      # 0x95

# Registers.
R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 = range(11)
FP = R10
PARAMS = 11  # BPF_REG_PARAMS: base of the stack-argument area, only in memory operands


def alu_op(code: int) -> int:
    return code & 0xF0


def src_bit(code: int) -> int:
    return code & 0x08


def mem_size(code: int) -> int:
    return code & 0x18


def mem_mode(code: int) -> int:
    return code & 0xE0
