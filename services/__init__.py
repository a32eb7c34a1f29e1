"""Use cases and read models. Each takes its dependencies (unit of work, clock) as parameters."""
