"""Variant templates (versioned), the per-shop rules that apply them, the glossary and deferred plans."""

from __future__ import annotations

from django.db import models

from vitrine.platform.models import EditKind, Market, Shop, SourceImage


class VariantTemplate(models.Model):
    """One version of a template: what to make, with which recipe parameters, judged by which thresholds.

    A version that has produced variants never changes again: revising it writes version + 1 (see
    ``services.template_revise``), and every variant records the slug and version it was made from.
    """

    class Section(models.TextChoices):
        MARKETPLACE = "marketplace", "Marketplace main images"
        STUDIO = "studio", "Studio backgrounds"
        LIFESTYLE = "lifestyle", "Lifestyle scenes"
        ON_MODEL = "on_model", "Mannequin and flat-lay to on-model"
        MODEL_SWAP = "model_swap", "Model swap per market"
        TEXT = "text", "Text localization"
        COLOURWAY = "colourway", "Colourways of one photo"
        CUSTOM = "custom", "Shop's own"

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="variant_templates",
        help_text="Empty for the built-in catalogue; set for a shop's own template.",
    )
    slug = models.SlugField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=32, choices=EditKind.choices)
    section = models.CharField(max_length=16, choices=Section.choices, default=Section.CUSTOM)
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="What the merchant gets, in plain words.")
    params = models.JSONField(
        default=dict, blank=True, help_text="Recipe parameters, named as the recipe names them."
    )
    fidelity_thresholds = models.JSONField(
        default=dict, blank=True, help_text="Partial overrides of the SKU-fidelity thresholds for this kind."
    )
    markets = models.JSONField(
        default=list, blank=True, help_text="Locales (de-DE) or languages (de) it suits; empty: any."
    )
    product_types = models.JSONField(
        default=list, blank=True, help_text="Product types it suits; empty: any."
    )
    alt_text = models.JSONField(
        default=dict, blank=True,
        help_text='Alt text per language with a {title} placeholder, e.g. {"en": "{title} on white"}.',
    )
    archived = models.BooleanField(default=False, help_text="An archived version is no longer planned.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="template_unique_version")]
        ordering = ["section", "slug", "-version"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class TemplateRule(models.Model):
    """A shop applies one template to the products and markets this rule selects.

    Every filter is optional; a product matches when it matches each filter that is set (any of its values,
    compared without case). The rule follows the template's newest version.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="template_rules")
    template_slug = models.SlugField(max_length=100)
    markets = models.ManyToManyField(
        Market, blank=True, related_name="template_rules",
        help_text="Markets to make variants for; none selected: every enabled market the template suits.",
    )
    product_types = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    vendors = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "template_slug"], name="rule_unique_template")]

    def __str__(self) -> str:
        return f"{self.shop}: {self.template_slug}"


class GlossaryEntry(models.Model):
    """The shop's own translation of a phrase: used for printed text and for localized alt text.

    ``locale`` is a market locale (``de-DE``) or a bare language (``de``) that serves every German market.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="glossary")
    source_text = models.CharField(max_length=500)
    locale = models.CharField(max_length=35)
    translation = models.CharField(max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "source_text", "locale"], name="glossary_unique_phrase"),
        ]
        verbose_name_plural = "glossary entries"

    def __str__(self) -> str:
        return f"{self.source_text} -> {self.translation} ({self.locale})"


class DeferredPlan(models.Model):
    """A variant the shop's daily cap held back; a later day plans it, oldest first."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="deferred_plans")
    source_image = models.ForeignKey(SourceImage, on_delete=models.CASCADE, related_name="deferred_plans")
    template_slug = models.SlugField(max_length=100)
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="deferred_plans")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_image", "template_slug", "market"], name="deferral_unique"
            ),
        ]
        indexes = [models.Index(fields=["shop", "created_at"])]

    def __str__(self) -> str:
        return f"deferred {self.template_slug} for image {self.source_image_id} in {self.market}"



class ColourSwatch(models.Model):
    """The colour a product's option value (``Navy``, ``藏青``) stands for, as the merchant confirmed it.

    A colourway is only rendered from a confirmed swatch: a name alone is too loose a target for a SKU."""

    product = models.ForeignKey("platform.Product", on_delete=models.CASCADE, related_name="colour_swatches")
    option_value = models.CharField(max_length=255)
    color = models.CharField(max_length=7, help_text="#RRGGBB")
    confirmed_by = models.CharField(max_length=255)
    confirmed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "option_value"], name="colour_swatch_unique_value")
        ]

    def __str__(self) -> str:
        return f"{self.option_value} = {self.color}"
