"""The event catalog: every type with its schema, version, producer, consumers and meaning."""
from pipelines.catalog.entries import CATALOG, CatalogEntry, build_catalog, catalog_json

__all__ = ["CATALOG", "CatalogEntry", "build_catalog", "catalog_json"]
