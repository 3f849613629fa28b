"""Fixtures of the records tests (services, search, API).

`env`: company ─┬─ sales ── east (team)
               └─ service
with the system roles: gm (general_manager, company), manager (department_manager, sales),
rep (sales_rep, east), rep2 (sales_rep, sales), service (service_staff, service),
admin (administrator, company).
`new_customer(name="…", actor=rep, **data)`: a customer created through the service (no duplicate check).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from guanxi.accounts.roles import ensure_system_roles, grant_new_permissions
from guanxi.customers import services
from guanxi.customers.customfields import install_template
from tests.support import org

BACKEND = "guanxi.accounts.backends.PositionBackend"


@pytest.fixture
def env(db):
    from guanxi.accounts.models import Role

    ensure_system_roles()
    grant_new_permissions("customers")
    install_template()
    roles = {r.code: r for r in Role.objects.all()}
    units = org.make_units()
    gm = org.make_user(roles["general_manager"], units.company, username="gm", full_name="总经理")
    manager = org.make_user(roles["department_manager"], units.sales, username="manager", full_name="王经理")
    rep = org.make_user(roles["sales_rep"], units.east, username="rep", full_name="张三", reports_to=manager)
    rep2 = org.make_user(roles["sales_rep"], units.sales, username="rep2", full_name="李四", reports_to=manager)
    service = org.make_user(roles["service_staff"], units.service, username="service", full_name="客服")
    admin = org.make_user(roles["administrator"], units.company, username="admin", full_name="管理员")
    return SimpleNamespace(units=units, roles=roles, gm=gm, manager=manager, rep=rep, rep2=rep2, service=service, admin=admin)


@pytest.fixture
def new_customer(env):
    def make(name="华新钢铁集团有限公司", actor=None, contacts=(), **data):
        return services.create_customer(actor=actor or env.rep, data={"name": name, **data}, contacts=contacts, check_duplicates=False)

    return make


@pytest.fixture
def api(db):
    def make(user) -> APIClient:
        client = APIClient()
        if user.language != "en":  # messages are asserted in English
            user.language = "en"
            user.save(update_fields=["language"])
        client.force_login(user, backend=BACKEND)
        return client

    return make
