"""The platform adapters: every module of ``webhooks/platforms/`` that declares an
``ADAPTER`` (``webhooks.adapters.PlatformAdapter``), by source. A new platform is one
module there; its route, OpenAPI entry, metrics labels and replay mapping follow."""

import importlib
import pkgutil
from functools import cache

from leadrouter_scorer.webhooks.adapters import Mapped, PlatformAdapter, PlatformLookups
from leadrouter_scorer.webhooks.quarantine import Delivery

_PACKAGE = "leadrouter_scorer.webhooks.platforms"


@cache
def adapters() -> dict[str, PlatformAdapter]:
    package = importlib.import_module(_PACKAGE)
    found: dict[str, PlatformAdapter] = {}
    for module in pkgutil.iter_modules(package.__path__):
        adapter = getattr(importlib.import_module(f"{_PACKAGE}.{module.name}"), "ADAPTER", None)
        if isinstance(adapter, PlatformAdapter):
            if adapter.source in found:
                raise RuntimeError(f"two platform adapters for {adapter.source!r}")
            found[adapter.source] = adapter
    # Our own format first, then by name: the order of the OpenAPI document.
    return dict(sorted(found.items(), key=lambda item: (item[0] != "generic", item[0])))


def sources() -> tuple[str, ...]:
    return tuple(adapters())


async def submissions(delivery: Delivery, lookups: PlatformLookups) -> Mapped:
    """From an authentic delivery to the submissions it carries (or why it is no lead),
    the same whether it has just come (the webhook route) or comes back from the
    quarantine (the ``webhooks.raw`` consumer); raises what cannot be mapped."""
    adapter = adapters().get(delivery.source)
    if adapter is None:
        raise LookupError(f"no mapping for source {delivery.source!r}")
    return await adapter.map(delivery, lookups)
