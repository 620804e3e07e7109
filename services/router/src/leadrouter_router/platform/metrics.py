"""The outbox relay's own metrics: how many destinations' circuits are open, by kind."""

from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Gauge

from leadrouter_router.platform.circuit import Destination


class OutboxMetrics:
    def __init__(
        self, registry: CollectorRegistry, kinds: tuple[str, ...] = ("crm", "kafka")
    ) -> None:
        self.circuits_open = Gauge(
            "router_outbox_circuits_open",
            "Destinations whose circuit is open (down: probed, not tried), by kind (crm, kafka).",
            ["kind"],
            registry=registry,
        )
        self._open: set[Destination] = set()
        for kind in kinds:
            self.circuits_open.labels(kind=kind)  # zeros before the first outage

    def circuit_changed(self, destination: Destination, now_open: bool) -> None:
        if now_open:
            self._open.add(destination)
        else:
            self._open.discard(destination)
        tally = Tally(kind for kind, _ in self._open)
        self.circuits_open.labels(kind=destination[0]).set(tally[destination[0]])
