"""A local CRM that records the assignments posted to it, for demos and tests.

It speaks the router's generic JSON webhook: ``POST /assignments`` with an
``Idempotency-Key`` header. A repeated key is acknowledged and not recorded
again, as a real CRM with idempotent writes would do.
"""
