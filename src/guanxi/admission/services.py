"""Customer admission 客户准入 (SPEC F-GRD-5; seed 002 客户管理制度 §五.1.1–1.2).

Rules:
- Each sales department applies an admission procedure before doing business with a customer
  (§五.1.1). The conditions (§五.1.2 a–e): business licence and tax registration (a), good
  commercial reputation (b), a signed purchase contract (c), no illegal record (d), the
  qualifications for the products concerned (e). Which of them a customer needs comes from the
  policy per customer category (`grading.admission_checklist_by_category`, falling back to
  `grading.admission_checklist`) — see rules.py.
- The admission procedure does not apply to retail customers and related-party customers
  内部关联交易客户 (§五.1.1, `grading.admission_exempt`). The customer record has no such flag,
  so the kind of customer is stored on the Admission with the reason; an exempt admission has
  status "exempt" and records the policy version and clause.
- `submit()` refuses while a required item is not satisfied (rules.item_problems) and lists
  them; otherwise it opens an "admission.decide" request in the approval engine (department
  manager by default, `approvals.flows.admission.decide`). On final approval the customer is
  admitted (status "approved", audit `admission.approved` on the customer with the policy
  version and clause); a rejection sends it back with the approver's comment; withdrawing
  returns it to draft.
- Documents expire: the daily `admission.check_expiry` task notifies the customer's owner and
  the archivists of its unit `grading.admission_expiry_reminder_days` days before an item
  expires (once per expiry date), and marks items expired when the date has passed (once); an
  expired required item shows on the customer page.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError

from . import rules, uploads
from .models import Admission, AdmissionDocument, AdmissionItem, AdmissionStatus, CustomerKind

ACTION = "admission.decide"
ARCHIVIST_ROLE = "archivist"


# ---------------------------------------------------------------- checklist state


def _sync_checklist(admission: Admission) -> None:
    """Items for every code the policy requires for the customer's category; items the policy
    no longer asks for stay (with their documents) but are no longer required."""
    codes, clause = rules.checklist_for(admission.customer.category)
    existing = {item.code: item for item in admission.items.all()}
    for code in codes:
        item = existing.get(code)
        if item is None:
            AdmissionItem.objects.create(admission=admission, code=code, required=True)
        elif not item.required:
            item.required = True
            item.save(update_fields=["required"])
    for code, item in existing.items():
        if code not in codes and item.required:
            item.required = False
            item.save(update_fields=["required"])
    admission.checklist = codes
    admission.clause = clause
    admission.policy_version = rules.policy_version()


def problems(admission: Admission, today: dt.date | None = None) -> dict[str, list[str]]:
    """{item code: reasons} for every required item that is not satisfied."""
    out = {}
    items = admission.items.annotate(n_docs=Count("documents")).filter(required=True)
    for item in items:
        reasons = rules.item_problems(item, item.n_docs, today)
        if reasons:
            out[item.code] = reasons
    return out


def _refresh(admission: Admission, today: dt.date | None = None) -> None:
    """Completeness, missing and expired items, next expiry (kept on the row for lists)."""
    today = today or timezone.localdate()
    required = list(admission.items.filter(required=True).annotate(n_docs=Count("documents")))
    missing = [i.code for i in required if rules.item_problems(i, i.n_docs, today)]
    expired = [i.code for i in required if rules.is_expired(i, today)]
    upcoming = [i.expires_on for i in required if i.expires_on is not None and i.expires_on >= today]
    admission.missing_items = missing
    admission.expired_items = expired
    admission.completeness = round(100 * (len(required) - len(missing)) / len(required)) if required else 100
    admission.next_expiry = min(upcoming) if upcoming else None
    admission.save()


def _missing_message(missing: dict[str, list[str]]) -> str:
    parts = [f"{rules.label(code)} ({', '.join(reasons)})" for code, reasons in missing.items()]
    return _("The admission cannot be submitted while required items are missing: %(items)s.") % {"items": "; ".join(parts)}


# ---------------------------------------------------------------- start / kind


def _exempt(admission: Admission, kind: str, reason: str) -> None:
    if not reason.strip():
        raise DomainError(_("Give the reason why this customer is exempt from admission."), field="exemption_reason")
    if not rules.is_exempt_kind(kind):
        raise DomainError(
            _("The policy does not exempt this kind of customer from admission (see grading.admission_exempt)."), field="customer_kind"
        )
    admission.status = AdmissionStatus.EXEMPT
    admission.policy_version = rules.policy_version()
    admission.clause = rules.EXEMPT_CLAUSE


@transaction.atomic
def start(customer, *, actor=None, kind: str = CustomerKind.REGULAR, reason: str = "", notes: str = "") -> Admission:
    """Opens the admission of a customer with the checklist of its category."""
    if kind not in CustomerKind.values:
        raise DomainError(_("Unknown kind of customer."), field="customer_kind")
    if Admission.objects.filter(customer=customer).exists():
        raise Conflict(_("This customer already has an admission record."), field="customer", code="exists")
    admission = Admission(customer=customer, customer_kind=kind, exemption_reason=reason.strip(), notes=notes, created_by=actor)
    admission.save()
    _sync_checklist(admission)
    if kind != CustomerKind.REGULAR:
        _exempt(admission, kind, reason)
    _refresh(admission)
    audit.record(
        "admission.started",
        subject=admission,
        actor=actor,
        data={
            "customer": customer.pk,
            "kind": kind,
            "status": admission.status,
            "checklist": admission.checklist,
            "policy_version": admission.policy_version,
            "clause": admission.clause,
        },
    )
    return admission


@transaction.atomic
def update(admission: Admission, *, actor=None, kind: str, reason: str = "", notes: str | None = None) -> Admission:
    """Changes the kind of customer (exempting it or removing the exemption) and the notes."""
    admission = Admission.objects.select_for_update().get(pk=admission.pk)
    if kind not in CustomerKind.values:
        raise DomainError(_("Unknown kind of customer."), field="customer_kind")
    reason = (reason or "").strip()
    old_kind, old_status = admission.customer_kind, admission.status
    if notes is not None:
        admission.notes = notes
    if kind != old_kind or (kind != CustomerKind.REGULAR and reason != admission.exemption_reason):
        if admission.status == AdmissionStatus.SUBMITTED:
            raise Conflict(_("The admission is waiting for approval; withdraw the request before changing the kind of customer."))
        if admission.status == AdmissionStatus.APPROVED and kind != CustomerKind.REGULAR:
            raise Conflict(_("The customer is already admitted; an admitted customer cannot be made exempt."), field="customer_kind")
        admission.customer_kind = kind
        admission.exemption_reason = reason if kind != CustomerKind.REGULAR else ""
        if kind != CustomerKind.REGULAR:
            _exempt(admission, kind, reason)
        elif old_status == AdmissionStatus.EXEMPT:
            admission.status = AdmissionStatus.DRAFT
            _sync_checklist(admission)
        _refresh(admission)
        event = "admission.exempted" if admission.status == AdmissionStatus.EXEMPT else "admission.exemption_removed"
        audit.record(
            event,
            subject=admission,
            actor=actor,
            data={
                "customer": admission.customer_id,
                "kind": [old_kind, kind],
                "reason": admission.exemption_reason,
                "policy_version": admission.policy_version,
                "clause": admission.clause,
            },
        )
    else:
        admission.save()
        audit.record("admission.updated", subject=admission, actor=actor, data={"customer": admission.customer_id})
    return admission


# ---------------------------------------------------------------- items and documents


def _editable(admission: Admission) -> None:
    if admission.status == AdmissionStatus.SUBMITTED:
        raise Conflict(_("The admission is waiting for approval; withdraw the request to change it."))
    if admission.status == AdmissionStatus.EXEMPT:
        raise Conflict(_("The customer is exempt from admission; there is no checklist to fill in."))


@transaction.atomic
def update_item(
    item: AdmissionItem,
    *,
    actor=None,
    confirmed: bool,
    document_no: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    note: str = "",
) -> AdmissionItem:
    admission = Admission.objects.select_for_update().get(pk=item.admission_id)
    _editable(admission)
    item = AdmissionItem.objects.get(pk=item.pk)
    if issued_on and expires_on and expires_on < issued_on:
        raise DomainError(_("The expiry date is before the issue date."), field="expires_on")
    rule = rules.ITEMS.get(item.code)
    if rule and not rule.has_expiry:
        expires_on = None
    before = {"confirmed": item.confirmed, "expires_on": item.expires_on}
    if expires_on != item.expires_on:
        item.reminded_for = None
        item.expired_at = None
    if confirmed and not item.confirmed:
        item.confirmed_by, item.confirmed_at = actor, timezone.now()
    elif not confirmed:
        item.confirmed_by, item.confirmed_at = None, None
    item.confirmed = confirmed
    item.document_no = document_no.strip()
    item.issued_on = issued_on
    item.expires_on = expires_on
    item.note = note
    item.save()
    _refresh(admission)
    audit.record(
        "admission.item_updated",
        subject=admission,
        actor=actor,
        data={
            "item": item.code,
            "confirmed": [before["confirmed"], item.confirmed],
            "expires_on": [str(before["expires_on"] or ""), str(item.expires_on or "")],
        },
    )
    return item


@transaction.atomic
def add_document(item: AdmissionItem, *, actor=None, upload, name: str = "") -> AdmissionDocument:
    """Stores an uploaded scan/photo for an item after checking its size and content."""
    content_type = uploads.check_document(upload)
    admission = Admission.objects.select_for_update().get(pk=item.admission_id)
    _editable(admission)
    original = (name or getattr(upload, "name", "") or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    document = AdmissionDocument.objects.create(
        item=item, file=upload, name=original, content_type=content_type, size=uploads._size(upload), uploaded_by=actor
    )
    _refresh(admission)
    audit.record(
        "admission.document_added",
        subject=admission,
        actor=actor,
        data={"item": item.code, "document": document.pk, "name": document.name, "size": document.size},
    )
    return document


@transaction.atomic
def remove_document(document: AdmissionDocument, *, actor=None) -> None:
    admission = Admission.objects.select_for_update().get(pk=document.item.admission_id)
    _editable(admission)
    data = {"item": document.item.code, "document": document.pk, "name": document.name}
    document.delete()  # the file stays in storage: history keeps its path
    _refresh(admission)
    audit.record("admission.document_removed", subject=admission, actor=actor, data=data)


# ---------------------------------------------------------------- decision


@transaction.atomic
def submit(admission: Admission, *, actor) -> Admission:
    """Sends the admission for the decision (approval engine); refused while a required item
    is missing, with the list of what is missing."""
    from guanxi.approvals import services as approvals

    admission = Admission.objects.select_for_update().get(pk=admission.pk)
    if admission.status == AdmissionStatus.EXEMPT:
        raise Conflict(_("The customer is exempt from admission; there is nothing to submit."))
    if admission.status == AdmissionStatus.SUBMITTED:
        raise Conflict(_("The admission is already waiting for approval."), code="already_pending")
    if admission.status == AdmissionStatus.APPROVED:
        raise Conflict(_("The customer is already admitted."))
    _sync_checklist(admission)
    _refresh(admission)
    missing = problems(admission)
    if missing:
        raise DomainError(_missing_message(missing), field="items", code="missing_items", params={"missing": missing})
    request = approvals.submit(
        ACTION,
        target=admission,
        requester=actor,
        unit=admission.customer.unit,
        title=_("Admission of %(customer)s") % {"customer": admission.customer.name},
        payload={
            "customer": admission.customer.name,
            "category": admission.customer.category,
            "checklist": [rules.label(c) for c in admission.checklist],
            "clause": admission.clause,
        },
    )
    admission.status = AdmissionStatus.SUBMITTED
    admission.approval_request = request
    admission.submitted_at, admission.submitted_by = timezone.now(), actor
    admission.decision_comment = ""
    admission.save()
    audit.record(
        "admission.submitted",
        subject=admission,
        actor=actor,
        data={
            "customer": admission.customer_id,
            "approval": request.pk,
            "policy_version": request.policy_version,
            "clause": admission.clause,
        },
    )
    return admission


def _of(request) -> Admission | None:
    return Admission.objects.select_for_update().filter(pk=int(request.object_id)).select_related("customer").first()


def _rejection_comment(request) -> str:
    from guanxi.approvals.models import ApprovalAssignment, Decision

    assignment = ApprovalAssignment.objects.filter(step__request=request, decision=Decision.REJECTED).order_by("-pk").first()
    return assignment.comment if assignment else ""


def _tell_requester(admission: Admission, request, title: str) -> None:
    from guanxi.notifications.services import notify

    notify(
        [request.requester, admission.customer.owner],
        kind=f"admission.{admission.status}",
        title=title,
        url=admission.get_absolute_url(),
        subject=admission,
    )


def apply_approved(request) -> None:
    """Approval hook: the customer is admitted."""
    admission = _of(request)
    if admission is None:
        return
    _sync_checklist(admission)
    clause = admission.clause
    admission.status = AdmissionStatus.APPROVED
    admission.decided_at = admission.admitted_at = timezone.now()
    admission.decided_by = request.decided_by
    admission.policy_version = request.policy_version or admission.policy_version
    admission.clause = clause
    _refresh(admission)
    audit.record(
        "admission.approved",
        subject=admission.customer,
        actor=request.decided_by,
        data={
            "admission": admission.pk,
            "approval": request.pk,
            "policy_version": admission.policy_version,
            "clause": clause,
            "approval_clause": request.clause,
            "checklist": admission.checklist,
        },
    )
    _tell_requester(admission, request, _("%(customer)s is admitted.") % {"customer": admission.customer.name})


def reject_approval(request) -> None:
    admission = _of(request)
    if admission is None:
        return
    admission.status = AdmissionStatus.REJECTED
    admission.decided_at, admission.decided_by = timezone.now(), request.decided_by
    admission.decision_comment = _rejection_comment(request)
    admission.save()
    audit.record(
        "admission.rejected",
        subject=admission,
        actor=request.decided_by,
        data={"customer": admission.customer_id, "approval": request.pk, "comment": admission.decision_comment},
    )
    _tell_requester(admission, request, _("The admission of %(customer)s was rejected.") % {"customer": admission.customer.name})


def cancel_approval(request) -> None:
    admission = _of(request)
    if admission is None:
        return
    admission.status = AdmissionStatus.DRAFT
    admission.save()
    audit.record("admission.withdrawn", subject=admission, actor=request.requester, data={"approval": request.pk})


def describe_approval(request) -> str:
    admission = Admission.objects.filter(pk=int(request.object_id)).select_related("customer").first()
    if admission is None:
        return ""
    lines = [f"{admission.customer.name} · {admission.customer.get_category_display()}"]
    for item in admission.items.filter(required=True).annotate(n_docs=Count("documents")):
        expiry = f" · {_('expires')} {item.expires_on}" if item.expires_on else ""
        lines.append(f"✓ {rules.label(item.code)}{expiry} · {_('%(n)d file(s)') % {'n': item.n_docs}}")
    return "\n".join(lines)


# ---------------------------------------------------------------- expiry


def _recipients(admission: Admission) -> list:
    from django.contrib.auth import get_user_model

    from guanxi.approvals.services import role_holders

    ids = set(role_holders(ARCHIVIST_ROLE, admission.customer.unit_id))
    if admission.customer.owner_id:
        ids.add(admission.customer.owner_id)
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


def check_expiry(today: dt.date | None = None) -> dict[str, int]:
    """The daily check (idempotent): reminders `grading.admission_expiry_reminder_days` before an
    item expires, once per expiry date; items past their date marked expired, once. Exempt
    admissions are skipped. Returns {"reminded": n, "expired": n}."""
    from guanxi.notifications.services import notify

    today = today or timezone.localdate()
    days = rules.reminder_days()
    version = rules.policy_version()
    live = AdmissionItem.objects.exclude(admission__status=AdmissionStatus.EXEMPT).filter(expires_on__isnull=False, required=True)
    counts = {"reminded": 0, "expired": 0}

    due = live.filter(expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=days)).exclude(reminded_for=F("expires_on"))
    for item in due.select_related("admission__customer").order_by("pk"):
        with transaction.atomic():
            if AdmissionItem.objects.select_for_update().filter(pk=item.pk, reminded_for=item.expires_on).exists():
                continue
            admission = item.admission
            left = (item.expires_on - today).days
            notify(
                _recipients(admission),
                kind="admission.expiring",
                title=_("%(item)s of %(customer)s expires on %(date)s")
                % {"item": rules.label(item.code), "customer": admission.customer.name, "date": item.expires_on.isoformat()},
                body=_("%(days)d days left. Upload the renewed document on the admission page.") % {"days": left},
                url=admission.get_absolute_url(),
                subject=admission,
            )
            AdmissionItem.objects.filter(pk=item.pk).update(
                reminded_for=item.expires_on, policy_version=version, clause=rules.REMINDER_CLAUSE
            )
            audit.record(
                "admission.expiry_reminded",
                subject=admission,
                data={
                    "item": item.code,
                    "expires_on": item.expires_on.isoformat(),
                    "policy_version": version,
                    "clause": rules.REMINDER_CLAUSE,
                },
            )
            counts["reminded"] += 1

    expired = live.filter(expires_on__lt=today, expired_at__isnull=True)
    for item in expired.select_related("admission__customer").order_by("pk"):
        with transaction.atomic():
            if not AdmissionItem.objects.select_for_update().filter(pk=item.pk, expired_at__isnull=True).exists():
                continue
            admission = item.admission
            AdmissionItem.objects.filter(pk=item.pk).update(expired_at=timezone.now(), policy_version=version, clause=rules.REMINDER_CLAUSE)
            _refresh(admission, today)
            notify(
                _recipients(admission),
                kind="admission.expired",
                title=_("%(item)s of %(customer)s has expired") % {"item": rules.label(item.code), "customer": admission.customer.name},
                url=admission.get_absolute_url(),
                subject=admission,
            )
            audit.record(
                "admission.item_expired",
                subject=admission,
                data={
                    "item": item.code,
                    "expires_on": item.expires_on.isoformat(),
                    "policy_version": version,
                    "clause": rules.REMINDER_CLAUSE,
                },
            )
            counts["expired"] += 1
    return counts
