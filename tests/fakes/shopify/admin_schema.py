"""The vendored Shopify Admin 2026-07 schema, parsed once per process (it is large)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from graphql import DocumentNode, GraphQLError, GraphQLSchema, build_schema, parse, validate

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "admin_2026-07.graphql"
API_VERSION = "2026-07"


@lru_cache(maxsize=1)
def admin_schema() -> GraphQLSchema:
    # Shopify's introspected schema breaks one strict rule of graphql-core 3.3's schema validation
    # (deprecated implementation fields of non-deprecated interface fields); the types themselves are sound.
    return build_schema(SCHEMA_PATH.read_text(), assume_valid=True)


@lru_cache(maxsize=512)
def parsed_and_checked(document: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """Parse and validate a document the way Shopify does before running it (cached by text)."""
    try:
        tree = parse(document)
    except GraphQLError as error:
        return None, (error,)
    return tree, tuple(validate(admin_schema(), tree))
