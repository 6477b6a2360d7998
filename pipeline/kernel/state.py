"""What a kfunc implementation sees besides its arguments: memory and kernel-owned objects.

Kfunc implementations are called as ``impl(vm, *args)`` (the convention of
:mod:`pipeline.interp`), where ``vm`` is any executor object with a
``memory`` attribute offering ``load(addr, size)``, ``store(addr, size,
value)``, ``read(addr, size)``, ``write(addr, data)`` and ``map(name, data)
-> region-with-.base`` (:class:`pipeline.vm.Memory` does).  Memory access
goes through those calls only, so a bad pointer from a program is the
executor's reported fault, never a Python crash.

:class:`KernelState` holds what the kernel itself owns during a run: objects
it hands out (mapped into the executor's memory once, like a kernel static),
warnings (a refcount dropping to zero, ...) and the trace of kfunc calls.
It hangs off the executor as ``vm.kernel_state``, created on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isa.ints import U32, U64, s32, s64  # noqa: F401 - what kfunc modules use from here


def load(vm, addr: int, size: int) -> int:
    return vm.memory.load(addr & U64, size)


def load_s32(vm, addr: int) -> int:
    return s32(load(vm, addr, 4))


def load_s64(vm, addr: int) -> int:
    return s64(load(vm, addr, 8))


def store(vm, addr: int, size: int, value: int) -> None:
    vm.memory.store(addr & U64, size, value)


def read(vm, addr: int, size: int) -> bytes:
    return vm.memory.read(addr & U64, size) if size > 0 else b""


@dataclass(frozen=True)
class KfuncCall:
    name: str
    args: tuple[int, ...]
    ret: int


@dataclass
class KernelState:
    """Kernel-owned objects, warnings and the kfunc call trace of one executor."""
    memory: object
    objects: dict[str, int] = field(default_factory=dict)   # name -> address
    warnings: list[str] = field(default_factory=list)
    calls: list[KfuncCall] = field(default_factory=list)

    @classmethod
    def of(cls, vm) -> "KernelState":
        st = getattr(vm, "kernel_state", None)
        if st is None:
            st = cls(vm.memory)
            vm.kernel_state = st
        return st

    def object(self, name: str, init) -> int:
        """Address of the kernel object ``name``, mapped on first use.

        ``init`` is the initial contents (bytes) or a callable ``init(addr) ->
        bytes`` for objects that point to themselves.
        """
        addr = self.objects.get(name)
        if addr is None:
            data = init if isinstance(init, (bytes, bytearray)) else None
            size = len(data) if data is not None else len(init(0))
            region = self.memory.map(f"kernel:{name}", bytearray(size))
            addr = region.base
            self.memory.write(addr, data if data is not None else init(addr))
            self.objects[name] = addr
        return addr
