CRM_KIND = "crm"
"""The outbox kind of an assignment on its way to the CRM."""
