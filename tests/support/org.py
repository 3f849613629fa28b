"""Plain factories for the organisation: units, roles and users with a position.

Tests get permissions the way real users do: a Position in an OrgUnit with a Role whose
`permissions` list and `data_scope` the test sets. Nothing here uses Django groups or
per-user permissions (the PositionBackend ignores them).

    unit = make_unit("Sales")
    rep = make_user("sales_rep", unit, scope="self", permissions=perms(Customer, "view", "change"))

Roles are looked up by code and shared: asking for an existing code with `permissions` or
`scope` updates that role (and so every user holding it). Roles seeded by migrations may be
absent after a transactional test (the database is flushed), so nothing here relies on them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from types import SimpleNamespace

from django.db import models

from guanxi.accounts.models import DataScope, OrgUnit, Position, Role, UnitKind, User
from guanxi.core.querysets import permission_code

ACTIONS = ("view", "add", "change", "delete", "export")
_seq = itertools.count(1)


def unique(prefix: str = "x") -> str:
    """A short name unique within the test run (usernames, codes, object names)."""
    return f"{prefix}-{next(_seq)}"


def perms(model: type[models.Model], *actions: str) -> list[str]:
    """Permission codes for `model`, e.g. perms(User, "view", "change"); all five without actions."""
    return [permission_code(model, a) for a in (actions or ACTIONS)]


def make_unit(
    name: str | None = None, parent: OrgUnit | None = None, *, kind: str = UnitKind.DEPARTMENT, code: str | None = None, **fields
) -> OrgUnit:
    name = name or unique("unit")
    code = code or unique("u")
    return OrgUnit.objects.create(name=name, code=code, kind=kind, parent=parent, **fields)


def make_role(
    code: str | None = None,
    *,
    permissions: Iterable[str] | None = None,
    scope: str | None = None,
    scope_overrides: dict | None = None,
    require_2fa: bool | None = None,
    name: str | None = None,
) -> Role:
    """Get or create the role `code`; the given settings are applied to it."""
    code = code or unique("role")
    changes = {
        k: v
        for k, v in {
            "permissions": list(permissions) if permissions is not None else None,
            "data_scope": scope,
            "scope_overrides": scope_overrides,
            "require_2fa": require_2fa,
            "name": name,
        }.items()
        if v is not None
    }
    role, created = Role.objects.get_or_create(code=code, defaults={"name": name or code, "data_scope": DataScope.SELF, **changes})
    if not created and changes:
        for k, v in changes.items():
            setattr(role, k, v)
        role.save()
    return role


def default_unit() -> OrgUnit:
    unit = OrgUnit.objects.filter(code="test-hq").first()
    return unit or make_unit("Test HQ", kind=UnitKind.COMPANY, code="test-hq")


def make_user(
    role: str | Role | None = None,
    unit: OrgUnit | None = None,
    *,
    scope: str | None = None,
    permissions: Iterable[str] | None = None,
    username: str | None = None,
    password: str | None = None,
    reports_to: User | None = None,
    **fields,
) -> User:
    """A user with one current position: `role` (a code or Role; a fresh role when None) in
    `unit` (a shared "Test HQ" unit when None). `scope` and `permissions` set the role's data
    scope and permission codes. Without `password` the password is unusable (use
    client.force_login); with one, the user can log in through the form."""
    if not isinstance(role, Role):
        role = make_role(role, permissions=permissions, scope=scope)
    elif permissions is not None or scope is not None:
        role = make_role(role.code, permissions=permissions, scope=scope)
    unit = unit or default_unit()
    username = username or unique("user")
    user = User(username=username, full_name=fields.pop("full_name", username), **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    Position.objects.create(user=user, unit=unit, role=role, reports_to=reports_to)
    return user


def make_units() -> SimpleNamespace:
    """A small tree:  company ─┬─ sales ── east (team)
    └─ service"""
    company = make_unit("Test Company", kind=UnitKind.COMPANY)
    sales = make_unit("Sales", company)
    east = make_unit("Sales East", sales, kind=UnitKind.TEAM)
    service = make_unit("Service", company)
    return SimpleNamespace(company=company, sales=sales, east=east, service=service)
