"""Leads the scorer rejected, as counted by the router: the ``leads.rejected``
consumer and its table, which the funnel report reads (decision 0604)."""
