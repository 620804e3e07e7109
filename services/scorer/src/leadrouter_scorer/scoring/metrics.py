"""What ops see of the scoring consumer at ``GET /metrics``.

Names follow https://prometheus.io/docs/practices/naming/ (``scorer_`` prefix,
``_total`` counters, base units in seconds). Records in and out per topic and
partition, dead letters, batch time and consumer lag are the runtime's
(``leadrouter_runtime.kafka_metrics``, ``leadrouter_runtime.lag``) under ``scorer_``.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram

from leadrouter_runtime.kafka_metrics import ConsumerMetrics, ProducerMetrics
from leadrouter_runtime.lag import lag_gauge

SCORE_BUCKETS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class ScoringMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.produced = ProducerMetrics(registry, "scorer")
        self.consumer = ConsumerMetrics(registry, "scorer", produced=self.produced)
        self.rejections = Counter(
            "scorer_rejections_total",
            "Failed criteria of rejected leads, by reason code (a lead may fail several).",
            ["code"],
            registry=registry,
        )
        self.scores = Histogram(
            "scorer_lead_score",
            "Combined value score (0-100) of scored leads, by campaign.",
            ["campaign_id"],
            buckets=SCORE_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "scorer_processing_latency_seconds",
            "From a record's produce timestamp on leads.received to its verdict acknowledged.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.lag = lag_gauge(registry, "scorer")
