"""Every GraphQL document the connector sends validates against the vendored Admin 2026-07 schema."""

import pytest
from graphql import parse, validate
from graphql.validation import NoDeprecatedCustomRule, specified_rules

from tests.fakes.shopify.admin_schema import admin_schema
from vitrine.connectors.shopify import documents

SENT = {
    **documents.ALL,
    "bulk products query": documents.bulk_products_query(),
    "bulk products query, incremental": documents.bulk_products_query("updated_at:>'2026-07-01T00:00:00Z'"),
}


def test_every_document_of_the_module_is_collected():
    constants = {name for name, value in vars(documents).items()
                 if name.isupper() and isinstance(value, str) and "{" in value and not name.startswith("_")}
    assert constants == set(documents.ALL)
    assert len(documents.ALL) >= 15


@pytest.mark.parametrize("name", sorted(SENT))
def test_document_is_valid_for_admin_2026_07(name):
    errors = validate(admin_schema(), parse(SENT[name]), [*specified_rules, NoDeprecatedCustomRule])
    assert errors == [], f"{name}: {[error.message for error in errors]}"


def test_a_wrong_field_is_caught_by_the_same_check():
    broken = documents.PRODUCT.replace("productType", "productKind")
    errors = validate(admin_schema(), parse(broken))
    assert any("productKind" in error.message for error in errors)
