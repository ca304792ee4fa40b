"""The CSV / folder store: Shopify's product CSV export with images from a folder or URLs, imported through
the same connector protocol as live stores; publishing writes an export folder with an updated CSV."""
