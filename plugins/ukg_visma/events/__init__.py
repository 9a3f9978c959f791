"""Event-driven starts: UKG's webhooks (through the durable inbox) start and release DAG work."""
