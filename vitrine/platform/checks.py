"""Deployment checks of our own, run by ``manage.py check --deploy``, and the start-up refusal of serving
processes (the web app and the workers) configured with the development secret."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_start() -> None:
    """Raise unless the process may serve: with DEBUG off, SECRET_KEY must not be the development default
    (anyone can read it in the source and forge sessions, password-reset links and signed values). Called by
    the WSGI module and the Celery worker command; silencing system checks does not switch it off."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is the development default and DEBUG is off: refusing to start. Set SECRET_KEY to a "
            "long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), or DEBUG=1 "
            "on a development machine."
        )


@register(Tags.security, deploy=True)
def encryption_key_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.FIELD_ENCRYPTION_KEY:
        return []
    return [Error(
        "FIELD_ENCRYPTION_KEY is not set: store tokens would be encrypted with a key derived from SECRET_KEY.",
        hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
             "print(Fernet.generate_key().decode())'",
        id="vitrine.E001",
    )]


@register(Tags.security, deploy=True)
def secret_key_not_default(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [Error("SECRET_KEY is the development default.", id="vitrine.E002")]
    return []


@register(deploy=True)
def broker_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return [Warning(
            "REDIS_URL is not set: tasks run inside web requests (the embedded default), not on workers.",
            id="vitrine.W001",
        )]
    return []


@register()
def blob_references_registered(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Every foreign key to ``Blob`` must be in the blob-owner registry: deleting unreferenced files reads
    only the registry, so an unregistered reference would have its file deleted from under it."""
    from django.apps import apps

    from vitrine.platform.models import Blob
    from vitrine.platform.selectors import blob_owners

    registered = {(model, name) for model, fields, _ in blob_owners() for name in fields}
    return [
        Error(f"{model._meta.label}.{field.name} references Blob but is not a registered blob owner.",
              hint="Register it with vitrine.platform.selectors.register_blob_owner(model, fields, shop_lookup).",
              obj=model, id="vitrine.E010")
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.many_to_one and field.related_model is Blob and (model, field.name) not in registered
    ]
