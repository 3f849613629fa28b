"""Requests of a person about their data (F-SEC-3; PIPL arts. 44–47, 50: answered in time):
recorded on the contact, answered within the policy's `security.personal_data_request_days` of
receipt.

- `record(contact, actor=, kind=, received_on=, note=)`: the answer date comes from the policy;
  audited with its version and clause.
- The matching action on the contact answers it: the data export answers "see or copy", a
  correction "correct", the erasure "erase", a withdrawn consent "withdraw" (privacy.py calls
  `answered_by`); each automatic
  closing is audited with the clause. Anything else is closed by hand with the outcome.
- `for_user(user)`: the requests of the contacts the user may view (the contact's data scope).
- `remind(on)`: who recorded an overdue request hears it once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import DomainError, NotAllowed
from guanxi.policy import services as policy_services

from .models import Contact, PersonalDataRequest, RequestKind

CLAUSE = "security.personal_data_request_days"
# Which action on the contact answers which request.
ANSWERS = {
    "export": RequestKind.ACCESS,
    "correction": RequestKind.CORRECTION,
    "erasure": RequestKind.ERASURE,
    "withdrawal": RequestKind.WITHDRAWAL,
}


def can_handle(user) -> bool:
    from .privacy import can_see_personal

    return can_see_personal(user)


def for_user(user):
    return PersonalDataRequest.objects.filter(contact__in=Contact.objects.restrict(user, "view")).select_related("contact__customer")


def record(contact: Contact, *, actor, kind: str, received_on: dt.date, note: str = "", policy=None) -> PersonalDataRequest:
    policy = policy_services.given_or_current(policy)
    if not can_handle(actor):
        raise NotAllowed(_("You may not handle requests about personal data."), code="no_permission")
    if kind not in RequestKind.values:
        raise DomainError(_("Choose what the person asks for."), field="kind", code="invalid_kind")
    today = timezone.localdate()
    if received_on > today:
        raise DomainError(_("The request cannot have been received in the future."), field="received_on", code="future_date")
    days = policy.security.personal_data_request_days
    request = PersonalDataRequest.objects.create(
        contact=contact,
        kind=kind,
        received_on=received_on,
        due_on=received_on + dt.timedelta(days=days),
        note=(note or "").strip(),
        created_by=actor,
        policy_version=policy.version,
        clause=CLAUSE,
    )
    audit.record(
        "personal_data.request_received",
        subject=contact,
        actor=actor,
        data={
            "request": request.pk,
            "kind": kind,
            "due_on": request.due_on.isoformat(),
            "days": days,
            "policy_version": policy.version,
            "clause": CLAUSE,
        },
    )
    return request


def close(request: PersonalDataRequest, *, actor, outcome: str) -> PersonalDataRequest:
    if not can_handle(actor):
        raise NotAllowed(_("You may not handle requests about personal data."), code="no_permission")
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError(_("Say how the request was answered."), field="outcome", code="required")
    return _close(request, actor=actor, outcome=outcome[:300], automatic=False)


def answered_by(contact: Contact, action: str, *, actor) -> int:
    """Closes the contact's open requests that `action` ("export", "correction", "erasure")
    answers; returns how many."""
    kind = ANSWERS[action]
    labels = {
        "export": _("Answered by the data export."),
        "correction": _("Answered by the correction."),
        "erasure": _("Answered by the erasure."),
        "withdrawal": _("Answered by the withdrawal of the consent."),
    }
    closed = 0
    for request in PersonalDataRequest.objects.filter(contact=contact, kind=kind, closed_at__isnull=True):
        _close(request, actor=actor, outcome=labels[action], automatic=True)
        closed += 1
    return closed


def _close(request: PersonalDataRequest, *, actor, outcome: str, automatic: bool) -> PersonalDataRequest:
    if request.closed_at is not None:
        raise DomainError(_("This request is already answered."), code="closed")
    request.closed_at = timezone.now()
    request.closed_by = actor
    request.outcome = outcome
    request.save(update_fields=["closed_at", "closed_by", "outcome"])
    audit.record(
        "personal_data.request_closed",
        subject=request.contact,
        actor=actor,
        data={
            "request": request.pk,
            "kind": request.kind,
            "late": timezone.localdate(request.closed_at) > request.due_on,
            "automatic": automatic,
            "policy_version": request.policy_version,
            "clause": request.clause,
        },
    )
    return request


def overdue(on: dt.date | None = None):
    return PersonalDataRequest.objects.filter(closed_at__isnull=True, due_on__lt=on or timezone.localdate())


def remind(on: dt.date | None = None) -> int:
    """Tells whoever recorded each overdue request, once; returns how many were told."""
    from guanxi.notifications.services import notify

    told = 0
    for request in overdue(on).filter(reminded_at__isnull=True).select_related("created_by", "contact"):
        with transaction.atomic():
            updated = PersonalDataRequest.objects.filter(pk=request.pk, reminded_at__isnull=True).update(reminded_at=timezone.now())
            if not updated:  # another run got there first
                continue
            told += notify(
                [request.created_by],
                kind="customers.personal_data_request_overdue",
                title=_("A request about personal data is overdue: %(request)s") % {"request": request.get_kind_display()},
                body=_("It was due by %(date)s.") % {"date": request.due_on.isoformat()},
                url=reverse("customers:contact_privacy", args=[request.contact_id]),
                subject=request.contact,
            )
    return told
