"""Fixtures of the duplicate check, archive scan and merge tests.

- `make_customer(name, unit=None, *, owner=None, contacts=(), **fields)`: a customer saved
  directly with the model, its keys (name_key, trade_key, phone_key, pinyin) set through
  customers.normalize, optionally with contacts (dicts of Contact fields).
- `org_env`: company ─┬─ east ── east_team
                      └─ west
  with rep_east (scope self, in east), rep_west (scope self, in west), manager_east (unit_tree,
  in east, may merge) and archivist (all, may archive), each allowed to view/add/change customers.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guanxi.customers import normalize
from guanxi.customers.models import Contact, Customer
from tests.support import org

CUSTOMER_PERMS = ["customers.view_customer", "customers.add_customer", "customers.change_customer"]
MERGE = "customers.merge_customer"
ARCHIVE = "customers.archive_customer"


def set_keys(customer: Customer) -> None:
    customer.name_key = normalize.name_key(customer.name)
    customer.trade_key = normalize.trade_key(customer.name)
    customer.pinyin, customer.initials = normalize.pinyin_keys(customer.name)
    customer.phone_key = normalize.phone_key(customer.phone)


@pytest.fixture
def org_env(db):
    company = org.make_unit("Dup Company", kind="company")
    east = org.make_unit("Dup East", company)
    east_team = org.make_unit("Dup East Team", east, kind="team")
    west = org.make_unit("Dup West", company)
    rep_east = org.make_user("dup_rep", east, scope="self", permissions=CUSTOMER_PERMS, full_name="张东")
    rep_west = org.make_user("dup_rep", west, full_name="李西")
    manager_east = org.make_user("dup_manager", east, scope="unit_tree", permissions=[*CUSTOMER_PERMS, MERGE], full_name="王经理")
    archivist = org.make_user("dup_archivist", company, scope="all", permissions=[*CUSTOMER_PERMS, ARCHIVE, MERGE], full_name="赵文员")
    return SimpleNamespace(
        company=company,
        east=east,
        east_team=east_team,
        west=west,
        rep_east=rep_east,
        rep_west=rep_west,
        manager_east=manager_east,
        archivist=archivist,
    )


@pytest.fixture
def make_customer(org_env):
    def _make(name, unit=None, *, owner=None, contacts=(), **fields):
        customer = Customer(name=name, unit=unit or org_env.east, owner=owner or org_env.rep_east, **fields)
        set_keys(customer)
        customer.save()
        for c in contacts:
            Contact.objects.create(customer=customer, **c)
        return customer

    return _make
