"""Requests of a person about their data (F-SEC-3): recorded with the policy's answer date
(security.personal_data_request_days), answered by the matching action or by hand, listed
within the contact's data scope, and reminded once when overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import DomainError, NotAllowed
from guanxi.core.models import AuditEvent
from guanxi.customers import privacy, privacy_requests
from guanxi.customers.models import PersonalDataRequest
from guanxi.customers.tasks_privacy import remind_overdue_personal_data_requests
from guanxi.notifications.models import Notification


def test_recorded_with_the_policy_deadline_and_audited(privileged_user, contact, monkeypatch):
    received = timezone.localdate() - dt.timedelta(days=2)
    request = privacy_requests.record(contact, actor=privileged_user, kind="access", received_on=received, note="电话来电")
    assert request.due_on == received + dt.timedelta(days=15) and request.clause == "security.personal_data_request_days"
    event = AuditEvent.objects.get(event_type="personal_data.request_received")
    assert (
        event.data["days"] == 15
        and event.data["policy_version"] == request.policy_version
        and event.data["due_on"] == request.due_on.isoformat()
    )

    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    data = default_policy().model_dump(mode="json")
    data["security"]["personal_data_request_days"] = 30
    monkeypatch.setattr(policy_services, "current", lambda: policy_services.validate(data).with_version(8))
    later = privacy_requests.record(contact, actor=privileged_user, kind="erasure", received_on=received)
    assert later.due_on == received + dt.timedelta(days=30) and later.policy_version == 8


def test_bad_input_and_rights(plain_user, privileged_user, contact):
    with pytest.raises(NotAllowed):
        privacy_requests.record(contact, actor=plain_user, kind="access", received_on=timezone.localdate())
    with pytest.raises(DomainError):
        privacy_requests.record(contact, actor=privileged_user, kind="access", received_on=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(DomainError):
        privacy_requests.record(contact, actor=privileged_user, kind="nonsense", received_on=timezone.localdate())
    request = privacy_requests.record(contact, actor=privileged_user, kind="other", received_on=timezone.localdate())
    with pytest.raises(DomainError):
        privacy_requests.close(request, actor=privileged_user, outcome="  ")
    privacy_requests.close(request, actor=privileged_user, outcome="已电话答复")
    with pytest.raises(DomainError):
        privacy_requests.close(request, actor=privileged_user, outcome="again")


def test_the_matching_action_answers_the_request(privileged_user, eraser, contact):
    today = timezone.localdate()
    access = privacy_requests.record(contact, actor=privileged_user, kind="access", received_on=today)
    erasure = privacy_requests.record(contact, actor=privileged_user, kind="erasure", received_on=today)
    privacy.export_subject_data(contact, actor=privileged_user, fmt="json")
    access.refresh_from_db()
    erasure.refresh_from_db()
    assert access.closed_at and access.closed_by == privileged_user and "export" in access.outcome
    assert erasure.closed_at is None  # an export does not answer an erasure
    privacy.erase_contact(contact, actor=eraser, reason="本人 2026-11-20 来函要求删除")
    erasure.refresh_from_db()
    assert erasure.closed_at and "erasure" in erasure.outcome
    closed = AuditEvent.objects.filter(event_type="personal_data.request_closed")
    assert closed.count() == 2 and all(e.data["automatic"] and e.data["clause"] == "security.personal_data_request_days" for e in closed)


def test_pages_record_list_and_close(login, privileged_user, plain_user, outsider, contact):
    client = login(privileged_user)
    page = reverse("customers:contact_privacy", args=[contact.pk])
    add = reverse("customers:personal_request_add", args=[contact.pk])
    assert add in client.get(page).content.decode()
    bad = client.post(add, {"kind": "access", "received_on": "2999-01-01", "note": "keep me"})
    assert bad.status_code == 200 and "future" in bad.content.decode() and "keep me" in bad.content.decode()
    response = client.post(add, {"kind": "correction", "received_on": timezone.localdate().isoformat()}, follow=True)
    assert "answer it by" in response.content.decode()
    request = PersonalDataRequest.objects.get()
    assert "Request about personal data recorded" in client.get(page).content.decode()  # the access list, in words
    listing = client.get(reverse("customers:personal_requests")).content.decode()
    assert contact.customer.name in listing
    client.post(reverse("customers:personal_request_close", args=[request.pk]), {"outcome": "已按本人要求更新地址"})
    request.refresh_from_db()
    assert request.outcome == "已按本人要求更新地址" and request.closed_by == privileged_user
    assert contact.customer.name in client.get(reverse("customers:personal_requests") + "?state=closed").content.decode()
    # Without the personal-data right: no list, no recording.
    assert login(plain_user).get(reverse("customers:personal_requests")).status_code == 403
    assert login(plain_user).post(add, {"kind": "access", "received_on": "2026-01-01"}).status_code == 403
    # Another unit's user with every right sees none of it (the contact's data scope).
    assert contact.customer.name not in login(outsider).get(reverse("customers:personal_requests") + "?state=all").content.decode()
    assert login(outsider).post(reverse("customers:personal_request_close", args=[request.pk]), {"outcome": "x"}).status_code == 404


def test_an_overdue_request_reminds_its_recorder_once(privileged_user, contact):
    long_ago = timezone.localdate() - dt.timedelta(days=40)
    privacy_requests.record(contact, actor=privileged_user, kind="access", received_on=long_ago)
    privacy_requests.record(contact, actor=privileged_user, kind="other", received_on=timezone.localdate())  # not due yet
    assert remind_overdue_personal_data_requests() == 1
    note = Notification.objects.get()
    assert note.recipient == privileged_user and note.url == reverse("customers:contact_privacy", args=[contact.pk])
    assert remind_overdue_personal_data_requests() == 0
