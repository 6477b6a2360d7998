"""Timers (helpers 169-172): callbacks fire after the program returns, in virtual-time order,
on the engine that ran the program, with (map, key, value) as bpf_timer_cb passes them."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline
from pipeline.kernel import INCLUDE_DIR
from tests.support.skips import need_engine

DATA = Path(__file__).resolve().parents[1] / "data"
ENGINES = ["unicorn", "interp", "native"]


@pytest.fixture(scope="module")
def timers_obj():
    return pipeline.build(DATA / "runtime" / "timers.c", include=[INCLUDE_DIR])


@pytest.fixture(scope="module")
def stack_arg_obj():
    return pipeline.build(DATA / "stack_arg" / "bpf2bpf_calls.c", include=[INCLUDE_DIR])


@pytest.mark.parametrize("engine", ENGINES)
def test_stack_arg_selftest_async_callback_gives_550(stack_arg_obj, engine):
    """prog_tests/stack_arg.c's async callback case (tests/data/stack_arg/README.md): the
    timer callback calls a 10-argument function and stores 10 * 55."""
    need_engine(engine)
    res = pipeline.run(stack_arg_obj, "timer_cb_many_args", data=bytes(54), engine=engine)
    assert res.retval == 0
    assert res.globals["timer_sum"] == 550


@pytest.mark.parametrize("engine", ENGINES)
def test_callbacks_fire_in_virtual_time_order_after_the_run(timers_obj, engine):
    need_engine(engine)
    res = pipeline.run(timers_obj, "timers", engine=engine)
    g = res.globals
    assert res.retval == 0                     # nothing fired while the program ran
    assert g["order"] == 51234                 # 500 ns (hash), 1, 2, 3 us, then the re-arm
    assert g["keys"] == 1202                   # array keys 1, 2, 0, then 2 again
    assert g["hash_key"] == 77                 # a hash map's callback gets the element's key
    assert g["fires"] == 5
    assert g["init_again"] == -16              # -EBUSY
    assert g["start_no_cb"] == -22             # -EINVAL: no callback yet
    assert g["cancel_self"] == -35             # -EDEADLK from its own callback


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cancelled_timer_does_not_fire(timers_obj, engine):
    need_engine(engine)
    res = pipeline.run(timers_obj, "cancelled", engine=engine)
    assert res.globals["cancel_ret"] == 1      # it was armed
    assert res.globals["fires"] == 0


def test_map_update_frees_the_timer():
    """bpf_obj_free_fields: updating an element cancels and zeroes its timer."""
    from types import SimpleNamespace

    from pipeline.interp import Memory
    from pipeline.kernel import helpers, timers
    from pipeline.kernel.maps import MapObj
    mem = Memory()
    vals = mem.map("values", bytearray(64), base=0x1000)
    keyr = mem.map("key", bytearray(24), base=0x2000)
    m = MapObj("arr", "array", 4, 24, 2, handle=0x3000, values=vals.base)
    run = SimpleNamespace(timers={}, timer_seq=0, timer_running=None, clock=0,
                          map_at=lambda h: m)
    vm = SimpleNamespace(memory=mem)
    assert timers.timer_init(run, vm, vals.base + 24, m.handle, 1) == 0
    assert timers.timer_set_callback(run, vm, vals.base + 24, 0x99) == 0
    assert timers.timer_start(run, vm, vals.base + 24, 5, 0) == 0
    mem.store(keyr.base, 4, 1)
    assert helpers.map_update_elem(run, vm, m.handle, keyr.base, keyr.base, 0) == 0
    assert run.timers == {}
    assert mem.read(vals.base + 24, 16) == bytes(16)
