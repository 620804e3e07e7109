"""Topic names: the one place they are spelled.

Services add a deployment prefix (``Settings.kafka.topic_prefix``) in front of
these names, which is how tests run side by side on one broker.
"""

from typing import Final

LEADS_RECEIVED: Final = "leads.received"
LEADS_SCORED: Final = "leads.scored"
LEADS_REJECTED: Final = "leads.rejected"
LEADS_ASSIGNED: Final = "leads.assigned"
LEADS_OUTCOMES: Final = "leads.outcomes"
CAMPAIGNS_CONFIG: Final = "config.campaigns"

DLQ_SUFFIX: Final = ".dlq"

# Headers a dead letter carries beside the original record's own (the contract that
# the consumer loop writes and ops tools read).
DLQ_REASON: Final = "dlq-reason"
DLQ_ERROR_TYPE: Final = "dlq-error-type"
DLQ_SOURCE_TOPIC: Final = "dlq-source-topic"
DLQ_SOURCE_PARTITION: Final = "dlq-source-partition"
DLQ_SOURCE_OFFSET: Final = "dlq-source-offset"


def dead_letter(topic: str) -> str:
    """The dead-letter topic of ``topic`` (same key, the reason in headers)."""
    return f"{topic}{DLQ_SUFFIX}"
