"""The event catalog: every type with its schema, version, producer, consumers and meaning."""
from pipelines.catalog.entries import CATALOG, CatalogEntry, catalog_json

__all__ = ["CATALOG", "CatalogEntry", "catalog_json"]
