"""API v1 endpoints that set a shop up: its settings, markets, templates and rules, glossary, team and tokens.
Thin, like :mod:`vitrine.api.views`."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from vitrine.api import examples as ex
from vitrine.api import services as api_services
from vitrine.api import setup_serializers as ss
from vitrine.api.authentication import Caller
from vitrine.api.base import ApiViewSet
from vitrine.api.models import ApiToken
from vitrine.api.renderers import CSV_MEDIA_TYPE, CsvRenderer
from vitrine.api.selectors import api_tokens_of
from vitrine.api.serializers import LOCALE_PATTERN
from vitrine.platform import merchants
from vitrine.platform.models import EditKind, Market, ShopMembership
from vitrine.platform.roles import Action, role_in
from vitrine.templates import selectors as template_selectors
from vitrine.templates import services as template_services
from vitrine.templates.models import GlossaryEntry, TemplateRule, VariantTemplate


# --- the shop's settings ---------------------------------------------------------------------------
@extend_schema_view(
    retrieve=extend_schema(summary="The current shop's settings", description="Markets, review policy, daily cap.",
                           examples=[ex.SHOP]),
    partial_update=extend_schema(summary="Change the review policy, daily cap or publishing switches",
                                 examples=[ex.SHOP_PATCH, ex.SHOP]),
)
class ShopSettingsViewSet(ApiViewSet):
    serializer_class = ss.ShopSettingsSerializer
    write_actions = {"partial_update": Action.EDIT_SETTINGS}
    pagination_class = None

    def retrieve(self, request: Request) -> Response:
        return Response(self.get_serializer(self.shop).data)

    def partial_update(self, request: Request) -> Response:
        serializer = self.get_serializer(self.shop, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        shop = merchants.shop_settings_update(shop=self.shop, actor=self.actor, **serializer.validated_data)
        return Response(self.get_serializer(shop).data)


# --- markets ----------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the shop's markets", examples=[ex.MARKET]),
    retrieve=extend_schema(summary="One market", examples=[ex.MARKET]),
    create=extend_schema(summary="Add a market (BCP 47 locale)", examples=[ex.MARKET_IN, ex.MARKET]),
    update=extend_schema(summary="Replace a market's fields", examples=[ex.MARKET_IN, ex.MARKET]),
    partial_update=extend_schema(summary="Change a market (e.g. disable it)", examples=[ex.MARKET_PATCH, ex.MARKET]),
    destroy=extend_schema(summary="Delete a market no variant was made for"),
)
class MarketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Market.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = ss.MarketSerializer
    write_actions = dict.fromkeys(["create", "update", "partial_update", "destroy"], Action.EDIT_SETTINGS)

    def get_queryset(self) -> QuerySet[Market]:
        return Market.objects.filter(shop=self.shop)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        market = merchants.market_create(shop=self.shop, actor=self.actor, **serializer.validated_data)
        return Response(self.get_serializer(market).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        market = self.get_object()
        serializer = self.get_serializer(market, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        market = merchants.market_update(shop=self.shop, market_id=market.pk, actor=self.actor,
                                                 **serializer.validated_data)
        return Response(self.get_serializer(market).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        merchants.market_delete(shop=self.shop, market_id=self.get_object().pk, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- templates ------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="The template catalogue (newest live version of each)",
        parameters=[OpenApiParameter("section", str, enum=VariantTemplate.Section.values),
                    OpenApiParameter("kind", str, enum=EditKind.values),
                    OpenApiParameter("market", str, description="Only templates that suit this locale.",
                                     pattern=LOCALE_PATTERN)],
        examples=[ex.TEMPLATE],
    ),
    retrieve=extend_schema(summary="One template with its versions and previews", examples=[ex.TEMPLATE]),
)
class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ss.TemplateSerializer
    pagination_class = None
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> list[Any]:  # type: ignore[override]
        templates = template_selectors.templates_current(self.shop)
        params = self.request.query_params
        if "kind" in params and params["kind"] not in EditKind.values:
            raise serializers.ValidationError({"kind": [f"must be one of {', '.join(EditKind.values)}"]})
        if "market" in params and not re.fullmatch(LOCALE_PATTERN, params["market"]):
            raise serializers.ValidationError({"market": ["not a BCP 47 language tag (e.g. de-DE)"]})
        if "section" in params and params["section"] not in VariantTemplate.Section.values:
            sections = ", ".join(VariantTemplate.Section.values)
            raise serializers.ValidationError({"section": [f"must be one of {sections}"]})
        if "section" in params:
            templates = [t for t in templates if t.section == params["section"]]
        if "kind" in params:
            templates = [t for t in templates if t.kind == params["kind"]]
        if "market" in params:
            market = Market(shop=self.shop, locale=params["market"])
            templates = [t for t in templates if template_selectors.template_fits_market(t, market)]
        return templates

    def get_object(self) -> Any:
        template = template_selectors.template_current(self.kwargs["slug"], shop=self.shop)
        if template is None:
            raise Http404(f"there is no live template {self.kwargs['slug']!r}")
        return template


# --- template rules -------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the shop's template rules", examples=[ex.RULE]),
    retrieve=extend_schema(summary="One template rule", examples=[ex.RULE]),
    create=extend_schema(summary="Apply a template (replaces the template's existing rule)",
                         examples=[ex.RULE_IN, ex.RULE]),
    update=extend_schema(summary="Replace a template rule", examples=[ex.RULE_IN, ex.RULE]),
    partial_update=extend_schema(summary="Change a template rule", examples=[ex.RULE_PATCH, ex.RULE]),
    destroy=extend_schema(summary="Stop applying a template (its variants stay)"),
)
class TemplateRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = TemplateRule.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = ss.TemplateRuleSerializer
    write_actions = dict.fromkeys(["create", "update", "partial_update", "destroy"], Action.EDIT_SETTINGS)

    def get_queryset(self) -> QuerySet[TemplateRule]:
        return TemplateRule.objects.filter(shop=self.shop).prefetch_related("markets")

    def _save(self, data: dict[str, Any], rule: TemplateRule | None = None) -> TemplateRule:
        market_ids = data.pop("market_ids", None)
        if rule is not None:
            if data.get("template_slug", rule.template_slug) != rule.template_slug:
                raise serializers.ValidationError({"template_slug": "a rule's template cannot change; add a rule"})
            current = {"product_types": rule.product_types, "tags": rule.tags, "vendors": rule.vendors,
                       "enabled": rule.enabled, "template_slug": rule.template_slug}
            data = {**current, **data}
            if market_ids is None:
                market_ids = [market.pk for market in rule.markets.all()]
        markets = list(Market.objects.filter(shop=self.shop, pk__in=market_ids or []))
        missing = sorted(set(market_ids or []) - {market.pk for market in markets})
        if missing:
            raise serializers.ValidationError({"market_ids": [f"no market {missing[0]} in this shop"]})
        return template_services.rule_set(shop=self.shop, markets=markets, **data)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = self._save(dict(serializer.validated_data))
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        rule = self._save(dict(serializer.validated_data), rule)
        return Response(self.get_serializer(rule).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        template_services.rule_delete(shop=self.shop, rule_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- glossary -------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the glossary", examples=[ex.GLOSSARY]),
    retrieve=extend_schema(summary="One glossary entry", examples=[ex.GLOSSARY]),
    create=extend_schema(summary="Add or replace a phrase's translation", examples=[ex.GLOSSARY_IN, ex.GLOSSARY]),
    update=extend_schema(summary="Replace a glossary entry", examples=[ex.GLOSSARY_IN, ex.GLOSSARY]),
    partial_update=extend_schema(summary="Change a glossary entry", examples=[ex.GLOSSARY_PATCH, ex.GLOSSARY]),
    destroy=extend_schema(summary="Delete a glossary entry"),
    import_csv=extend_schema(summary="Import glossary entries from CSV", request=ss.GlossaryImportSerializer,
                             responses={200: ss.GlossaryImportResultSerializer}, examples=[ex.GLOSSARY_IMPORTED]),
    export_csv=extend_schema(summary="Export the glossary as CSV", responses={
        (200, CSV_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR, examples=[ex.GLOSSARY_CSV])}),
)
class GlossaryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = GlossaryEntry.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = ss.GlossaryEntrySerializer
    write_actions = dict.fromkeys(["create", "update", "partial_update", "destroy", "import_csv"],
                                  Action.EDIT_SETTINGS)

    def get_queryset(self) -> QuerySet[GlossaryEntry]:
        return GlossaryEntry.objects.filter(shop=self.shop)

    def _refused(self, exc: ValueError) -> serializers.ValidationError:
        return serializers.ValidationError({"non_field_errors": [str(exc)]})

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            entry = template_services.glossary_set(shop=self.shop, **serializer.validated_data)
        except ValueError as exc:
            raise self._refused(exc) from None
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        entry = self.get_object()
        serializer = self.get_serializer(entry, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = {"source_text": entry.source_text, "locale": entry.locale, "translation": entry.translation,
                  **serializer.validated_data}
        try:
            entry = template_services.glossary_update(shop=self.shop, entry_id=entry.pk, **fields)
        except ValueError as exc:
            raise self._refused(exc) from None
        return Response(self.get_serializer(entry).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        template_services.glossary_delete(shop=self.shop, entry_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser],
            filter_backends=[], pagination_class=None)
    def import_csv(self, request: Request) -> Response:
        serializer = ss.GlossaryImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            upload = serializer.validated_data["file"]
            result = template_services.glossary_import_csv(shop=self.shop, data=upload.read())
        except ValueError as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from None
        return Response(ss.GlossaryImportResultSerializer(result).data)

    @action(detail=False, methods=["get"], url_path="export", filter_backends=[], pagination_class=None,
            renderer_classes=[CsvRenderer, JSONRenderer])
    def export_csv(self, request: Request) -> HttpResponse:
        response = HttpResponse(template_selectors.glossary_csv(self.shop),
                                content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="glossary.csv"'
        return response


# --- team and tokens ------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="Members of the shop and their roles", examples=[ex.MEMBERSHIP]),
    retrieve=extend_schema(summary="One member", examples=[ex.MEMBERSHIP]),
    create=extend_schema(summary="Invite a person by e-mail with a role", request=ss.InviteSerializer,
                         responses={201: ss.MembershipSerializer}, examples=[ex.INVITE, ex.MEMBERSHIP]),
    partial_update=extend_schema(summary="Change a member's role", examples=[ex.ROLE_PATCH, ex.MEMBERSHIP]),
    destroy=extend_schema(summary="Remove a member from the shop"),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = ShopMembership.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = ss.MembershipSerializer
    write_actions = dict.fromkeys(["create", "partial_update", "destroy"], Action.MANAGE_TEAM)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ShopMembership]:
        return ShopMembership.objects.filter(shop=self.shop).select_related("user")

    def create(self, request: Request) -> Response:
        serializer = ss.InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = merchants.membership_invite(shop=self.shop, actor=self.actor, **serializer.validated_data)
        return Response(ss.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        membership = self.get_object()
        serializer = self.get_serializer(membership, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "role" in serializer.validated_data:
            membership = merchants.membership_set_role(
                shop=self.shop, membership_id=membership.pk, role=serializer.validated_data["role"], actor=self.actor)
        return Response(self.get_serializer(membership).data)

    def destroy(self, request: Request, pk: str) -> Response:
        merchants.membership_remove(shop=self.shop, membership_id=self.get_object().pk, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="API tokens (yours; every member's for owners)", examples=[ex.TOKEN]),
    retrieve=extend_schema(summary="One API token", examples=[ex.TOKEN]),
    create=extend_schema(summary="Create a personal API token (shown once)",
                         responses={201: ss.ApiTokenCreatedSerializer},
                         examples=[ex.TOKEN_IN, ex.TOKEN_CREATED]),
    destroy=extend_schema(summary="Revoke an API token"),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = ApiToken.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = ss.ApiTokenSerializer
    # Any member may make and revoke tokens for themselves; other members' tokens need MANAGE_TEAM.
    write_actions = {"create": Action.VIEW, "destroy": Action.VIEW}
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        from vitrine.api.permissions import caller_can

        tokens = api_tokens_of(self.shop)
        if not caller_can(self.request, self.shop, Action.MANAGE_TEAM):
            tokens = tokens.filter(user=self.request.user)
        return tokens

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        caller = request.auth if isinstance(request.auth, Caller) else None
        own = role_in(request.user, self.shop)
        ceiling = caller.role_cap if caller is not None and caller.role_cap else own
        role = serializer.validated_data.get("role") or ceiling
        if ceiling is None or not api_services.role_at_most(role, ceiling) or (
                own is not None and not api_services.role_at_most(role, own)):
            raise serializers.ValidationError({"role": [f"a token cannot have more rights than you ({ceiling})"]})
        token, raw = api_services.api_token_create(shop=self.shop, user=request.user, role=role,
                                                   name=serializer.validated_data.get("name", ""), actor=self.actor)
        data = {**ss.ApiTokenSerializer(token).data, "token": raw}
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        api_services.api_token_revoke(shop=self.shop, token_id=self.get_object().pk, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)
