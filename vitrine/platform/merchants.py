"""Merchant settings: the shop's review policy and switches, its markets, its team."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import get_language, override

from vitrine.platform.models import Market, Shop, ShopMembership
from vitrine.platform.outbox import task_enqueue
from vitrine.platform.roles import Role
from vitrine.platform.validators import language_tag_match

logger = logging.getLogger(__name__)


# Review policy: a person looks at every variant, or variants whose fidelity verdict is "pass" with at
# least ``auto_publish_min_score`` skip the queue and are approved (and published) by the policy.
REVIEW_ALL = "review_all"
AUTO_PUBLISH_PASS = "auto_publish_pass"
REVIEW_MODES = (REVIEW_ALL, AUTO_PUBLISH_PASS)
DEFAULT_AUTO_PUBLISH_MIN_SCORE = 0.9
MAX_DAILY_CAP = 100_000

# BCP 47 (RFC 5646) language tag, the parts a market uses: language, script, region, variants.
class MarketInUse(ValidationError):
    """A market with variants cannot be deleted (their audit trail names it); disable it instead."""


def locale_validate(value: str) -> str:
    """Return the canonical form of a BCP 47 tag (``de_de`` -> ``de-DE``, ``zh-hans-cn`` -> ``zh-Hans-CN``).

    Raises ``ValidationError`` for anything that is not a language tag.
    """
    tag = (value or "").strip().replace("_", "-")
    match = language_tag_match(tag)
    # A market's locale is a plain ISO 639 language with an optional script, region and variants: the longer
    # language forms BCP 47 reserves, extensions and private use name no store's language.
    if match is None or not re.fullmatch(r"[A-Za-z]{2,3}", match["language"] or "") or match["extensions"] \
            or match["private"]:
        raise ValidationError(
            f"{value!r} is not a BCP 47 language tag; use a language with an optional script and region, "
            "e.g. de-DE, fr, zh-Hans-CN", code="invalid_locale")
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts.extend(part.lower() for part in match["variants"].split("-") if part)
    return "-".join(parts)


def _region_for(locale: str, region: str) -> str:
    region = (region or "").strip().upper()
    if region and not re.fullmatch(r"[A-Z]{2}", region):
        raise ValidationError({"region": f"{region!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE)"})
    if not region:
        last = locale.split("-")[-1]
        region = last if re.fullmatch(r"[A-Z]{2}", last) else ""
    return region


def market_create(*, shop: Shop, locale: str, actor: str, region: str = "", name: str = "",
                  enabled: bool = True) -> Market:
    """Add a market (language tag validated and normalised; the region defaults to the tag's)."""
    try:
        canonical = locale_validate(locale)
    except ValidationError as exc:
        raise ValidationError({"locale": exc.messages}) from None
    if Market.objects.filter(shop=shop, locale__iexact=canonical).exists():
        raise ValidationError({"locale": f"the shop has a {canonical} market already"})
    market = Market.objects.create(shop=shop, locale=canonical, region=_region_for(canonical, region),
                                   name=name.strip()[:100], enabled=enabled)
    logger.info("market %s added to shop %s by %s", canonical, shop.pk, actor)
    return market


def market_update(*, shop: Shop, market_id: int, actor: str, **changes: object) -> Market:
    """Change a market's locale, region, name or enabled flag."""
    market = Market.objects.get(shop=shop, pk=market_id)
    unknown = sorted(set(changes) - {"locale", "region", "name", "enabled"})
    if unknown:
        raise ValidationError({unknown[0]: "this field cannot be changed"})
    if "locale" in changes:
        try:
            canonical = locale_validate(str(changes["locale"]))
        except ValidationError as exc:
            raise ValidationError({"locale": exc.messages}) from None
        if canonical != market.locale:
            if Market.objects.filter(shop=shop, locale__iexact=canonical).exclude(pk=market.pk).exists():
                raise ValidationError({"locale": f"the shop has a {canonical} market already"})
            if market.variants.exists():
                raise ValidationError({"locale": "variants were made for this market; add a new market instead "
                                                 "of changing its language"})
            market.locale = canonical
    if "region" in changes:
        market.region = _region_for(market.locale, str(changes["region"] or ""))
    if "name" in changes:
        market.name = str(changes["name"] or "").strip()[:100]
    if "enabled" in changes:
        market.enabled = bool(changes["enabled"])
    market.save()
    logger.info("market %s of shop %s changed by %s", market.pk, shop.pk, actor)
    return market


def market_delete(*, shop: Shop, market_id: int, actor: str) -> None:
    """Delete a market no variant was made for; one with variants can only be disabled."""
    market = Market.objects.get(shop=shop, pk=market_id)
    if market.variants.exists():
        raise MarketInUse(f"variants were made for the {market.locale} market; disable it instead of deleting it",
                          code="market_in_use")
    market.delete()
    logger.info("market %s deleted from shop %s by %s", market_id, shop.pk, actor)


def review_policy_of(shop: Shop) -> tuple[str, float]:
    """(mode, minimum score) of the shop's review policy."""
    policy = shop.settings.get("review_policy") or {}
    mode = policy.get("mode", REVIEW_ALL)
    score = policy.get("min_score", DEFAULT_AUTO_PUBLISH_MIN_SCORE)
    return (mode if mode in REVIEW_MODES else REVIEW_ALL), float(score)


def shop_settings_update(*, shop: Shop, actor: str, review_mode: str | None = None,
                         auto_publish_min_score: float | None = None, daily_variant_cap: int | None = None,
                         auto_generate: bool | None = None, publish_mode: str | None = None,
                         publish_on_approve: bool | None = None) -> Shop:
    """Change the shop's review policy, daily cap and generation/publishing switches (None: unchanged)."""
    errors: dict[str, str] = {}
    mode, min_score = review_policy_of(shop)
    if review_mode is not None:
        if review_mode not in REVIEW_MODES:
            errors["review_mode"] = f"must be one of {', '.join(REVIEW_MODES)}"
        mode = review_mode
    if auto_publish_min_score is not None:
        if isinstance(auto_publish_min_score, bool) or not 0.0 <= float(auto_publish_min_score) <= 1.0:
            errors["auto_publish_min_score"] = "must lie between 0 and 1"
        min_score = float(auto_publish_min_score)
    if daily_variant_cap is not None and not 0 <= int(daily_variant_cap) <= MAX_DAILY_CAP:
        errors["daily_variant_cap"] = f"must lie between 0 and {MAX_DAILY_CAP}"
    if publish_mode is not None and publish_mode not in ("add", "replace"):
        errors["publish_mode"] = "must be add or replace"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        shop.settings = {**shop.settings, "review_policy": {"mode": mode, "min_score": min_score}}
        if daily_variant_cap is not None:
            shop.daily_variant_cap = int(daily_variant_cap)
        if auto_generate is not None:
            shop.auto_generate = bool(auto_generate)
        if publish_mode is not None:
            shop.publish_mode = publish_mode
        if publish_on_approve is not None:
            shop.settings["publish_on_approve"] = bool(publish_on_approve)
        shop.save()
    logger.info("settings of shop %s changed by %s", shop.pk, actor)
    return shop


def _owners_left(shop: Shop, *, without: int) -> int:
    return ShopMembership.objects.filter(shop=shop, role=Role.OWNER).exclude(pk=without).count()


def membership_invite(*, shop: Shop, email: str, role: str, actor: str, language: str = "") -> ShopMembership:
    """Give a person (found or created by e-mail address) a role in the shop, and e-mail them.

    A new account has no password: the invitation carries a link to set one (valid PASSWORD_RESET_TIMEOUT).
    The e-mail goes out through the outbox, so it is sent once the membership is committed, never without it.
    """
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not an e-mail address"}) from None
    if role not in Role.values:
        raise ValidationError({"role": f"must be one of {', '.join(Role.values)}"})
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.filter(email__iexact=address).order_by("pk").first()
        if user is None:
            user = user_model.objects.create_user(username=address, email=address)  # no password: unusable
        membership, created = ShopMembership.objects.get_or_create(user=user, shop=shop, defaults={"role": role})
        if not created:
            raise ValidationError({"email": f"{address} is a member of this shop already ({membership.role})"})
        task_enqueue("vitrine.platform.tasks.send_password_link",
                     kwargs={"user_id": user.pk, "shop_id": shop.pk, "language": language or get_language()})
    logger.info("%s invited to shop %s as %s by %s", address, shop.pk, role, actor)
    return membership


def password_link_request(*, email: str, language: str = "") -> int:
    """E-mail a link to set a new password to every active account with this address (through the outbox).

    Says nothing about whether an account exists (the caller shows the same page either way); returns how many
    links were asked for, for logs and tests."""
    address = (email or "").strip()
    if not address:
        return 0
    users = list(get_user_model().objects.filter(email__iexact=address, is_active=True).values_list("pk", flat=True))
    with transaction.atomic():
        for user_id in users:
            task_enqueue("vitrine.platform.tasks.send_password_link",
                         kwargs={"user_id": user_id, "shop_id": None, "language": language or get_language()})
    return len(users)


def password_link_send(*, user_id: int, shop_id: int | None, language: str) -> bool:
    """Send the e-mail: an invitation to ``shop_id`` when given, else a password link. A person who has a
    password already is told where to log in; one without gets a one-time link to set it (Django's token:
    it stops working once the password changes or after PASSWORD_RESET_TIMEOUT). False when there is no one
    to write to (the account is gone, inactive or has no address)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    base = settings.APP_URL.rstrip("/")
    link = base + reverse("console:password-set", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    context = {
        "shop": Shop.objects.filter(pk=shop_id).first() if shop_id else None,
        "email": user.email,
        "link": link,
        "has_password": user.has_usable_password(),
        "login": base + reverse("console:login"),
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("console/email/password_link_subject.txt", context).split())
        body = render_to_string("console/email/password_link.txt", context)
    send_mail(subject, body, None, [user.email])
    return True


def membership_set_role(*, shop: Shop, membership_id: int, role: str, actor: str) -> ShopMembership:
    if role not in Role.values:
        raise ValidationError({"role": f"must be one of {', '.join(Role.values)}"})
    with transaction.atomic():
        membership = ShopMembership.objects.select_for_update().get(shop=shop, pk=membership_id)
        if membership.role == Role.OWNER and role != Role.OWNER and not _owners_left(shop, without=membership.pk):
            raise ValidationError({"role": "the shop needs at least one owner; make someone else owner first"})
        membership.role = role
        membership.save(update_fields=["role"])
    logger.info("membership %s of shop %s set to %s by %s", membership_id, shop.pk, role, actor)
    return membership


def membership_remove(*, shop: Shop, membership_id: int, actor: str) -> None:
    with transaction.atomic():
        membership = ShopMembership.objects.select_for_update().get(shop=shop, pk=membership_id)
        if membership.role == Role.OWNER and not _owners_left(shop, without=membership.pk):
            raise ValidationError("the shop needs at least one owner; make someone else owner first",
                                  code="last_owner")
        membership.delete()
    logger.info("membership %s removed from shop %s by %s", membership_id, shop.pk, actor)
