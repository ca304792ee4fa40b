"""Store-agnostic connector records: install states, credentials, the webhook/message inbox and the publish
ledger.

Store-specific models live in each store's package and are imported at the bottom so Django sees them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from vitrine.platform.crypto import EncryptedTextField
from vitrine.platform.models import Blob, Provider, Shop, Variant
from vitrine.platform.selectors import register_blob_owner


class OAuthState(models.Model):
    """The ``state`` nonce of one install or authorisation flow of any store: good for one callback, within
    ``OAUTH_STATE_TTL``, and only with what it was bound to when issued (Shopify: the shop domain; Taobao: the
    user who started it). Expired states of every store are swept by one beat task."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    nonce = models.CharField(max_length=64, unique=True)
    shop_domain = models.CharField(max_length=255, blank=True, help_text="The shop the install is for, if known.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", help_text="The user who started the flow, if bound to one.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_provider_display()} OAuth state {self.nonce[:8]}"


class Credential(models.Model):
    """A shop's API credentials, encrypted at rest. Refresh tokens rotate: a refresh replaces both tokens."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="credential")
    access_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True,
                                             help_text="Empty: the token never expires.")
    refresh_token = EncryptedTextField(blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=1000, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Set on uninstall; tokens are erased.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"credential of {self.shop}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and bool(self.access_token)


class InboxMessage(models.Model):
    """One delivery from a store (webhook, pushed message), stored before anything else happens to it.

    The unique (provider, delivery id) pair makes redelivery harmless: a repeat is acknowledged and dropped.
    """

    provider = models.CharField(max_length=16, choices=Provider.choices)
    delivery_id = models.CharField(max_length=255)
    topic = models.CharField(max_length=100)
    shop_domain = models.CharField(max_length=255, db_index=True)
    event_id = models.CharField(max_length=255, blank=True, help_text="The store's id of the change itself.")
    triggered_at = models.DateTimeField(null=True, blank=True)
    api_version = models.CharField(max_length=16, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True, help_text="What processing did with it.")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "delivery_id"], name="inbox_unique_delivery"),
        ]
        indexes = [
            models.Index(fields=["received_at"], condition=Q(processed_at__isnull=True),
                         name="inbox_unprocessed"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.topic} {self.delivery_id}"


class PublishRecord(models.Model):
    """The ledger of media we wrote to a store: one row per published variant, with the step it reached.

    A retry after a crash resumes from ``step`` and the facts in ``checkpoint`` instead of starting over,
    so no step that already took effect in the store is repeated.
    """

    class Step(models.TextChoices):
        PREPARED = "prepared", "File prepared"
        STAGED = "staged", "Upload target created"
        UPLOADED = "uploaded", "File uploaded"
        ATTACHED = "attached", "Attached to the listing"
        READY = "ready", "Processed by the store"
        DONE = "done", "Published"
        REVERTED = "reverted", "Reverted"

    class Mode(models.TextChoices):
        ADD = "add", "Added as a new image"
        REPLACE = "replace", "Replaced the source image"

    variant = models.OneToOneField(Variant, on_delete=models.CASCADE, related_name="publish_record")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="publish_records")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    mode = models.CharField(max_length=16, choices=Mode.choices)
    remote_product_id = models.CharField(max_length=255)
    remote_media_id = models.CharField(max_length=255, blank=True, db_index=True)
    file = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+",
                             help_text="The exact bytes published (with the disclosure metadata).")
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=255)
    step = models.CharField(max_length=16, choices=Step.choices, default=Step.PREPARED)
    checkpoint = models.JSONField(
        default=dict, blank=True, help_text="Store-specific facts a retry needs (upload target, media seen)."
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A worker is on it until then.")
    published_at = models.DateTimeField(null=True, blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "provider", "remote_media_id"])]

    def __str__(self) -> str:
        return f"publish of variant {self.variant_id}: {self.step}"


# The published files are the shop's data too: access checks and shop purges find them through this.
register_blob_owner(PublishRecord, ("file",), "shop")


from vitrine.connectors.taobao.models import TaobaoCategory  # noqa: E402, F401

__all__ = ["Credential", "InboxMessage", "OAuthState", "PublishRecord"]
