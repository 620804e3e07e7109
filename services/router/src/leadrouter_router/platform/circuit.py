"""A circuit per destination of the outbox: while a receiver is down, probe it
instead of backing off every message for it.

``failure_threshold`` retryable failures in a row (unreachable, 5xx, no answer in
time; a 429 is a rate signal, not a failure) open the destination's circuit. While
it is open the relay claims none of its messages (none is charged an attempt or a
back-off) except one probe at a time, every ``probe_interval_s`` with jitter; the
probe's success closes the circuit and the relay makes the destination's waiting
messages due at once. Any answer of the receiver (a success or a refusal) proves it
up and resets the count. The state is the relay's own (in memory): each replica
finds out by itself, within ``failure_threshold`` attempts. See
docs/decisions/0504-outbox-circuit-per-destination.md.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)

Destination = tuple[str, str]  # (kind, destination): one deliverer's one receiver

ChangeObserver = Callable[[Destination, bool], None]  # (destination, now open)


@dataclass(frozen=True, slots=True)
class CircuitPolicy:
    failure_threshold: int = 5
    probe_interval_s: float = 1.0


@dataclass(slots=True)
class _Circuit:
    failures: int = 0
    open: bool = False
    probing: bool = False
    probe_at: float = 0.0


@dataclass
class Circuits:
    """The circuits of one relay, by destination (created on first use)."""

    policy: CircuitPolicy = field(default_factory=CircuitPolicy)
    clock: Callable[[], float] = time.monotonic
    on_change: ChangeObserver | None = None
    _circuits: dict[Destination, _Circuit] = field(default_factory=dict)

    def is_open(self, destination: Destination) -> bool:
        circuit = self._circuits.get(destination)
        return circuit is not None and circuit.open

    def open_destinations(self) -> list[Destination]:
        return [d for d, circuit in self._circuits.items() if circuit.open]

    def probes_due(self) -> list[Destination]:
        """Open destinations whose next probe may go now: each is marked probing until
        :meth:`probed` says how it went (one probe at a time)."""
        now = self.clock()
        due = [
            d for d, c in self._circuits.items() if c.open and not c.probing and c.probe_at <= now
        ]
        for destination in due:
            self._circuits[destination].probing = True
        return due

    def probed(self, destination: Destination) -> None:
        """The probe ended (its result went to :meth:`succeeded` or :meth:`failed`), or
        found no message to send: the next one after the interval."""
        circuit = self._circuits.get(destination)
        if circuit is not None:
            circuit.probing = False
            circuit.probe_at = self.clock() + self._interval()

    def seconds_to_next_probe(self) -> float | None:
        waiting = [c.probe_at for c in self._circuits.values() if c.open and not c.probing]
        return max(0.0, min(waiting) - self.clock()) if waiting else None

    def succeeded(self, destination: Destination) -> bool:
        """The receiver answered; True if that closed its circuit."""
        circuit = self._circuits.get(destination)
        if circuit is None:
            return False
        circuit.failures = 0
        if not circuit.open:
            return False
        circuit.open = circuit.probing = False
        self._changed(destination, now_open=False)
        return True

    def failed(self, destination: Destination) -> None:
        """A retryable failure: the circuit opens at the threshold."""
        circuit = self._circuits.setdefault(destination, _Circuit())
        circuit.failures += 1
        if not circuit.open and circuit.failures >= self.policy.failure_threshold:
            circuit.open = True
            circuit.probe_at = self.clock() + self._interval()
            self._changed(destination, now_open=True)

    def _interval(self) -> float:
        # Jitter, so that replicas that opened together do not probe together.
        return self.policy.probe_interval_s * random.uniform(0.8, 1.2)  # noqa: S311

    def _changed(self, destination: Destination, *, now_open: bool) -> None:
        kind, name = destination
        if now_open:
            log.warning("outbox.circuit_opened", kind=kind, destination=name)
        else:
            log.info("outbox.circuit_closed", kind=kind, destination=name)
        if self.on_change is not None:
            self.on_change(destination, now_open)
