"""Every GraphQL document the connector sends to the Admin API (2026-07), in one place.

A test validates each of them (and the bulk query built by :func:`bulk_products_query`) against the
vendored Admin schema, so a typo or a removed field fails in CI rather than at a merchant's shop.
"""

from __future__ import annotations

import json

_MEDIA_FIELDS = """
fragment MediaFields on Media {
  id
  alt
  mediaContentType
  status
  ... on MediaImage {
    image { url width height }
  }
}
"""

# Eight media per product keeps a page of products under the 1,000-point single query limit
# (2 + first * (1 + 2 + 8 * 2)); products with more media fetch the rest with PRODUCT_MEDIA_PAGE.
_PRODUCT_FIELDS = (
    """
fragment ProductFields on Product {
  id
  title
  handle
  productType
  vendor
  tags
  status
  updatedAt
  media(first: 8) {
    pageInfo { hasNextPage endCursor }
    nodes { ...MediaFields }
  }
}
"""
    + _MEDIA_FIELDS
)

PRODUCTS_PAGE = (
    """
query ProductsPage($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { ...ProductFields }
  }
}
"""
    + _PRODUCT_FIELDS
)

PRODUCT = (
    """
query Product($id: ID!) {
  product(id: $id) { ...ProductFields options { name values } }
}
"""
    + _PRODUCT_FIELDS
)

PRODUCT_MEDIA_PAGE = (
    """
query ProductMediaPage($id: ID!, $after: String) {
  product(id: $id) {
    media(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...MediaFields }
    }
  }
}
"""
    + _MEDIA_FIELDS
)

PRODUCTS_COUNT = """
query ProductsCount($query: String, $limit: Int) {
  productsCount(query: $query, limit: $limit) { count precision }
}
"""

SHOP = """
query Shop {
  shop { id name myshopifyDomain }
}
"""

BULK_OPERATION_RUN_QUERY = """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION = """
query BulkOperation($id: ID!) {
  bulkOperation(id: $id) {
    id
    status
    errorCode
    objectCount
    rootObjectCount
    url
    partialDataUrl
  }
}
"""

_BULK_PRODUCTS = """
{
  products__ARGUMENTS__ {
    edges {
      node {
        id
        title
        handle
        productType
        vendor
        tags
        options { name values }
        status
        updatedAt
        media {
          edges {
            node {
              id
              alt
              mediaContentType
              status
              ... on MediaImage {
                image { url width height }
              }
            }
          }
        }
      }
    }
  }
}
"""


def bulk_products_query(search: str | None = None) -> str:
    """The query a bulk operation runs: every product (matching ``search``) with all its media."""
    arguments = f"(query: {json.dumps(search)})" if search else ""
    return _BULK_PRODUCTS.replace("__ARGUMENTS__", arguments)


STAGED_UPLOADS_CREATE = """
mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets {
      url
      resourceUrl
      parameters { name value }
    }
    userErrors { field message }
  }
}
"""

# What publishing needs to know before it writes: our marker metafield and the product's media.
PUBLISH_STATE = """
query PublishState($id: ID!, $key: String!) {
  product(id: $id) {
    id
    metafield(namespace: "$app", key: $key) { value }
    media(first: 250) {
      nodes {
        id
        alt
        status
        mediaContentType
        ... on MediaImage {
          image { url }
          originalSource { url }
        }
      }
    }
  }
}
"""

PRODUCT_ATTACH_MEDIA = """
mutation ProductAttachMedia($product: ProductUpdateInput!, $media: [CreateMediaInput!]) {
  productUpdate(product: $product, media: $media) {
    product {
      id
      media(last: 20) {
        nodes {
          id
          alt
          status
          mediaContentType
          ... on MediaImage {
            image { url }
            originalSource { url }
          }
        }
      }
    }
    userErrors { field message }
  }
}
"""

FILE_UPDATE = """
mutation FileUpdate($files: [FileUpdateInput!]!) {
  fileUpdate(files: $files) {
    files { id fileStatus alt }
    userErrors { field message code }
  }
}
"""

MEDIA_STATUS = """
query MediaStatus($id: ID!) {
  node(id: $id) {
    id
    ... on MediaImage {
      status
      fileStatus
      alt
      mediaErrors { code message details }
      fileErrors { code message details }
      image { url }
    }
  }
}
"""

FILE_ACKNOWLEDGE_UPDATE_FAILED = """
mutation FileAcknowledgeUpdateFailed($ids: [ID!]!) {
  fileAcknowledgeUpdateFailed(fileIds: $ids) {
    files { id fileStatus }
    userErrors { field message code }
  }
}
"""

METAFIELDS_SET = """
mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { namespace key value }
    userErrors { field message code }
  }
}
"""

METAFIELDS_DELETE = """
mutation MetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) {
    deletedMetafields { ownerId namespace key }
    userErrors { field message }
  }
}
"""

FILE_DELETE = """
mutation FileDelete($ids: [ID!]!) {
  fileDelete(fileIds: $ids) {
    deletedFileIds
    userErrors { field message code }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions {
  webhookSubscriptions(first: 100) {
    nodes { id topic uri }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

# Every document above, by name, for the schema test and for reading.
ALL: dict[str, str] = {
    name: value for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
}
