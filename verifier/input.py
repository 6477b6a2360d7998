"""What the verifier is given: the analogue of a ``BPF_PROG_LOAD`` request.

:class:`VerifierInput` carries the instructions (slot layout, LD_IMM64 = two
``isa.Insn``), the program type, license, BTF with ``func_info`` /
``line_info``, the maps the program refers to, and (for the stack-argument
and kfunc work) kfunc descriptions.

Map references follow the kernel's ``fd_array`` convention with the map list
as the "fd table": an LD_IMM64 with ``src = BPF_PSEUDO_MAP_FD`` or
``BPF_PSEUDO_MAP_IDX`` and ``imm = i`` loads ``maps[i]``; ``src =
BPF_PSEUDO_MAP_VALUE`` / ``BPF_PSEUDO_MAP_IDX_VALUE`` with ``imm = i`` and the
second slot's ``imm = off`` is the address of byte ``off`` of ``maps[i]``'s
value (global data).  This is exactly what ``pipeline.loader`` produces
(``PSEUDO_MAP_IDX*`` with indices into ``Object.map_table``).

The pipeline builds a VerifierInput from its loaded Object; tests build them
directly.  Nothing here imports pipeline.

kfunc calls: a call's ``imm`` is the kfunc's FUNC id in the kernel BTF, which
comes as plain data in ``kernel_btf`` (a ``btf.kernel.KernelBtf`` with each
kfunc's ``KF_*`` flags); ``kfunc_prog_types`` maps a kfunc name to the
program types it is registered for (empty: no restriction); ``kfuncs`` may
name the kfunc of a call site (insn index -> name).  ``target_btf`` is the BTF of the
kernel the program is loaded for (what libbpf resolves ``tp_btf/`` and ``iter/`` attach
targets in): tracing contexts and kernel-object pointers are typed by it.  Load knobs:
``prog_flags`` (``BPF_F_TEST_STATE_FREQ``: a checkpoint at every prune
point), ``insn_limit`` (the processed-instruction budget; tests lower it, the
message keeps the kernel's form) and ``nr_cpu_ids`` (bpf_get_smp_processor_id's
range).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from btf.kernel import KernelBtf
from isa import Insn
from isa.uapi import BPF_F_TEST_STATE_FREQ, MAP_TYPES, PROG_FLAGS

BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000


BPF_F_RDONLY_PROG = 1 << 7
BPF_F_WRONLY_PROG = 1 << 8
_BPF_F_SLEEPABLE = PROG_FLAGS["BPF_F_SLEEPABLE"]


@dataclass(frozen=True, eq=False)
class MapDesc:
    """One map as the verifier sees it (``struct bpf_map`` fields that matter).

    ``kind`` is "map" for ordinary maps and "data" for a global-data section
    (.data/.bss/.rodata become single-element array maps).  ``frozen`` with
    ``BPF_F_RDONLY_PROG`` in ``flags`` is libbpf's .rodata: the program may not
    write it and constant-offset loads read ``initial_value``.
    Identity matters (eq=False): two maps with equal fields are still two maps.
    """
    name: str
    map_type: str
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    frozen: bool = False
    initial_value: bytes | None = None
    kind: str = "map"
    inner: "MapDesc | None" = None
    has_btf: bool = False          # key/value types described by BTF (BTF-defined maps)
    # special fields of the value type: ("bpf_spin_lock" | "bpf_timer" | ..., offset, size)
    value_fields: tuple = ()
    # the value's type in the program BTF: ((type id, offset, VAR id or 0), ...) - one entry
    # per variable of a data section, one (value type, 0, 0) for a BTF-defined map
    value_btf: tuple = ()

    def field_off(self, name: str) -> int:
        for kind, off, _size in self.value_fields:
            if kind == name:
                return off
        return -1

    @property
    def type_id(self) -> int:
        return MAP_TYPES.get(self.map_type, -1)

    @property
    def rdonly_prog(self) -> bool:
        return bool(self.flags & BPF_F_RDONLY_PROG)

    @property
    def wronly_prog(self) -> bool:
        return bool(self.flags & BPF_F_WRONLY_PROG)


@dataclass(frozen=True)
class LineInfo:
    """One line_info record: the source line shown before instruction ``insn``."""
    insn: int
    text: str
    file: str = ""
    line: int = 0
    col: int = 0


@dataclass
class VerifierInput:
    insns: list[Insn]
    prog_type: str = "socket_filter"
    maps: list[MapDesc] = field(default_factory=list)
    license: str = "GPL"
    name: str = ""
    btf: Any = None                                   # btf.Btf of the program (or None)
    func_info: list[tuple[int, int]] = field(default_factory=list)  # (insn, FUNC type id)
    line_info: list[LineInfo] = field(default_factory=list)
    expected_attach_type: str | None = None           # e.g. "cgroup_inet_egress"; struct_ops:
    #                                                   "<struct>:<member>" (the member index)
    attach: str | None = None                         # SEC() suffix (cgroup_skb/egress...)
    kfuncs: dict[int, Any] = field(default_factory=dict)  # call insn index -> kfunc model
    jit_requested: bool = True
    kernel_btf: KernelBtf | None = None               # the kernel side of kfunc calls
    # the BTF of the kernel the program is loaded for (libbpf's target BTF, e.g.
    # /sys/kernel/btf/vmlinux as a btf.Btf): the types of BTF-typed contexts (tp_btf, iter)
    # and of kernel objects helpers return; None: such programs are refused by name
    target_btf: Any = None
    # struct_ops programs: (the kernel struct's id in target_btf, the member's index), the
    # attach_btf_id and expected_attach_type libbpf sets from the struct_ops map
    struct_ops: tuple[int, int] | None = None
    kfunc_prog_types: dict[str, frozenset[str]] = field(default_factory=dict)
    insn_limit: int = BPF_COMPLEXITY_LIMIT_INSNS
    nr_cpu_ids: int = 2
    prog_flags: int = 0                               # BPF_F_* of BPF_PROG_LOAD
    # The stack-argument kernel (bpf-next 2026: liveness.c's static analysis, states.c)
    # turns dead registers NOT_INIT at every prune point, so checkpoints and level-2 state
    # lines omit them, and its argument-tracking data flow logs "arg JOIN ..." lines at
    # level 2.  Older kernels (6.18, this machine's) do neither: False reproduces their logs.
    static_liveness: bool = True
    # ``src = BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE``: True, ``imm`` indexes ``maps`` (the
    # raw BPF_PROG_LOAD convention of tests); False, ``imm`` is a file descriptor nobody
    # opened - the pipeline's linker turns every relocated map reference into
    # ``BPF_PSEUDO_MAP_IDX*``, so one left with an fd had no relocation (libbpf passes it
    # through and the kernel refuses the fd)
    map_fds: bool = True

    @property
    def gpl_compatible(self) -> bool:
        """kernel: prog->gpl_compatible (license_is_gpl_compatible)."""
        return self.license in ("GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                                "Dual MIT/GPL", "Dual MPL/GPL")

    @property
    def test_state_freq(self) -> bool:
        """``BPF_F_TEST_STATE_FREQ``: a checkpoint at every prune point."""
        return bool(self.prog_flags & BPF_F_TEST_STATE_FREQ)

    @property
    def sleepable(self) -> bool:
        """``BPF_F_SLEEPABLE`` (libbpf: the ``*.s`` and ``syscall`` sections)."""
        return bool(self.prog_flags & _BPF_F_SLEEPABLE)

    def map_at(self, index: int) -> MapDesc | None:
        if 0 <= index < len(self.maps):
            return self.maps[index]
        return None
