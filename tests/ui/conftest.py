"""Users for the UI tests, made directly from the accounts models: one role per test user
holding exactly the permission codes the test names."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from guanxi.accounts.models import OrgUnit, Position, Role, User
from guanxi.core import navigation

BACKEND = "guanxi.accounts.backends.PositionBackend"
_seq = itertools.count(1)


def nav_permissions() -> set[str]:
    """Every permission code the menu asks for."""
    codes = set()
    for node in navigation.MENU:
        for entry in getattr(node, "children", None) or (node,):
            if entry.perm:
                codes.add(entry.perm)
    return codes


def make_ui_user(permissions=(), *, role_code: str | None = None, full_name: str = "测试用户", scope: str = "all", **fields) -> User:
    n = next(_seq)
    unit, _ = OrgUnit.objects.get_or_create(code="ui-hq", defaults={"name": "UI HQ", "kind": "company"})
    role, _ = Role.objects.get_or_create(code=role_code or f"ui-role-{n}", defaults={"name": f"UI role {n}"})
    role.permissions = sorted(set(permissions))
    role.data_scope = scope
    role.save()
    user = User.objects.create(username=f"ui-user-{n}", full_name=full_name, **fields)
    user.set_unusable_password()
    user.save()
    Position.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def ui_user(db):
    return make_ui_user


@pytest.fixture
def client_for(db):
    def _client(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user, backend=BACKEND)
        return client

    return _client


@pytest.fixture
def admin_user(db):
    """Holds every permission the menu asks for, plus the working-day codes."""
    codes = nav_permissions() | {f"core.{a}_workdayoverride" for a in ("view", "add", "change", "delete")}
    return make_ui_user(codes, role_code="administrator", full_name="管理员")


@pytest.fixture
def plain_user(db):
    return make_ui_user([], full_name="普通用户")
