"""What the policy asks of an admission, and what counts as a satisfied item.

- The checklist of a customer category is `grading.admission_checklist_by_category[category]`,
  else the general `grading.admission_checklist` (seed 002 §五.1.2).
- Retail and related-party customers are exempt when listed in `grading.admission_exempt`
  (seed 002 §五.1.1).
- An item is satisfied when it is confirmed, has a document when it needs one, has an expiry
  date when that is required, and is not expired.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CustomerKind, ItemCode


@dataclass(frozen=True)
class ItemRule:
    code: str
    label: object
    help: object
    needs_document: bool  # a scan / file must be uploaded
    has_expiry: bool  # the form asks for an expiry date
    expiry_required: bool  # ... and it must be given


ITEMS: dict[str, ItemRule] = {
    r.code: r
    for r in (
        ItemRule(
            ItemCode.BUSINESS_LICENCE,
            ItemCode.BUSINESS_LICENCE.label,
            _("A valid business licence (营业执照); leave the expiry empty for a licence without a term."),
            True,
            True,
            False,
        ),
        ItemRule(
            ItemCode.TAX_REGISTRATION,
            ItemCode.TAX_REGISTRATION.label,
            _("Tax registration certificate (税务登记证) or the unified licence carrying it."),
            True,
            True,
            False,
        ),
        ItemRule(
            ItemCode.GOOD_CREDIT,
            ItemCode.GOOD_CREDIT.label,
            _("Good commercial reputation, e.g. from a credit report; a report may be attached."),
            False,
            True,
            False,
        ),
        ItemRule(
            ItemCode.SIGNED_CONTRACT,
            ItemCode.SIGNED_CONTRACT.label,
            _("Business is done through a signed purchase contract (购销合同)."),
            True,
            True,
            False,
        ),
        ItemRule(
            ItemCode.NO_ILLEGAL_RECORD,
            ItemCode.NO_ILLEGAL_RECORD.label,
            _("No illegal record in past business; a declaration may be attached."),
            False,
            False,
            False,
        ),
        ItemRule(
            ItemCode.QUALIFICATIONS,
            ItemCode.QUALIFICATIONS.label,
            _("The licences to sell or use the products concerned, including special qualifications the state requires."),
            True,
            True,
            True,
        ),
    )
}

CHECKLIST_CLAUSE = "grading.admission_checklist"
BY_CATEGORY_CLAUSE = "grading.admission_checklist_by_category"
EXEMPT_CLAUSE = "grading.admission_exempt"
REMINDER_CLAUSE = "grading.admission_expiry_reminder_days"


def _policy():
    from guanxi.policy.services import current

    return current()


def policy_version() -> int:
    return getattr(_policy(), "version", 0)


def checklist_for(category: str) -> tuple[list[str], str]:
    """(item codes, clause key) the policy requires for a customer category."""
    grading = _policy().grading
    by_category = grading.admission_checklist_by_category or {}
    if category in by_category:
        return list(dict.fromkeys(by_category[category])), f"{BY_CATEGORY_CLAUSE}.{category}"
    return list(dict.fromkeys(grading.admission_checklist)), CHECKLIST_CLAUSE


def exempt_kinds() -> set[str]:
    return set(_policy().grading.admission_exempt)


def is_exempt_kind(kind: str) -> bool:
    return kind != CustomerKind.REGULAR and kind in exempt_kinds()


def reminder_days() -> int:
    return int(_policy().grading.admission_expiry_reminder_days)


def label(code: str) -> str:
    rule = ITEMS.get(code)
    return str(rule.label) if rule else code


def item_problems(item, document_count: int, today: dt.date | None = None) -> list[str]:
    """Why the item is not satisfied (empty when it is)."""
    today = today or timezone.localdate()
    rule = ITEMS.get(item.code)
    out = []
    if not item.confirmed:
        out.append(str(_("not confirmed")))
    if rule and rule.needs_document and document_count == 0:
        out.append(str(_("no document uploaded")))
    if rule and rule.expiry_required and item.expires_on is None:
        out.append(str(_("no expiry date")))
    if item.expires_on is not None and item.expires_on < today:
        out.append(str(_("expired")))
    return out


def is_expired(item, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return item.expires_on is not None and item.expires_on < today
