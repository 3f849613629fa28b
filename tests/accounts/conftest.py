"""Fixtures of the accounts tests: the system roles and a small organisation using them.

company (HQ) ─┬─ sales ── east (team)
              └─ service
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from guanxi.accounts.models import Position, Role
from guanxi.accounts.roles import ensure_system_roles
from tests.support import org

PASSWORD = "Correct-horse-9-battery"
BACKEND = "guanxi.accounts.backends.PositionBackend"


@pytest.fixture
def system_roles(db):
    ensure_system_roles()  # the migration made them; a flushed (transactional) database has not
    return {r.code: r for r in Role.objects.all()}


@pytest.fixture
def company(system_roles):
    units = org.make_units()
    r = system_roles

    def person(role, unit, name, reports_to=None):
        user = org.make_user(r[role], unit, username=name, password=PASSWORD, reports_to=reports_to)
        return user

    admin = person("administrator", units.company, "admin")
    gm = person("general_manager", units.company, "gm")
    manager = person("department_manager", units.sales, "manager")
    rep = person("sales_rep", units.east, "rep", reports_to=manager)
    rep2 = person("sales_rep", units.sales, "rep2", reports_to=manager)
    service = person("service_staff", units.service, "service")
    return SimpleNamespace(units=units, roles=r, admin=admin, gm=gm, manager=manager, rep=rep, rep2=rep2, service=service)


@pytest.fixture
def client_for(db):
    def make(user) -> Client:
        c = Client()
        c.force_login(user, backend=BACKEND)
        return c

    return make


def role_of(user) -> Role:
    return Position.objects.get(user=user).role
