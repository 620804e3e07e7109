"""Every ORM table of the router, imported once so the metadata is complete."""

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.platform.outbox import OutboxRow
from leadrouter_router.salespeople.models import SalespersonRow

__all__ = ["AssignmentRow", "LeadRow", "OutboxRow", "SalespersonRow"]
