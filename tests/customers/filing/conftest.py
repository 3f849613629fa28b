"""Fixtures of the filing & completeness tests.

- `make_customer(unit, **fields)`: a customer saved directly (the records service is not needed
  to test filing), optionally with contacts.
- `archivist(unit)`: a user holding the archive permission with data scope "unit" in `unit`.
"""

from __future__ import annotations

import pytest

from guanxi.customers.models import Contact, Customer
from tests.support import org

ARCHIVE = "customers.archive_customer"
VIEW = "customers.view_customer"


@pytest.fixture
def make_customer(db):
    def _make(unit, *, contacts=(), **fields):
        fields.setdefault("name", org.unique("华新钢铁"))
        customer = Customer.objects.create(unit=unit, **fields)
        for c in contacts:
            Contact.objects.create(customer=customer, **c)
        return customer

    return _make


@pytest.fixture
def archivist(db):
    def _make(unit, *, scope="unit", role=None):
        return org.make_user(role or org.unique("archivist"), unit, scope=scope, permissions=[ARCHIVE, VIEW], language="en")

    return _make
