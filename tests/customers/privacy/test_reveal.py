"""Personal fields are masked for everybody; a user with `customers.view_personal_contact`
reveals one value at a time (audited `personal_data.viewed`); without the right → 403; out of
scope → 404."""

import pytest
from django.urls import reverse

from guanxi.core.models import AuditEvent
from guanxi.customers import privacy

from .conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def viewed():
    return AuditEvent.objects.filter(event_type="personal_data.viewed")


def reveal(client, contact, field="mobile", **extra):
    return client.post(reverse("customers:reveal_personal", args=[contact.pk]), {"field": field}, **extra)


def test_without_the_right_the_page_is_masked_and_has_no_reveal_button(login, plain_user, contact):
    response = login(plain_user).get(reverse("customers:contact_privacy", args=[contact.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "138****5678" in html
    assert MOBILE not in html and ID_NUMBER not in html and "西湖区" not in html
    assert "330***********1236" in html and "浙江省杭州市****" in html
    assert reverse("customers:reveal_personal", args=[contact.pk]) not in html


def test_without_the_right_reveal_is_refused(login, plain_user, contact):
    response = reveal(login(plain_user), contact, **HX)
    assert response.status_code == 403
    assert MOBILE not in response.content.decode()
    assert not viewed().exists()


def test_with_the_right_values_stay_masked_until_revealed(login, privileged_user, contact):
    client = login(privileged_user)
    page = client.get(reverse("customers:contact_privacy", args=[contact.pk])).content.decode()
    assert "138****5678" in page and MOBILE not in page
    assert reverse("customers:reveal_personal", args=[contact.pk]) in page
    assert not viewed().exists()

    response = reveal(client, contact, **HX)
    assert response.status_code == 200
    assert MOBILE in response.content.decode()
    event = viewed().get()
    assert event.actor == privileged_user
    assert event.data == {"contact": contact.pk, "customer": contact.customer_id, "field": "mobile"}
    assert event.subject_id == str(contact.pk)
    assert MOBILE not in str(event.data)


def test_reveal_as_json(login, privileged_user, contact):
    response = reveal(login(privileged_user), contact, "birthday")
    assert response.status_code == 200
    assert response.json() == {"contact": contact.pk, "field": "birthday", "value": "1990-03-07"}
    assert viewed().count() == 1


def test_reveal_out_of_scope_is_not_found(login, outsider, contact):
    response = reveal(login(outsider), contact, **HX)
    assert response.status_code == 404
    assert not viewed().exists()


def test_reveal_of_a_field_that_is_not_personal_is_a_400(login, privileged_user, contact):
    response = reveal(login(privileged_user), contact, "customer_id")
    assert response.status_code == 400
    assert "not a personal field" in response.json()["detail"]
    assert not viewed().exists()


def test_reveal_needs_post(login, privileged_user, contact):
    assert login(privileged_user).get(reverse("customers:reveal_personal", args=[contact.pk]) + "?field=mobile").status_code == 405


def test_privacy_page_out_of_scope_is_not_found(login, outsider, contact):
    assert login(outsider).get(reverse("customers:contact_privacy", args=[contact.pk])).status_code == 404


def test_privacy_page_without_contact_permission_is_forbidden(login, make_user, units, contact):
    user = make_user("privacy_nobody", units.sales, scope="unit", permissions=[privacy.VIEW_PERSONAL])
    assert login(user).get(reverse("customers:contact_privacy", args=[contact.pk])).status_code == 403


def test_masked_contact(plain_user, privileged_user, contact):
    data = privacy.masked_contact(contact, plain_user)
    assert data["mobile"] == "138****5678" and data["birthday"] == "****-**-**" and data["masked"] is True
    assert privacy.masked_contact(contact, plain_user, reveal=True)["mobile"] == "138****5678"
    assert not viewed().exists()

    assert privacy.masked_contact(contact, privileged_user)["id_number"] == "330***********1236"
    full = privacy.masked_contact(contact, privileged_user, reveal=True)
    assert full["mobile"] == MOBILE and full["id_number"] == ID_NUMBER and full["masked"] is False
    assert viewed().get().data["fields"] == list(privacy.personal_fields())


def test_permissions_are_registered():
    from guanxi.core.permissions import all_permissions

    privacy.register_permissions()
    codes = all_permissions()
    assert privacy.VIEW_PERSONAL in codes and privacy.ERASE_CONTACT in codes
