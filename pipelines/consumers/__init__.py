"""Consumers of the event log. Each applies an event and records it in its inbox in one transaction."""
