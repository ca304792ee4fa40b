"""The CSV store registers its provider here; publishing and reverting use the shared connector handlers."""

from vitrine.connectors.csvfile.connector import CsvFileConnector  # noqa: F401 (registers the provider)
