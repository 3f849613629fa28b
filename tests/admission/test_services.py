"""Admission rules: checklist per category from the policy, exemption, submission through the
approval engine, rejection, expiry reminders, bad uploads."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.admission import rules, services, uploads
from guanxi.admission.models import Admission, AdmissionItem, AdmissionStatus
from guanxi.approvals import services as approvals
from guanxi.approvals.models import ApprovalRequest
from guanxi.core.errors import Conflict, DomainError
from guanxi.core.models import AuditEvent
from guanxi.notifications.models import Notification
from guanxi.policy.schema.grading import GradingPolicy
from guanxi.policy.services import current

from .conftest import make_customer, pdf, png

pytestmark = pytest.mark.django_db

ALL = ["business_licence", "tax_registration", "good_credit", "signed_contract", "no_illegal_record", "qualifications"]


@pytest.fixture
def grading_policy(monkeypatch):
    """Replaces the grading section the admission rules read (the rest stays real)."""

    def use(version=9, **clauses):
        grading = GradingPolicy(**clauses)
        monkeypatch.setattr(rules, "_policy", lambda: SimpleNamespace(version=version, grading=grading))
        return grading

    return use


def fill(admission, actor, *, expires=None, skip=()):
    today = dt.date.today()
    for item in admission.items.filter(required=True):
        if item.code in skip:
            continue
        rule = rules.ITEMS[item.code]
        services.update_item(
            item,
            actor=actor,
            confirmed=True,
            document_no="X-1",
            issued_on=today - dt.timedelta(days=30),
            expires_on=(expires or today + dt.timedelta(days=400)) if rule.has_expiry else None,
        )
        if rule.needs_document:
            services.add_document(item, actor=actor, upload=pdf())


# ---------------------------------------------------------------- checklist from the policy


def test_default_checklist_is_the_seed_list_for_every_category(adm):
    grading = current().grading
    for category in ("supplier", "distributor", "agreement", "direct", "special", "outlet"):
        assert rules.checklist_for(category) == (ALL, f"grading.admission_checklist_by_category.{category}")
    assert grading.admission_expiry_reminder_days == 30
    admission = services.start(adm.customer, actor=adm.rep)
    assert admission.checklist == ALL
    assert sorted(admission.items.values_list("code", flat=True)) == sorted(ALL)
    assert admission.status == AdmissionStatus.DRAFT and admission.completeness == 0
    assert admission.clause == "grading.admission_checklist_by_category.distributor"


def test_checklist_per_category_and_fallback(adm, grading_policy):
    grading_policy(
        admission_checklist=["business_licence", "signed_contract"],
        admission_checklist_by_category={"distributor": ["business_licence", "qualifications"]},
    )
    assert rules.checklist_for("distributor") == (
        ["business_licence", "qualifications"],
        "grading.admission_checklist_by_category.distributor",
    )
    assert rules.checklist_for("direct") == (["business_licence", "signed_contract"], "grading.admission_checklist")
    admission = services.start(adm.customer, actor=adm.rep)
    assert set(admission.items.values_list("code", flat=True)) == {"business_licence", "qualifications"}
    direct = services.start(make_customer(adm.rep, adm.units.east, category="direct"), actor=adm.rep)
    assert set(direct.items.values_list("code", flat=True)) == {"business_licence", "signed_contract"}


def test_policy_refuses_an_unknown_item():
    with pytest.raises(ValueError):
        GradingPolicy(admission_checklist_by_category={"distributor": ["astrology_chart"]})


def test_checklist_change_is_picked_up_on_submit(adm, grading_policy):
    grading_policy(admission_checklist_by_category={"distributor": ["business_licence"]})
    admission = services.start(adm.customer, actor=adm.rep)
    fill(admission, adm.rep)
    grading_policy(admission_checklist_by_category={"distributor": ["business_licence", "good_credit"]})
    with pytest.raises(DomainError, match="Good credit"):
        services.submit(admission, actor=adm.rep)
    # Nothing half-applied: the refused submission leaves the admission as it was.
    assert not AdmissionItem.objects.filter(admission=admission, code="good_credit").exists()


# ---------------------------------------------------------------- exemption


@pytest.mark.parametrize("kind", ["retail", "related_party"])
def test_retail_and_related_party_are_exempt(adm, kind):
    admission = services.start(adm.customer, actor=adm.rep, kind=kind, reason="门店零售")
    assert admission.status == AdmissionStatus.EXEMPT
    assert admission.clause == "grading.admission_exempt" and admission.policy_version == current().version
    with pytest.raises(Conflict):
        services.submit(admission, actor=adm.rep)
    event = AuditEvent.objects.get(event_type="admission.started", subject_id=str(admission.pk))
    assert event.data["status"] == "exempt" and event.data["clause"] == "grading.admission_exempt"


def test_exemption_needs_a_reason_and_the_policy(adm, grading_policy):
    with pytest.raises(DomainError, match="reason") as err:
        services.start(adm.customer, actor=adm.rep, kind="retail", reason="  ")
    assert err.value.field == "exemption_reason"
    assert not Admission.objects.exists()
    grading_policy(admission_exempt=["related_party"])
    with pytest.raises(DomainError, match="does not exempt"):
        services.start(adm.customer, actor=adm.rep, kind="retail", reason="零售")
    assert not Admission.objects.exists()


def test_exemption_can_be_set_and_removed(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    admission = services.update(admission, actor=adm.rep, kind="related_party", reason="集团内部单位")
    assert admission.status == AdmissionStatus.EXEMPT
    admission = services.update(admission, actor=adm.rep, kind="regular")
    assert admission.status == AdmissionStatus.DRAFT and admission.exemption_reason == ""
    assert AuditEvent.objects.filter(event_type="admission.exemption_removed").exists()


def test_one_admission_per_customer(adm):
    services.start(adm.customer, actor=adm.rep)
    with pytest.raises(Conflict):
        services.start(adm.customer, actor=adm.rep)


# ---------------------------------------------------------------- submission and decision


def test_submit_refused_while_items_are_missing(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    fill(admission, adm.rep, skip=("qualifications", "signed_contract"))
    with pytest.raises(DomainError) as err:
        services.submit(admission, actor=adm.rep)
    message = str(err.value)
    assert "Required qualifications" in message and "Signed purchase contract" in message
    assert "Business licence" not in message
    assert set(err.value.params["missing"]) == {"qualifications", "signed_contract"}
    assert not ApprovalRequest.objects.exists()
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.DRAFT
    assert set(admission.missing_items) == {"qualifications", "signed_contract"}


def test_document_and_expiry_are_required_where_they_apply(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    item = admission.items.get(code="qualifications")
    services.update_item(item, actor=adm.rep, confirmed=True)
    assert services.problems(admission)["qualifications"] == ["no document uploaded", "no expiry date"]
    services.add_document(item, actor=adm.rep, upload=png())
    services.update_item(item, actor=adm.rep, confirmed=True, expires_on=dt.date.today() - dt.timedelta(days=1))
    assert services.problems(admission)["qualifications"] == ["expired"]
    # "No illegal record" needs neither a file nor a date.
    services.update_item(admission.items.get(code="no_illegal_record"), actor=adm.rep, confirmed=True, expires_on=dt.date(2030, 1, 1))
    assert "no_illegal_record" not in services.problems(admission)
    assert admission.items.get(code="no_illegal_record").expires_on is None


def test_approval_through_the_engine_admits_the_customer(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    fill(admission, adm.rep)
    admission = services.submit(admission, actor=adm.rep)
    assert admission.status == AdmissionStatus.SUBMITTED
    req = admission.approval_request
    assert req.action == "admission.decide" and req.clause == "approvals.flows.admission.decide"
    assert list(req.steps.get().assignments.values_list("approver_id", flat=True)) == [adm.dm.pk]
    # Items are locked while it waits; the requester may not approve.
    with pytest.raises(Conflict):
        services.update_item(admission.items.first(), actor=adm.rep, confirmed=False)
    with pytest.raises(DomainError):
        approvals.approve(req.pk, adm.rep)
    approvals.approve(req.pk, adm.dm)
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.APPROVED and admission.admitted_at is not None
    assert admission.decided_by == adm.dm
    assert admission.policy_version == current().version
    assert admission.clause == "grading.admission_checklist_by_category.distributor"
    event = AuditEvent.objects.get(event_type="admission.approved")
    assert event.subject_id == str(adm.customer.pk)
    assert event.data["clause"] == admission.clause and event.data["policy_version"] == admission.policy_version
    assert Notification.objects.filter(recipient=adm.rep, kind="admission.approved").exists()


def test_rejection_returns_it_with_the_comment_and_allows_a_new_submission(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    fill(admission, adm.rep)
    admission = services.submit(admission, actor=adm.rep)
    approvals.reject(admission.approval_request_id, adm.dm, comment="营业执照复印件不清晰")
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.REJECTED and admission.decision_comment == "营业执照复印件不清晰"
    assert Notification.objects.filter(recipient=adm.rep, kind="admission.rejected").exists()
    services.add_document(admission.items.get(code="business_licence"), actor=adm.rep, upload=pdf("clear.pdf"))
    admission = services.submit(admission, actor=adm.rep)
    assert admission.status == AdmissionStatus.SUBMITTED
    with pytest.raises(Conflict):
        services.submit(admission, actor=adm.rep)


def test_withdrawing_returns_to_draft(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    fill(admission, adm.rep)
    admission = services.submit(admission, actor=adm.rep)
    approvals.cancel(admission.approval_request_id, adm.rep)
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.DRAFT


# ---------------------------------------------------------------- expiry


def test_expiry_reminder_once_then_expired_once(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    today = dt.date.today()
    fill(admission, adm.rep)
    admission = services.submit(admission, actor=adm.rep)
    approvals.approve(admission.approval_request_id, adm.dm)
    item = admission.items.get(code="qualifications")
    services_item_expiry(item, today + dt.timedelta(days=20))

    counts = services.check_expiry(today)
    assert counts == {"reminded": 1, "expired": 0}
    reminders = Notification.objects.filter(kind="admission.expiring")
    assert set(reminders.values_list("recipient_id", flat=True)) == {adm.rep.pk, adm.archivist.pk}
    assert services.check_expiry(today) == {"reminded": 0, "expired": 0}
    assert services.check_expiry(today + dt.timedelta(days=1)) == {"reminded": 0, "expired": 0}
    assert reminders.count() == 2
    item.refresh_from_db()
    assert item.reminded_for == item.expires_on and item.clause == "grading.admission_expiry_reminder_days"

    later = today + dt.timedelta(days=21)
    assert services.check_expiry(later) == {"reminded": 0, "expired": 1}
    assert services.check_expiry(later) == {"reminded": 0, "expired": 0}
    assert Notification.objects.filter(kind="admission.expired").count() == 2
    admission.refresh_from_db()
    assert admission.expired_items == ["qualifications"]
    assert AuditEvent.objects.filter(event_type="admission.item_expired").count() == 1


def test_reminder_window_comes_from_the_policy(adm, grading_policy):
    grading_policy(admission_expiry_reminder_days=10)
    admission = services.start(adm.customer, actor=adm.rep)
    today = dt.date.today()
    services.update_item(
        admission.items.get(code="business_licence"), actor=adm.rep, confirmed=True, expires_on=today + dt.timedelta(days=20)
    )
    assert services.check_expiry(today)["reminded"] == 0
    assert services.check_expiry(today + dt.timedelta(days=10))["reminded"] == 1


def test_renewal_resets_the_reminder(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    today = dt.date.today()
    item = admission.items.get(code="business_licence")
    services.update_item(item, actor=adm.rep, confirmed=True, expires_on=today + dt.timedelta(days=5))
    assert services.check_expiry(today)["reminded"] == 1
    services.update_item(item, actor=adm.rep, confirmed=True, expires_on=today + dt.timedelta(days=15))
    assert services.check_expiry(today)["reminded"] == 1


def test_exempt_admissions_are_not_reminded(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    services.update_item(
        admission.items.get(code="business_licence"), actor=adm.rep, confirmed=True, expires_on=dt.date.today() + dt.timedelta(days=5)
    )
    services.update(admission, actor=adm.rep, kind="retail", reason="零售")
    assert services.check_expiry() == {"reminded": 0, "expired": 0}


def test_periodic_task_is_registered_and_runs(adm):
    from guanxi.admission.tasks import check_expiry
    from guanxi.core.periodic import JOBS

    assert "admission.check_expiry" in JOBS
    assert check_expiry(dt.date.today().isoformat()) == {"reminded": 0, "expired": 0}


def services_item_expiry(item, date):
    services.update_item(item, actor=None, confirmed=True, document_no=item.document_no, issued_on=item.issued_on, expires_on=date)


# ---------------------------------------------------------------- uploads


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.pdf", "empty"),
        (b"MZ\x90\x00" + b"\x00" * 40, "licence.pdf", "program"),
        (b"\x7fELF" + b"\x00" * 40, "licence.png", "program"),
        (b"<html><script>alert(1)</script></html>", "licence.pdf", "Only PDF"),
        (b"PK\x03\x04" + b"\x00" * 40, "licence.jpg", "Only PDF"),
    ],
)
def test_bad_uploads_are_refused(adm, content, name, message):
    admission = services.start(adm.customer, actor=adm.rep)
    item = admission.items.get(code="business_licence")
    with pytest.raises(DomainError, match=message):
        services.add_document(item, actor=adm.rep, upload=SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert not item.documents.exists()


def test_too_big_upload_is_refused(adm, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_DOCUMENT_BYTES", 100)
    admission = services.start(adm.customer, actor=adm.rep)
    item = admission.items.get(code="business_licence")
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 200, content_type="application/pdf")
    with pytest.raises(DomainError, match="at most"):
        services.add_document(item, actor=adm.rep, upload=big)


def test_content_type_comes_from_the_content(adm):
    admission = services.start(adm.customer, actor=adm.rep)
    item = admission.items.get(code="business_licence")
    doc = services.add_document(
        item, actor=adm.rep, upload=SimpleUploadedFile("x.exe", b"\x89PNG\r\n\x1a\n" + b"0" * 20, content_type="text/html")
    )
    assert doc.content_type == "image/png" and doc.name == "x.exe"
