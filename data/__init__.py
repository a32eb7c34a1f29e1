"""Persistence adapters: models, unit of work, repositories, migrations, warehouse."""
