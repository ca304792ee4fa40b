"""The Vitrine kernel: settings, URLs, the Celery app, tenants, catalogue, variants, events and storage."""

from vitrine.platform.celery import app as celery_app

__all__ = ["celery_app"]
