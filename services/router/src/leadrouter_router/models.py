"""Every ORM table of the router, imported once so the metadata is complete."""

from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.crm.budget import RateBudgetRow
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.learning.models import ModelAuditRow, ModelVersionRow
from leadrouter_router.outcomes.models import CallbackRow
from leadrouter_router.platform.outbox import OutboxRow
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.rejections.models import RejectionRow
from leadrouter_router.routing.models import DecisionRow, PoolRotationRow
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow
from leadrouter_router.territories.models import TerritoryRow

__all__ = [
    "AccountRow",
    "AssignmentRow",
    "CallbackRow",
    "CampaignRow",
    "DecisionRow",
    "LeadRow",
    "ModelAuditRow",
    "ModelVersionRow",
    "OutboxRow",
    "PoolRotationRow",
    "RateBudgetRow",
    "RejectionRow",
    "RoutingPolicyRow",
    "SalespersonRow",
    "TeamMemberRow",
    "TeamRow",
    "TerritoryRow",
]
