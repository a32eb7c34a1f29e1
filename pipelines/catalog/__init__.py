"""The event catalog: every type with its schema, version, producer, consumers and meaning."""
from pipelines.catalog.entries import CatalogEntry, build_catalog, catalog_json

__all__ = ["CatalogEntry", "build_catalog", "catalog_json"]
