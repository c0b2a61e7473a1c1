"""Python's cycle collector, paused while a stage makes many objects that form no cycles.

Reading, scoring and writing each make hundreds of thousands to millions of
small tuples, strings and lists and keep most of them to the end.  Each
allocation burst makes the cycle collector walk all that was made before,
again and again, to find nothing: a tenth to a fifth of a stage's time for a
large State.  Reference counting frees everything as usual while it is paused.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the ``with`` block (it runs again after, if it ran before)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
