"""Infrastructure that knows no domain: settings groups, the Kafka batch loop,
topic provisioning, problem documents, health probes and logging."""
