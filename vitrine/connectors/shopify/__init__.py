"""The Shopify connector: embedded install with expiring offline tokens, verified webhooks through an inbox,
catalogue sync (paging or bulk operations), idempotent media publishing, all over the GraphQL Admin API."""
