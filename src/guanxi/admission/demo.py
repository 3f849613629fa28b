"""Demo admissions: a few customers per state (draft, submitted, admitted, rejected, exempt),
with one document expiring soon and one expired, so the list, the reminders and the customer
page panels have something to show. Deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import logging
import random

from django.core.files.base import ContentFile

from guanxi.core.demo import register
from guanxi.core.errors import DomainError

logger = logging.getLogger(__name__)

# A tiny valid PDF used as the scanned document of every demo item.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

COUNTS = {"draft": 6, "submitted": 4, "approved": 8, "rejected": 2, "retail": 2, "related_party": 1}


def _fill(admission, actor, rng: random.Random, today: dt.date, *, expiring: bool = False) -> None:
    from . import rules, services

    for n, item in enumerate(admission.items.order_by("id")):
        rule = rules.ITEMS[item.code]
        expires = None
        if rule.has_expiry:
            expires = today + dt.timedelta(days=rng.randint(200, 1500))
            if expiring and n == 0:
                expires = today + dt.timedelta(days=rng.randint(3, 25))
        services.update_item(
            item,
            actor=actor,
            confirmed=True,
            document_no=f"DEMO-{admission.customer_id}-{n + 1}",
            issued_on=today - dt.timedelta(days=rng.randint(100, 900)),
            expires_on=expires,
        )
        if rule.needs_document:
            services.add_document(item, actor=actor, upload=ContentFile(PDF, name=f"{item.code}.pdf"))


def _lapse(admission, rng: random.Random, today: dt.date) -> None:
    """A qualification that lapsed after the customer was admitted (the daily check marks it)."""
    from .models import AdmissionItem

    AdmissionItem.objects.filter(admission=admission, code="qualifications").update(
        expires_on=today - dt.timedelta(days=rng.randint(1, 20))
    )


@register(60, "admission.admissions")
def build(rng: random.Random, stdout=None) -> None:
    from guanxi.approvals import services as approvals
    from guanxi.approvals.models import ApprovalRequest
    from guanxi.customers.models import Customer

    from . import services
    from .models import Admission

    today = dt.date.today()
    customers = list(
        Customer.objects.filter(owner__isnull=False, admission__isnull=True)
        .exclude(category="outlet")
        .select_related("owner", "unit")
        .order_by("pk")[:400]
    )
    if not customers:
        return
    rng.shuffle(customers)
    pool = iter(customers)
    made = 0

    def decide(admission, approve: bool):
        req = ApprovalRequest.objects.get(pk=admission.approval_request_id)
        for step in req.steps.order_by("index"):
            assignment = step.assignments.order_by("pk").first()
            if assignment is None:
                return
            if approve:
                approvals.approve(req.pk, assignment.approver, comment="")
            else:
                approvals.reject(req.pk, assignment.approver, comment="资质文件不全,请补充后重新提交。")
                return

    for state, n in COUNTS.items():
        for i in range(n):
            customer = next(pool, None)
            if customer is None:
                break
            actor = customer.owner
            if state in ("retail", "related_party"):
                reason = "门店零售客户" if state == "retail" else "集团内部关联交易客户"
                services.start(customer, actor=actor, kind=state, reason=reason)
                made += 1
                continue
            admission = services.start(customer, actor=actor)
            if state != "draft" or i % 2 == 0:
                _fill(admission, actor, rng, today, expiring=(state == "approved" and i < 3))
            if state in ("submitted", "approved", "rejected"):
                try:
                    services.submit(admission, actor=actor)
                except DomainError as exc:  # e.g. no approver in a tiny demo: leave it a draft
                    logger.info("demo admission %s left as draft: %s", admission.pk, exc)
                    continue
                admission.refresh_from_db()
                if state in ("approved", "rejected"):
                    decide(admission, approve=state == "approved")
                if state == "approved" and i == 3:
                    _lapse(admission, rng, today)
            made += 1
    services.check_expiry(today)
    if stdout is not None:
        stdout.write(f"admission: {made} admissions ({Admission.objects.count()} in all)")
