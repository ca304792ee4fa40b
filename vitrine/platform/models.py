"""Kernel models: tenants, catalogue copy, variants and their audit trail, stored blobs and the outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from vitrine import edit_kinds
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.roles import Role
from vitrine.platform.validators import validate_language_tag


class Provider(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    TAOBAO = "taobao", "Taobao / Tmall"
    CSVFILE = "csvfile", "CSV / folder"


# The choices come from the one list of edit kinds (EditKind.BACKGROUND, EditKind.values, ... as usual).
EditKind = models.TextChoices("EditKind", [(code.upper(), (code, label)) for code, label in edit_kinds.LABELS.items()])


class Shop(models.Model):
    """One installed store (the tenant). ``external_id`` is the shop domain or the seller id."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    auto_generate = models.BooleanField(default=True, help_text="Make variants for new products automatically.")
    daily_variant_cap = models.PositiveIntegerField(
        default=500, help_text="Most variants planned per day, so a large import cannot flood the GPUs."
    )
    publish_mode = models.CharField(
        max_length=16,
        choices=[("add", "Add as new image"), ("replace", "Replace the source image")],
        default="add",
    )
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "external_id"], name="shop_unique_external")]

    def __str__(self) -> str:
        return self.name or self.external_id

    @property
    def is_installed(self) -> bool:
        return self.installed_at is not None and self.uninstalled_at is None


class ShopMembership(models.Model):
    """A user's role in a shop: the merchant's owners and editors, reviewers and read-only viewers."""

    Role = Role  # owner / editor / reviewer / viewer; what each may do is in vitrine/platform/roles.py

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_memberships")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REVIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) @ {self.shop}"


class Market(models.Model):
    """A target market of a shop: language (BCP 47, e.g. ``de-DE``) and region (ISO 3166-1, e.g. ``DE``)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="markets")
    locale = models.CharField(max_length=35, validators=[validate_language_tag])
    region = models.CharField(max_length=2, blank=True)
    name = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "locale"], name="market_unique_locale")]

    def __str__(self) -> str:
        return self.name or self.locale

    @property
    def language(self) -> str:
        return self.locale.split("-")[0].lower()


class Blob(models.Model):
    """Content-addressed bytes in the default storage: the same bytes are stored once."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    path = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.path


class Product(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    external_id = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=500)
    product_type = models.CharField(max_length=255, blank=True)
    category = models.CharField(
        max_length=500, blank=True, help_text="The store's category path, readable (e.g. 女装 > 连衣裙)."
    )
    vendor = models.CharField(max_length=255, blank=True)
    tags = models.JSONField(default=list, blank=True)
    options = models.JSONField(
        default=list, blank=True, help_text='Options as the store lists them: [{"name": "Color", "values": [...]}].'
    )
    status = models.CharField(max_length=32, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "external_id"], name="product_unique_external")]
        indexes = [models.Index(fields=["shop", "remote_updated_at"])]

    def __str__(self) -> str:
        return self.title


class FetchStatus(models.TextChoices):
    OK = "ok", "Stored"
    FAILED = "failed", "Download or intake failed"


class SourceImage(models.Model):
    """A product photo as the store serves it, normalised to 8-bit sRGB for editing."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    remote_id = models.CharField(max_length=255)
    source_url = models.URLField(max_length=2000, blank=True)
    position = models.PositiveIntegerField(default=1)
    alt = models.CharField(max_length=1000, blank=True)
    # Empty only for an image whose first download failed (see ``fetch_status``).
    original = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                 help_text="Bytes as served.")
    image = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                              help_text="Normalised PNG.")
    sha256 = models.CharField(max_length=64, db_index=True, blank=True,
                              help_text="sha256 of the normalised pixels file.")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    has_alpha = models.BooleanField(default=False)
    protect_mask = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    published_by_us = models.BooleanField(
        default=False, help_text="This image is one of our own published variants (never a source for new ones)."
    )
    intake_warnings = models.JSONField(default=list, blank=True)
    fetch_status = models.CharField(max_length=8, choices=FetchStatus.choices, default=FetchStatus.OK)
    fetch_error = models.TextField(blank=True, help_text="Why the last download or intake of this image failed.")
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "remote_id"], name="image_unique_remote")]

    def __str__(self) -> str:
        return f"{self.product} #{self.position}"


class Variant(models.Model):
    """One localized edit of one source image for one market, made from one template version."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="variants")
    source_image = models.ForeignKey(SourceImage, on_delete=models.CASCADE, related_name="variants")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="variants")
    kind = models.CharField(max_length=32, choices=EditKind.choices)
    template_slug = models.SlugField(max_length=100, blank=True)
    template_version = models.PositiveIntegerField(default=0)
    slot = models.CharField(
        max_length=100, blank=True, default="",
        help_text="Tells apart several variants of one image and template, e.g. colour:Navy for a colourway.",
    )
    source_sha256 = models.CharField(max_length=64, help_text="sha256 of the source image this was made from.")
    seed = models.BigIntegerField()
    params = models.JSONField(default=dict, blank=True, help_text="Snapshot of the parameters used.")
    fidelity_thresholds = models.JSONField(
        default=dict, blank=True,
        help_text="The template version's fidelity threshold overrides, copied when the variant was planned.",
    )
    state = models.CharField(max_length=16, choices=VariantState.choices, default=VariantState.REQUESTED)
    failure_reason = models.TextField(blank=True, help_text="Why it failed, in words a merchant can act on.")
    backend = models.CharField(max_length=64, blank=True)
    model_id = models.CharField(max_length=255, blank=True)
    model_licence = models.CharField(max_length=100, blank=True)
    output = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    used_mask = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    alt_text = models.CharField(max_length=1000, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    render_details = models.JSONField(
        default=dict, blank=True,
        help_text="How the output was made: offset, upscale factor, text boxes, mask notes, review reasons.",
    )
    fidelity = models.JSONField(null=True, blank=True, help_text="The SKU-fidelity report (JSON).")
    fidelity_verdict = models.CharField(max_length=8, blank=True, db_index=True)
    fidelity_score = models.FloatField(null=True, blank=True)
    supersedes = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="superseded_by"
    )
    remote_media_id = models.CharField(max_length=255, blank=True)
    redriven_at = models.DateTimeField(
        null=True, blank=True, help_text="When the stuck-variant sweep last enqueued its next step again."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "state"]),
            models.Index(fields=["source_sha256", "template_slug", "template_version", "market"]),
            # The stuck-variant sweep and the health check look up (state, updated_at older than a cutoff).
            models.Index(fields=["state", "updated_at"], name="variant_state_updated"),
        ]
        constraints = [
            # The planner's deduplication key: one live variant per (image bytes, template version, market, slot).
            models.UniqueConstraint(
                fields=["source_image", "source_sha256", "template_slug", "template_version", "market", "slot"],
                condition=~Q(state__in=["superseded", "failed", "rejected"]),
                name="variant_unique_live_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"Variant {self.pk} ({self.kind}, {self.state})"


class VariantTransition(models.Model):
    """Audit row for every lifecycle move; written in the same transaction as the move."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    actor = models.CharField(max_length=255, help_text="user:<id>, task:<name> or system")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state} by {self.actor}"


class Event(models.Model):
    """Outbox row. Written in the emitting transaction; delivered by Celery; re-dispatched by the relay."""

    type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField(default=dict)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], condition=Q(delivered_at__isnull=True), name="event_undelivered")
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class HandlerRun(models.Model):
    """Proof that ``handler`` ran for ``event``; the unique constraint makes redelivery harmless."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="handler_runs")
    handler = models.CharField(max_length=255)
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="handler_run_once")]

    def __str__(self) -> str:
        return f"{self.handler} ran for event {self.event_id}"


class OutboxTask(models.Model):
    """Follow-up work: a Celery task written in the same transaction as the change that asks for it.

    It is sent to the broker once that transaction commits; if the broker is down then (or the process dies
    before sending), the relay sends it later. A task may therefore arrive more than once, never zero times:
    every task it names is idempotent.
    """

    task = models.CharField(max_length=255, help_text="The Celery task's registered name.")
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_task_unsent")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class SyncRun(models.Model):
    """One catalogue read of a shop through its connector (full or incremental): what it found and cost."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=32, choices=Provider.choices)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sync_runs")
    full = models.BooleanField(help_text="Full reads also find products deleted without a webhook.")
    since = models.DateTimeField(null=True, blank=True, help_text="Incremental: products changed after this.")
    mode = models.CharField(max_length=16, blank=True, help_text="How the store was read (pages, bulk, windows...).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    # A job the store runs for the read (a Shopify bulk operation), and its status as the store last reported it.
    remote_operation_id = models.CharField(max_length=255, blank=True, db_index=True)
    remote_operation_status = models.CharField(max_length=32, blank=True)
    stats = models.JSONField(default=dict, blank=True, help_text="Counts and costs of the read.")
    error = models.TextField(blank=True)
    # Not auto_now_add: runs copied from older records keep their times. Incremental reads start here.
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.provider} sync of {self.shop} ({'full' if self.full else 'incremental'}, {self.status})"
