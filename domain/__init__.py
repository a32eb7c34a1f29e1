"""The rules of Follow-up Cockpit: standard library only, no I/O."""
