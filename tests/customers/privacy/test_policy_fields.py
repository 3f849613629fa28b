"""Which contact fields are personal information is the policy's (security.personal_data_fields,
F-ORG-5): a field it adds is masked and revealed with an audit event everywhere — page, API,
export, search hits —, a field it leaves out is shown as it is and cannot be "revealed"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.models import AuditEvent
from guanxi.customers import privacy

from .conftest import MOBILE

PHONE = "0571-88886666"


@pytest.fixture
def phone_not_birthday(monkeypatch):
    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    data = default_policy().model_dump(mode="json")
    data["security"]["personal_data_fields"] = ["mobile", "phone", "id_number", "address", "family_background"]
    policy = policy_services.validate(data).with_version(9)
    monkeypatch.setattr(policy_services, "current", lambda: policy)
    return policy


def test_the_policy_names_the_personal_fields(phone_not_birthday):
    assert privacy.personal_fields() == ("mobile", "phone", "id_number", "address", "family")


def test_the_customer_page_masks_what_the_policy_lists(login, plain_user, contact, phone_not_birthday):
    html = login(plain_user).get(reverse("customers:detail", args=[contact.customer_id])).content.decode()
    assert PHONE not in html and "0571-****6666" in html  # now personal
    assert "1990-03-07" in html  # no longer personal: shown as it is
    assert MOBILE not in html


def test_reveal_follows_the_policy(login, privileged_user, contact, phone_not_birthday):
    client = login(privileged_user)
    url = reverse("customers:reveal_personal", args=[contact.pk])
    assert PHONE in client.post(url, {"field": "phone"}, HTTP_HX_REQUEST="true").content.decode()
    assert AuditEvent.objects.get(event_type="personal_data.viewed").data["field"] == "phone"
    assert client.post(url, {"field": "birthday"}, HTTP_HX_REQUEST="true").status_code == 400


def test_api_and_export_mask_what_the_policy_lists(login, plain_user, contact, phone_not_birthday):
    from guanxi.customers import exports
    from guanxi.customers.models import Customer

    data = login(plain_user).get(f"/api/contacts/{contact.pk}/").json()
    assert data["phone"] == "0571-****6666" and data["birthday"] == "1990-03-07"
    data = privacy.masked_contact(contact, plain_user)
    assert data["phone"] == "0571-****6666" and data["birthday"] == "1990-03-07"
    contact.is_primary = True
    contact.save()
    (row,) = exports._rows(Customer.objects.filter(pk=contact.customer_id), reveal=False)
    assert "0571-****6666" in row and "138****5678" in row and PHONE not in row and MOBILE not in row
    (row,) = exports._rows(Customer.objects.filter(pk=contact.customer_id), reveal=True)
    assert PHONE in row and MOBILE in row
