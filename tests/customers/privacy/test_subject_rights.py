"""Consent per contact and the data subject's rights (F-SEC-3): consent add/withdraw, export of
the person's data (JSON/xlsx), correction — each audited, each within the data scope."""

import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from guanxi.core.errors import DomainError
from guanxi.core.models import AuditEvent
from guanxi.customers import privacy
from guanxi.customers.models import Consent, Contact

from .conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db


def events(kind):
    return AuditEvent.objects.filter(event_type=f"personal_data.{kind}")


CONSENT = {"purpose": "客户关系维护", "lawful_basis": "consent", "notice_version": "2024-1", "given_at": "2024-05-03"}


# --- consent --------------------------------------------------------------------------------


def test_add_and_withdraw_consent_through_the_pages(login, plain_user, contact):
    client = login(plain_user)
    response = client.post(reverse("customers:consent_add", args=[contact.pk]), CONSENT)
    assert response.status_code == 302
    consent = contact.consents.get()
    assert (consent.purpose, consent.lawful_basis, consent.notice_version, consent.given_at) == (
        "客户关系维护",
        "consent",
        "2024-1",
        dt.date(2024, 5, 3),
    )
    assert consent.withdrawn_at is None
    assert events("consent_given").get().data["consent"] == consent.pk

    page = client.get(reverse("customers:contact_privacy", args=[contact.pk])).content.decode()
    assert "客户关系维护" in page and reverse("customers:consent_withdraw", args=[consent.pk]) in page

    response = client.post(reverse("customers:consent_withdraw", args=[consent.pk]))
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at == timezone.localdate()
    assert events("consent_withdrawn").get().data["consent"] == consent.pk
    assert not privacy.active_consents(contact).exists()


def test_consent_bad_input_is_a_form_error(login, plain_user, contact):
    client = login(plain_user)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(reverse("customers:consent_add", args=[contact.pk]), {**CONSENT, "given_at": future})
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode() or "不能" in response.content.decode()
    response = client.post(reverse("customers:consent_add", args=[contact.pk]), {**CONSENT, "lawful_basis": "because"})
    assert response.status_code == 200
    assert not Consent.objects.exists()


def test_consent_withdrawn_twice_is_refused(plain_user, contact):
    consent = privacy.add_consent(
        contact, actor=plain_user, purpose="营销", lawful_basis="consent", notice_version="1", given_at=dt.date(2024, 1, 1)
    )
    privacy.withdraw_consent(consent, actor=plain_user)
    with pytest.raises(DomainError, match="already been withdrawn"):
        privacy.withdraw_consent(consent, actor=plain_user)


def test_consent_out_of_scope_is_not_found(login, outsider, plain_user, contact):
    consent = privacy.add_consent(
        contact, actor=plain_user, purpose="营销", lawful_basis="consent", notice_version="1", given_at=dt.date(2024, 1, 1)
    )
    client = login(outsider)
    assert client.post(reverse("customers:consent_add", args=[contact.pk]), CONSENT).status_code == 404
    assert client.post(reverse("customers:consent_withdraw", args=[consent.pk])).status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


# --- export for the data subject ------------------------------------------------------------


def test_export_json_for_the_subject(login, privileged_user, contact):
    privacy.add_consent(
        contact, actor=privileged_user, purpose="营销", lawful_basis="contract", notice_version="1", given_at=dt.date(2024, 1, 1)
    )
    response = login(privileged_user).get(reverse("customers:contact_data_export", args=[contact.pk]) + "?format=json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="contact-{contact.pk}.json"'
    data = json.loads(response.content)
    assert data["contact"]["mobile"] == MOBILE and data["contact"]["id_number"] == ID_NUMBER
    assert data["contact"]["birthday"] == "1990-03-07" and data["contact"]["customer"] == contact.customer.name
    assert data["consents"][0]["purpose"] == "营销" and data["consents"][0]["lawful_basis"] == "contract"
    event = events("exported").get()
    assert event.data == {"contact": contact.pk, "customer": contact.customer_id, "format": "json"}
    assert event.actor == privileged_user


def test_export_xlsx_for_the_subject(login, privileged_user, contact):
    contact.hobbies = "=HYPERLINK(1)"
    contact.save()
    response = login(privileged_user).get(reverse("customers:contact_data_export", args=[contact.pk]) + "?format=xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    values = [cell for row in wb.worksheets[0].iter_rows(values_only=True) for cell in row]
    assert MOBILE in values and ID_NUMBER in values
    assert "'=HYPERLINK(1)" in values  # formula-injection safe
    assert events("exported").get().data["format"] == "xlsx"


def test_export_needs_the_rights_and_the_scope(login, plain_user, outsider, make_user, units, contact):
    url = reverse("customers:contact_data_export", args=[contact.pk])
    assert login(plain_user).get(url).status_code == 403  # no right to personal data
    no_export = make_user("privacy_noexport", units.sales, scope="unit", permissions=[*privacy_perms(), privacy.VIEW_PERSONAL])
    assert login(no_export).get(url).status_code == 403  # no export permission
    assert login(outsider).get(url).status_code == 404
    assert not events("exported").exists()


def test_export_bad_format_is_a_400(login, privileged_user, contact):
    response = login(privileged_user).get(reverse("customers:contact_data_export", args=[contact.pk]) + "?format=exe")
    assert response.status_code == 400
    assert not events("exported").exists()


def privacy_perms():
    from .conftest import base_perms

    return base_perms()


# --- correction -----------------------------------------------------------------------------


def correction(**changes):
    data = {
        "name": "王小明",
        "phone": "0571-88886666",
        "mobile": MOBILE,
        "email": "wang@example.com",
        "birthday": "1990-03-07",
        "id_number": ID_NUMBER,
        "address": "浙江省杭州市西湖区文三路90号",
        "family": "已婚，一子",
        "reason": "本人来电要求更正",
    }
    data.update(changes)
    return data


def test_correction_page_reads_and_corrects(login, privileged_user, contact):
    client = login(privileged_user)
    url = reverse("customers:contact_correct", args=[contact.pk])
    page = client.get(url)
    assert page.status_code == 200 and MOBILE in page.content.decode()
    assert events("viewed").get().data["purpose"] == "correction"

    response = client.post(url, correction(mobile="139 8765 4321", address="浙江省杭州市滨江区江南大道1号"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.mobile == "13987654321" and contact.address == "浙江省杭州市滨江区江南大道1号"
    event = events("corrected").get()
    assert event.data["fields"] == ["mobile", "address"] and event.data["reason"] == "本人来电要求更正"
    assert "13987654321" not in json.dumps(event.data)


def test_correction_bad_input_is_a_form_error(login, privileged_user, contact):
    client = login(privileged_user)
    url = reverse("customers:contact_correct", args=[contact.pk])
    response = client.post(url, correction(mobile="12345"))
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = client.post(url, correction(id_number="330106199003071235"))
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.mobile == MOBILE and contact.id_number == ID_NUMBER
    assert not events("corrected").exists()


def test_correction_needs_the_right_and_the_scope(login, plain_user, outsider, contact):
    url = reverse("customers:contact_correct", args=[contact.pk])
    assert login(plain_user).get(url).status_code == 403
    assert login(outsider).post(url, correction(mobile="13987654321")).status_code == 404
    assert Contact.objects.get(pk=contact.pk).mobile == MOBILE
