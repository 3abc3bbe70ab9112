"""The cyclic garbage collector held off while an import or an export goes through its rows.

An import creates a few objects per cell (rows, parsed values, plans), an export a few per cell
written: the collector, triggered every 700 allocations, would scan the whole heap (the store
layer's modules and objects included) again and again (a third of a 10,000-row import's time
was spent there, measured). They hold no reference cycles that outlive the work, and are freed
by reference counting, so the collector is paused for it and resumed after it (paused once
however many run at the same time, resumed when the last one ends).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused (reference counting still frees)."""
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
