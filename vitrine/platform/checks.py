"""Deployment checks of our own, run by ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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
    if settings.SECRET_KEY.startswith("insecure-dev-key"):
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
