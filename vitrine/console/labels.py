"""The words the merchant app shows for the kernel's codes (states, roles, reasons), in every language it speaks.

The kernel's own labels are English-only model choices; the app shows these instead.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STATES: dict[str, Promise] = {
    "requested": _("Requested"), "generating": _("Being made"), "generated": _("Made"),
    "in_review": _("Waiting for review"), "approved": _("Approved"), "publishing": _("Publishing"),
    "published": _("Published"), "rejected": _("Rejected"), "failed": _("Failed"), "superseded": _("Replaced"),
    "waiting": _("Waiting for a model"),
}
ROLES: dict[str, Promise] = {
    "owner": _("Owner"), "editor": _("Editor"), "reviewer": _("Reviewer"), "viewer": _("Viewer"),
}
ACTIONS: dict[str, Promise] = {
    "view": _("See products, variants, activity and usage"),
    "review": _("Approve or reject variants"),
    "request_variants": _("Request, regenerate and retry variants"),
    "publish": _("Publish and revert"),
    "edit_settings": _("Change markets, templates, glossary, review policy and cap"),
    "manage_team": _("Invite people, change roles, manage API tokens"),
    "manage_connection": _("Reconnect the store, set data retention"),
}
REASONS: dict[str, Promise] = {
    "product_changed": _("Product changed"), "colour_off": _("Colour off"), "text_wrong": _("Text wrong"),
    "anatomy": _("Anatomy"), "background_wrong": _("Background wrong"), "other": _("Other"),
}
DECISIONS: dict[str, Promise] = {"approve": _("Approved"), "reject": _("Rejected"), "regenerate": _("Regenerate")}
VERDICTS: dict[str, Promise] = {
    "pass": _("Faithful: the product looks unchanged"),
    "review": _("Needs a look: something on the product may have changed"),
    "fail": _("Not faithful: the product was changed"),
}
KINDS: dict[str, Promise] = {
    "model_swap": _("Model swap"), "background": _("Background"), "text_localize": _("Printed text"),
    "colourway": _("Colourway"), "cleanup": _("Promo clean-up"),
}
EVENTS: dict[str, Promise] = {
    "catalog.product_changed": _("Product changed in the store"),
    "catalog.product_synced": _("Product read from the store"),
    "catalog.product_deleted": _("Product deleted in the store"),
    "variant.requested": _("Variant requested"), "variant.generated": _("Variant made"),
    "variant.approved": _("Variant approved"), "variant.rejected": _("Variant rejected"),
    "variant.regenerate_requested": _("New version requested"), "variant.published": _("Published to the store"),
    "variant.failed": _("Variant failed"), "variant.revert_requested": _("Taken off the store"),
    "shop.installed": _("Store connected"), "shop.uninstalled": _("Store disconnected"),
    "shop.redact_requested": _("Store asked to delete its data"),
}
AUTOMATIC = _("Vitrine (automatic)")
