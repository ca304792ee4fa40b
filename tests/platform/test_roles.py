"""The one role table: what each role may do, and the shops each user's actions reach."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from vitrine.platform.models import Shop, ShopMembership
from vitrine.platform.roles import Action, Role, require, role_in, shops_where, user_can

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops() -> tuple[Shop, Shop]:
    return (Shop.objects.create(provider="csvfile", external_id="a", name="Acme"),
            Shop.objects.create(provider="csvfile", external_id="b", name="Globex"))


def member(name: str, shop: Shop, role: str) -> User:
    user = User.objects.create_user(name, password="x-password-123")
    ShopMembership.objects.create(user=user, shop=shop, role=role)
    return user


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.OWNER, set(Action.values)),
    (Role.EDITOR, {"view", "review", "request_variants", "publish", "edit_settings"}),
    (Role.REVIEWER, {"view", "review"}),
    (Role.VIEWER, {"view"}),
])
def test_each_role_may_do_exactly_its_actions(shops, role, allowed):
    user = member("u", shops[0], role)
    assert {action for action in Action.values if user_can(user, shops[0], action)} == allowed
    assert not any(user_can(user, shops[1], action) for action in Action.values)


def test_scopes_follow_the_role_and_never_reach_another_shop(shops):
    acme, globex = shops
    reviewer = member("r", acme, Role.REVIEWER)
    assert list(shops_where(reviewer, Action.VIEW)) == [acme]
    assert list(shops_where(reviewer, Action.PUBLISH)) == []
    with pytest.raises(PermissionDenied, match="publish approved variants"):
        require(reviewer, acme, Action.PUBLISH)
    assert role_in(reviewer, globex) is None


def test_superusers_own_every_shop_and_inactive_users_nothing(shops):
    root = User.objects.create_superuser("root", password="x-password-123")
    assert role_in(root, shops[1]) == Role.OWNER and shops_where(root, Action.MANAGE_TEAM).count() == 2
    owner = member("o", shops[0], Role.OWNER)
    owner.is_active = False
    owner.save()
    assert not user_can(owner, shops[0], Action.VIEW)
