"""The figures of one benchmark run, their medians over rounds, and the table."""

import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One row: a rate (leads/s) or a latency (p50/p95/p99 ms), with what it is measured
    against (``baseline``: another figure's key in the same run) and what it cost."""

    key: str
    label: str
    rate: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    baseline: str | None = None
    cpu_s_per_1000: float | None = None
    peak_rss_mb: float | None = None
    note: str = ""

    def text(self) -> str:
        if self.rate is not None:
            return f"{self.rate:,.0f} leads/s"
        if self.p50_ms is not None:
            p95, p99 = self.p95_ms or 0, self.p99_ms or 0
            return f"p50 {self.p50_ms:,.0f} · p95 {p95:,.0f} · p99 {p99:,.0f} ms"
        return "-"


NUMBERS = ("rate", "p50_ms", "p95_ms", "p99_ms", "cpu_s_per_1000", "peak_rss_mb")


def median_of(rounds: Sequence[Sequence[Figure]]) -> list[Figure]:
    """Per key, the median of each number over the rounds that measured it (peak RSS:
    the largest); keys in the order the first round gave them."""
    by_key: dict[str, list[Figure]] = {}
    for figures in rounds:
        for figure in figures:
            by_key.setdefault(figure.key, []).append(figure)
    out = []
    for same in by_key.values():
        values: dict[str, Any] = {}
        for name in NUMBERS:
            found = [getattr(f, name) for f in same if getattr(f, name) is not None]
            pick = max if name == "peak_rss_mb" else statistics.median
            values[name] = pick(found) if found else None
        out.append(replace(same[0], **values))
    return out


def ratio(figure: Figure, baseline: Figure | None) -> str:
    if baseline is None or figure.rate is None or not baseline.rate:
        return ""
    return f"{share(figure, baseline)} of {baseline.label}"


def cell(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def table(figures: Sequence[Figure]) -> list[str]:
    by_key = {f.key: f for f in figures}
    lines = [
        "| Measure | Figure | Against its baseline (same run) | CPU-s / 1,000 leads "
        "| Peak RSS MB |",
        "|---|---|---|--:|--:|",
    ]
    for f in figures:
        base = by_key.get(f.baseline) if f.baseline else None
        label = f.label + (f" ({f.note})" if f.note else "")
        lines.append(
            f"| {label} | {f.text()} | {ratio(f, base)} | {cell(f.cpu_s_per_1000, 2)} "
            f"| {cell(f.peak_rss_mb, 0)} |"
        )
    return lines


def comparison(before: Sequence[Figure], after: Sequence[Figure]) -> list[str]:
    """Before and after side by side: rates as after/before, latencies as before/after
    (both > 1 when after is better); each rate's share of its same-run baseline before
    and after (what carries across load), CPU per lead before and after."""
    old, new = {f.key: f for f in before}, {f.key: f for f in after}
    lines = [
        "| Measure | Before | After | Better by | Of its baseline, before → after "
        "| CPU-s / 1,000 before → after |",
        "|---|---|---|--:|---|---|",
    ]
    for f in after:
        b = old.get(f.key)
        if b is None:
            continue
        if f.rate and b.rate:
            better = f"{f.rate / b.rate:.2f}x"
        elif f.p99_ms and b.p99_ms:
            better = f"{b.p99_ms / f.p99_ms:.2f}x (p99)"
        else:
            better = ""
        shares = ""
        if f.baseline and f.baseline in old and f.baseline in new:
            was, now = share(b, old[f.baseline]), share(f, new[f.baseline])
            if was and now:
                shares = f"{was} → {now}"
        cpu = (
            f"{b.cpu_s_per_1000:.2f} → {f.cpu_s_per_1000:.2f}"
            if b.cpu_s_per_1000 is not None and f.cpu_s_per_1000 is not None
            else ""
        )
        lines.append(f"| {f.label} | {b.text()} | {f.text()} | {better} | {shares} | {cpu} |")
    return lines


def share(figure: Figure, baseline: Figure) -> str:
    if figure.rate is None or not baseline.rate:
        return ""
    value = figure.rate / baseline.rate
    return f"{value:.2%}" if value < 0.1 else f"{value:.2f}x"


@dataclass(frozen=True)
class Run:
    """A run's figures and what they were measured under (saved as JSON, so that a later
    run can be shown beside it)."""

    commit: str
    when: str
    machine: str
    load_before: str
    load_after: str
    conditions: str
    figures: list[Figure]

    def heading(self) -> str:
        return (
            f"Run {self.when} on commit `{self.commit}`, {self.machine}; load average "
            f"(1, 5, 15 min) {self.load_before} before, {self.load_after} after; "
            f"{self.conditions}."
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "figures": [asdict(f) for f in self.figures]}

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> "Run":
        names = {f.name for f in fields(Figure)}
        figures = [
            Figure(**{k: v for k, v in row.items() if k in names}) for row in saved["figures"]
        ]
        return cls(**{**saved, "figures": figures})


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> str:
    cores = os.cpu_count()
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{cores} cores" + (f" ({model})" if model else "")
