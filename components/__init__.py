"""Dash building blocks: ids, the shell, KPI cards, tables, figures. No data access here."""
