"""How long, how hard and which faults: a run is its profile and its seed."""

from dataclasses import dataclass, replace

# Faults on the processes, one at a time (each waits for the system to be back).
PROCESS_FAULTS = (
    "kill_scorer",
    "kill_router",
    "kill_broker",
    "restart_postgres",
    "rebalance",
)
# The CRM failing for a while, with re-assignments (reject callbacks) meanwhile;
# these overlap with the process faults.
CRM_FAULTS = ("crm_error", "crm_hang", "crm_slow", "crm_rate_limit")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    seed: int
    rate_per_s: float
    load_s: float
    """Load and faults run at least this long, and on until ``min_faults``."""
    max_load_s: float
    """The hard bound of the load phase, faults reached or not."""
    min_faults: int
    min_process_faults: int
    """Of which on the processes (a deck of them has every kind)."""
    gap_s: tuple[float, float]
    """Pause between two faults of a lane, drawn uniformly."""
    crm_window_s: tuple[float, float]
    rejects_per_window: int
    settle_s: float
    """After the faults end: the deadline for everything to be delivered."""
    share_invalid: float = 0.05
    share_same_person: float = 0.03
    share_sla: float = 0.04
    weights: tuple[tuple[str, int], ...] = (
        ("kill_scorer", 3),
        ("kill_router", 3),
        ("kill_broker", 1),
        ("restart_postgres", 1),
        ("rebalance", 1),
    )
    """How often each process fault comes up in a deck of them."""

    def seeded(self, seed: int | None) -> "Profile":
        return self if seed is None else replace(self, seed=seed)


PROFILES = {
    # In `make test`: a few kills of each kind in about a minute of load.
    "short": Profile(
        name="short",
        seed=7,
        rate_per_s=10,
        load_s=60,
        max_load_s=300,
        min_faults=8,
        min_process_faults=5,
        gap_s=(2, 4),
        crm_window_s=(6, 10),
        rejects_per_window=10,
        settle_s=150,
        weights=tuple((kind, 1) for kind in PROCESS_FAULTS),
    ),
    # `make chaos`: at least 100 faults under steady load.
    "long": Profile(
        name="long",
        seed=2026,
        rate_per_s=20,
        load_s=900,
        max_load_s=1800,
        min_faults=105,
        min_process_faults=30,
        gap_s=(2, 6),
        crm_window_s=(5, 15),
        rejects_per_window=15,
        settle_s=300,
    ),
}
