"""Routing policies: the document (rules, fallback), its stored versions, and saving one."""
