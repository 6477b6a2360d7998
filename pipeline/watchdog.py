"""One wall-clock watchdog thread for every unicorn emulation in the process.

Kernel counterpart: none (a BPF program in the kernel is bounded by the verifier and, for
``BPF_PROG_TEST_RUN``, by signal checks between repeats); this bounds
:mod:`pipeline.exec_unicorn`'s ``emu_start``, which runs without a per-instruction hook.
"""

from __future__ import annotations

import os
import threading
import time


class _Armed:
    def __init__(self, dog: "Watchdog", token: int):
        self._dog, self._token = dog, token

    def cancel(self) -> None:
        self._dog.cancel(self._token)


class Watchdog:
    """One daemon thread that calls ``vm.uc.emu_stop()`` (allowed from another thread) for
    every armed executor whose deadline has passed, setting ``vm.watchdog_fired``.  Arming
    costs a dict entry, not a thread start (which takes milliseconds on a busy host)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, object]] = {}
        self._seq = 0
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, vm, timeout: float) -> _Armed:
        with self._cond:
            if self._thread is None or self._pid != os.getpid():   # none yet, or forked
                self._armed.clear()
                self._thread = threading.Thread(target=self._loop, name="unicorn-watchdog",
                                                daemon=True)
                self._pid = os.getpid()
                self._thread.start()
            self._seq += 1
            self._armed[self._seq] = (time.monotonic() + timeout, vm)
            self._cond.notify()
            return _Armed(self, self._seq)

    def cancel(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _loop(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for token, (deadline, vm) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        vm.watchdog_fired = True
                        vm.uc.emu_stop()
                nxt = min((d for d, _ in self._armed.values()), default=None)
                self._cond.wait(None if nxt is None else max(0.0, nxt - now))


WATCHDOG = Watchdog()
