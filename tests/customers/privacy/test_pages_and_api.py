"""Masking on the records pages and the API (F-ORG-5): a user without the right sees masked
personal fields on the customer page and in /api/contacts/; with the right the values stay
masked until revealed, and the reveal is audited."""

import pytest
from django.urls import NoReverseMatch, reverse

from guanxi.core.models import AuditEvent
from guanxi.customers.models import Customer

from .conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db


def url_or_skip(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"{name} is not built yet")


def contacts_api(client, contact, **params):
    return client.get("/api/contacts/", {"customer": contact.customer_id, **params}, HTTP_ACCEPT="application/json")


def row_for(response, contact):
    data = response.json()
    rows = data.get("results", data) if isinstance(data, dict) else data
    return next(r for r in rows if r["id"] == contact.pk)


def test_customer_page_masks_for_a_user_without_the_right(login, plain_user, contact):
    url = url_or_skip("customers:detail", contact.customer_id)
    response = login(plain_user).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "138****5678" in html
    assert MOBILE not in html and ID_NUMBER not in html
    assert reverse("customers:reveal_personal", args=[contact.pk]) not in html


def test_customer_page_offers_reveal_to_a_user_with_the_right(login, privileged_user, contact):
    url = url_or_skip("customers:detail", contact.customer_id)
    client = login(privileged_user)
    html = client.get(url).content.decode()
    assert "138****5678" in html and MOBILE not in html
    assert reverse("customers:reveal_personal", args=[contact.pk]) in html
    response = client.post(reverse("customers:reveal_personal", args=[contact.pk]), {"field": "mobile"}, HTTP_HX_REQUEST="true")
    assert MOBILE in response.content.decode()
    assert AuditEvent.objects.filter(event_type="personal_data.viewed", subject_id=str(contact.pk)).count() == 1


def test_api_masks_for_a_user_without_the_right(login, plain_user, contact):
    client = login(plain_user)
    response = contacts_api(client, contact)
    if response.status_code == 404:
        pytest.skip("the contacts API is not built yet")
    assert response.status_code == 200
    row = row_for(response, contact)
    assert row["mobile"] == "138****5678" and row["id_number"] == "330***********1236" and row["birthday"] == "****-**-**"
    row = row_for(contacts_api(client, contact, reveal="true"), contact)
    assert row["mobile"] == "138****5678"
    assert not AuditEvent.objects.filter(event_type="personal_data.viewed").exists()


def test_api_reveals_for_a_user_with_the_right_and_audits(login, privileged_user, contact):
    client = login(privileged_user)
    response = contacts_api(client, contact)
    if response.status_code == 404:
        pytest.skip("the contacts API is not built yet")
    assert row_for(response, contact)["mobile"] == "138****5678"
    assert not AuditEvent.objects.filter(event_type="personal_data.viewed").exists()
    row = row_for(contacts_api(client, contact, reveal="true"), contact)
    assert row["mobile"] == MOBILE and row["id_number"] == ID_NUMBER
    assert AuditEvent.objects.filter(event_type="personal_data.viewed", actor=privileged_user).exists()


def test_api_out_of_scope_contact_is_not_found(login, outsider, contact):
    response = login(outsider).get(f"/api/contacts/{contact.pk}/", {"reveal": "true"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert Customer.objects.filter(pk=contact.customer_id).exists()
    assert not AuditEvent.objects.filter(event_type="personal_data.viewed").exists()


def test_changed_personal_values_do_not_leak_through_the_timeline(login, plain_user, contact):
    url = url_or_skip("customers:detail", contact.customer_id)
    contact.mobile = "13900001111"
    contact.save()
    html = login(plain_user).get(url).content.decode()
    assert "13900001111" not in html and MOBILE not in html
