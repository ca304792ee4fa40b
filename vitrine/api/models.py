"""Personal API tokens and the record of idempotent requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from vitrine.platform.models import Shop
from vitrine.platform.roles import Role


class ApiToken(models.Model):
    """A personal token: one user, one shop, one role (never more than the user's own role there).

    Only the sha256 of the token is stored; ``prefix`` (its first characters) lets people tell tokens apart.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_tokens")
    role = models.CharField(max_length=16, choices=Role.choices)
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True, help_text="sha256 of the token.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.role}) for {self.user} @ {self.shop}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """The first answer to a POST carrying an ``Idempotency-Key``: a repeat gets it back and does nothing."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    caller = models.CharField(max_length=64, help_text="token:<id> or user:<id>")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, path and body.")
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty while the first runs.")
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "caller", "key"], name="idempotent_request_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
