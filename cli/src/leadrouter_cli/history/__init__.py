"""``leadrouter demo history``: a router database filled with leads and outcomes."""
