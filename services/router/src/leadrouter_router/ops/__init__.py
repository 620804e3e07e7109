"""What sales-ops watch: topic throughput and lag, dead letters, SLA breaches and
the latest decisions, as JSON for tools and as the live page at ``/ops``."""
