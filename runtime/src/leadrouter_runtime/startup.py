"""What a service's process does around its start-up."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The garbage collector off while a service imports and builds its app, then what
    was built frozen out of its way.

    A start makes some 240,000 objects that live as long as the process (modules,
    classes, schemas, routes); the collector's passes over them while they are made
    were a sixth of a restarted router's imports (docs/performance.md, "Restart to
    consuming"). Frozen (https://docs.python.org/3/library/gc.html#gc.freeze), no
    later collection walks them either; the little garbage the imports leave (some
    2,000 objects) is kept with them.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
