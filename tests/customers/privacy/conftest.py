"""Fixtures for the personal-data tests: a customer of the Sales unit with one contact, and
users of that unit with and without the right to see personal information. Customers and
contacts are created directly with the models (independent of the records services)."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.customers import privacy
from guanxi.customers.models import Contact, Customer
from tests.support.org import perms, unique

MOBILE = "13812345678"
ID_NUMBER = "330106199003071236"


def base_perms():
    return [*perms(Customer, "view", "change"), *perms(Contact, "view", "change")]


@pytest.fixture
def customer(units):
    return Customer.objects.create(name=unique("华新钢铁"), unit=units.sales)


@pytest.fixture
def contact(customer):
    return Contact.objects.create(
        customer=customer,
        name="王小明",
        title="采购经理",
        phone="0571-88886666",
        mobile=MOBILE,
        email="wang@example.com",
        birthday=dt.date(1990, 3, 7),
        id_number=ID_NUMBER,
        address="浙江省杭州市西湖区文三路90号",
        family="已婚，一子",
        hobbies="围棋",
    )


@pytest.fixture
def plain_user(units, make_user):
    """Sales unit, may see and change contacts, but not their personal information."""
    return make_user("privacy_plain", units.sales, scope="unit", permissions=base_perms(), language="en")


@pytest.fixture
def privileged_user(units, make_user):
    """Sales unit, may see personal information and export contacts."""
    return make_user(
        "privacy_priv",
        units.sales,
        scope="unit",
        permissions=[*base_perms(), *perms(Contact, "export"), privacy.VIEW_PERSONAL],
        language="en",  # messages are asserted in English
    )


@pytest.fixture
def eraser(units, make_user):
    return make_user(
        "privacy_eraser",
        units.sales,
        scope="unit",
        permissions=[*base_perms(), privacy.VIEW_PERSONAL, privacy.ERASE_CONTACT],
        language="en",  # messages are asserted in English
    )


@pytest.fixture
def outsider(units, make_user):
    """Service unit, has every right but the contact is out of scope."""
    return make_user(
        "privacy_outsider",
        units.service,
        scope="unit",
        permissions=[*base_perms(), *perms(Contact, "export"), privacy.VIEW_PERSONAL, privacy.ERASE_CONTACT],
        language="en",  # messages are asserted in English
    )
