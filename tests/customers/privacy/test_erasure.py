"""Erasure (F-SEC-3): the contact is anonymised, its field-history rows stay (who and when) but
no longer hold the values, the reason is audited; only with `customers.erase_contact` and within
scope. On PostgreSQL the history tables stay append-only outside an erasure."""

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from guanxi.core.errors import DomainError, NotAllowed
from guanxi.core.models import AuditEvent
from guanxi.customers import privacy
from guanxi.customers.models import Contact

from .conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db

OLD_VALUES = ("王小明", MOBILE, ID_NUMBER, "文三路", "已婚", "围棋", "wang@example.com", "88886666")


def history_dump(contact) -> str:
    rows = list(Contact.history.model.objects.filter(id=contact.pk).values())
    return json.dumps(rows, default=str, ensure_ascii=False)


@pytest.fixture
def changed_contact(contact, eraser):
    """A contact with some history: a second version with another mobile."""
    contact.mobile = "13900001111"
    contact.save()
    contact.mobile = MOBILE
    contact.save()
    return contact


def test_erasure_anonymises_and_keeps_history_without_the_values(login, eraser, changed_contact):
    contact = changed_contact
    before = list(
        Contact.history.model.objects.filter(id=contact.pk)
        .order_by("history_id")
        .values("history_id", "history_date", "history_type", "history_user_id")
    )
    assert len(before) == 3 and "13900001111" in history_dump(contact)

    client = login(eraser)
    privacy.reveal(contact, "mobile", actor=eraser)  # an audited reading before the erasure
    url = reverse("customers:contact_erase", args=[contact.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "本人 2024-05-03 书面申请删除", "confirm": "on"})
    assert response.status_code == 302

    contact.refresh_from_db()
    assert contact.name == f"已删除联系人 #{contact.pk}"
    assert contact.erased_at is not None
    for field in privacy.ERASED_FIELDS:
        assert getattr(contact, field) in ("", None), field
    assert contact.title == "采购经理"  # the customer's organisation is not personal data

    after = list(
        Contact.history.model.objects.filter(id=contact.pk)
        .order_by("history_id")
        .values("history_id", "history_date", "history_type", "history_user_id")
    )
    assert after[: len(before)] == before  # the old rows are kept, with their who and when
    assert len(after) == len(before) + 1  # plus the erasure itself
    dump = history_dump(contact)
    for value in (*OLD_VALUES, "13900001111"):
        assert value not in dump, value

    event = AuditEvent.objects.get(event_type="personal_data.erased")
    assert event.actor == eraser
    assert event.data["reason"] == "本人 2024-05-03 书面申请删除"
    assert event.data["contact"] == contact.pk and event.data["history_rows"] == len(before) + 1
    assert MOBILE not in json.dumps(event.data, ensure_ascii=False)
    # The append-only audit log never held the person's name: every event of the contact
    # (created, viewed, corrected, erased…) names it by its customer and id.
    events = AuditEvent.objects.filter(subject_type__model="contact", subject_id=str(contact.pk))
    assert events.count() >= 2
    log = json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)
    for value in OLD_VALUES:
        assert value not in log, value
    assert {e.subject_repr for e in events} == {contact.customer.name}

    page = client.get(reverse("customers:contact_privacy", args=[contact.pk])).content.decode()
    assert f"已删除联系人 #{contact.pk}" in page and reverse("customers:reveal_personal", args=[contact.pk]) not in page


def test_erasure_needs_the_permission(login, privileged_user, contact):
    url = reverse("customers:contact_erase", args=[contact.pk])
    assert login(privileged_user).post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    assert Contact.objects.get(pk=contact.pk).erased_at is None
    with pytest.raises(NotAllowed):
        privacy.erase_contact(contact, actor=privileged_user, reason="x")


def test_erasure_out_of_scope_is_not_found(login, outsider, contact):
    url = reverse("customers:contact_erase", args=[contact.pk])
    assert login(outsider).post(url, {"reason": "x", "confirm": "on"}).status_code == 404
    assert Contact.objects.get(pk=contact.pk).mobile == MOBILE


def test_erasure_needs_a_reason_and_a_confirmation(login, eraser, contact):
    client = login(eraser)
    url = reverse("customers:contact_erase", args=[contact.pk])
    assert client.post(url, {"reason": "", "confirm": "on"}).status_code == 200
    assert client.post(url, {"reason": "request"}).status_code == 200
    assert Contact.objects.get(pk=contact.pk).erased_at is None
    with pytest.raises(DomainError, match="reason"):
        privacy.erase_contact(contact, actor=eraser, reason="  ")
    assert not AuditEvent.objects.filter(event_type="personal_data.erased").exists()


def test_an_erased_contact_cannot_be_erased_revealed_or_exported_again(login, eraser, contact):
    privacy.erase_contact(contact, actor=eraser, reason="request")
    with pytest.raises(DomainError, match="already been erased"):
        privacy.erase_contact(contact, actor=eraser, reason="request")
    with pytest.raises(DomainError):
        privacy.export_subject_data(contact, actor=eraser)
    assert privacy.reveal(Contact.objects.get(pk=contact.pk), "mobile", actor=eraser) == ""


@pytest.mark.postgres_only
def test_history_stays_append_only_after_an_erasure(eraser, changed_contact):
    privacy.erase_contact(changed_contact, actor=eraser, reason="request")
    model = Contact.history.model
    row = model.objects.filter(id=changed_contact.pk).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(title="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('guanxi.erasure', true)")
        assert cur.fetchone()[0] == "off"


def test_a_failed_erasure_changes_nothing(eraser, contact, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(privacy.audit, "record", boom)  # fails after the history was blanked
    with pytest.raises(RuntimeError):
        privacy.erase_contact(contact, actor=eraser, reason="request")
    assert MOBILE in history_dump(contact)
    assert Contact.objects.get(pk=contact.pk).mobile == MOBILE
