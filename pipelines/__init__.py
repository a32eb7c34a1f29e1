"""Event distribution and jobs: catalog, outbox relay, consumers, sinks, the scheduler."""
