"""Router infrastructure that knows no domain: database engine and the outbox relay."""
