"""The hub's GC policy: survivors of a full collection are frozen (later full collections do
not walk them), new garbage cycles are still collected, and a periodic rescan unfreezes."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from cloud_hub.ops import gc_pauses


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def pauses() -> Iterator[gc_pauses.GcPauses]:
    gc_pauses.uninstall()
    installed = gc_pauses.install(rescan_s=3600)
    yield installed
    gc_pauses.uninstall()


def garbage_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_survivors_are_frozen_and_new_cycles_still_collected(
        pauses: gc_pauses.GcPauses) -> None:
    working_set = [Node() for _ in range(1000)]  # like the ledger cache: alive, long-lived
    gc.collect()
    assert pauses.full_collections == 1
    assert gc.get_freeze_count() >= len(working_set)  # the next full collection skips them
    dead = garbage_cycle()
    gc.collect()
    assert dead() is None  # a cycle made after the freeze is collected as usual
    assert gc_pauses.current() is pauses and pauses.max_full_ms >= pauses.last_full_ms >= 0


def test_a_rescan_puts_frozen_objects_back_under_collection(
        pauses: gc_pauses.GcPauses) -> None:
    gc.collect()
    assert gc.get_freeze_count() > 0
    pauses.rescan_s = 0  # the rescan is due
    gc.collect()
    assert pauses.rescans == 1 and gc.get_freeze_count() == 0
    pauses.rescan_s = 3600
    gc.collect()  # and the one after freezes again
    assert gc.get_freeze_count() > 0


def test_the_young_generation_is_collected_less_often_while_installed() -> None:
    def young_collections_while_making(n: int) -> int:
        seen: list[int] = []

        def count(phase: str, info: dict[str, int]) -> None:
            if phase == "start" and info["generation"] == 0:
                seen.append(1)

        gc.collect()
        gc.callbacks.append(count)
        try:
            kept = [Node() for _ in range(n)]
        finally:
            gc.callbacks.remove(count)
        del kept
        return len(seen)

    gc_pauses.uninstall()
    before = gc.get_threshold()
    assert young_collections_while_making(3000) >= 1  # CPython's 700 by default
    gc_pauses.install()
    try:
        assert gc.get_threshold() == (gc_pauses.YOUNG_THRESHOLD, *before[1:])
        assert young_collections_while_making(3000) == 0
    finally:
        gc_pauses.uninstall()
    assert gc.get_threshold() == before


def test_uninstall_leaves_nothing_frozen(pauses: gc_pauses.GcPauses) -> None:
    gc.collect()
    gc_pauses.uninstall()
    assert gc.get_freeze_count() == 0 and gc_pauses.current() is None
    assert pauses.callback not in gc.callbacks
