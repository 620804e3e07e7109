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


def dead_letter(topic: str) -> str:
    """The dead-letter topic of ``topic`` (same key, the reason in headers)."""
    return f"{topic}{DLQ_SUFFIX}"
