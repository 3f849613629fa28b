"""Grading 客户分级: business rules (SPEC F-GRD-1, F-GRD-2; issue 4 items 1–4).

- Schemes are policy (`grading.schemes`, guanxi.policy.schema.grading): levels in order, most
  important first, each with criteria over gradable fields (guanxi.grading.fields) combined with
  all/any; the first level whose criteria match is proposed, the fallback level otherwise.
  Which scheme grades a customer comes from its category (`grading.scheme_by_category`; the
  shipped mapping: outlets → outlet classes of seed 003 附表一, distributors and agreement
  customers → VIP / 优选 / 合格 of seed 002 §五.2, every other category → the default scheme,
  ABCD of seed 000 客户资源(暂行)管理办法 §一.2; 重要 / 普通 / 潜在 of seed 004 §2 ships unused,
  ready to be mapped).
- `run_proposals()` proposes a grade for every customer at once (engine.run: set-based SQL);
  the periodic task runs it nightly, managers can start it from the quota page, and
  `manage.py grade_proposals` runs it by hand. The proposal never changes a confirmed grade.
- A person confirms (`confirm_grade`: takes the proposal as it is computed now) or overrides
  (`override_grade`: another level, a reason required); both need the permission
  `grading.confirm_grade` (department managers hold it, sales reps do not) and go through
  `set_grade`, which reviews and downgrades (guanxi.reviews) call too. Every change is logged
  (GradeChange, with the explanation at that moment), kept in field history and audited with
  the policy version and clause.
- Quotas (quotas.py): VIP ≤ 15 %, 优选 ≤ 30 % of a department's customers (seed 002 §五.2.2 d,
  2.3 e); a change that would break one is refused with the current counts.
- Yearly business figures (sales, payments, collection, overdue payments) per customer and
  year: entered, imported from xlsx (all rows checked, nothing saved when one is bad), or later
  computed by the sales module.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import DomainError, NotAllowed

from . import engine, quotas, rules
from .models import BusinessFigure, CustomerGrade, GradeChange, GradeSource, GradingProfile

CONFIRM_PERMISSION = "grading.confirm_grade"
RUN_PERMISSION = "grading.run_proposals"
FIGURE_FIELDS = ("sales", "payments", "collection", "overdue_payments", "note")
PROFILE_FIELDS = ("credit_rating", "financial_state", "long_term_partner", "has_key_resources", "note")
MAX_YEAR_AHEAD = 1
MIN_YEAR = 1990


# ------------------------------------------------------------------------------ grade rows


def ensure_grade(customer, *, lock: bool = False) -> CustomerGrade:
    """The customer's grade row (created with its scheme and unit when missing)."""
    scheme = rules.scheme_for(customer)
    CustomerGrade.objects.bulk_create(
        [CustomerGrade(customer_id=customer.pk, unit_id=customer.unit_id, scheme=scheme.code)], ignore_conflicts=True
    )
    qs = CustomerGrade.objects.all()
    if lock:
        qs = qs.select_for_update()
    return qs.get(customer_id=customer.pk)


def sync_customer(customer, created: bool = False) -> None:
    """Keeps the grade row's unit in step with the customer (Customer post_save), so a transfer
    moves the customer between departments' quota counts at once. A new customer gets its row
    from the next proposal run (or when its page computes it, or on its first confirmation);
    until then it is not in its department's quota total, which errs on the strict side."""
    if created or customer.merged_into_id:
        return
    CustomerGrade.objects.filter(customer_id=customer.pk).exclude(unit_id=customer.unit_id).update(unit_id=customer.unit_id)


@transaction.atomic
def refresh_proposal(customer) -> CustomerGrade:
    """Computes the proposal of one customer now and stores it with its explanation."""
    pol = rules.policy()
    grade = ensure_grade(customer, lock=True)
    level, explanation = engine.propose_one(customer, pol=pol)
    scheme = explanation["scheme"]
    if grade.scheme != scheme and grade.level:
        _log(grade, "", source=GradeSource.SCHEME_CHANGED, actor=None, reason="", pol=pol, clause=rules.CATEGORY_CLAUSE, explanation={})
        grade.level = ""
    if grade.proposed_level != level or not grade.proposed_at:
        grade.proposed_at = timezone.now()
    grade.scheme, grade.proposed_level, grade.explanation = scheme, level, explanation
    grade.policy_version, grade.clause, grade.unit_id = pol.version, explanation["clause"], customer.unit_id
    grade.save()
    return grade


def _log(grade, to_level, *, source, actor, reason, pol, clause, explanation) -> GradeChange:
    return GradeChange.objects.create(
        customer_id=grade.customer_id,
        unit_id=grade.unit_id,
        scheme=grade.scheme,
        from_level=grade.level,
        to_level=to_level,
        proposed_level=grade.proposed_level,
        source=source,
        reason=reason,
        actor=actor,
        policy_version=pol.version,
        clause=clause,
        explanation=explanation,
    )


# ------------------------------------------------------------------------------ set / confirm / override


@transaction.atomic
def set_grade(customer, level_code, *, actor, reason, source, clause="", check_quota=True) -> CustomerGrade:
    """Confirms or changes the customer's grade. Refuses an unknown level, a missing reason
    (required unless the proposal is confirmed as it is), and — when `check_quota` — a level
    whose quota would break (quotas.QuotaExceeded with the counts). Logs the change with the
    explanation of the moment, keeps field history, audits with the policy version."""
    pol = rules.policy()
    scheme = rules.scheme_for(customer, pol)
    level = scheme.level(level_code or "")
    if level is None:
        raise DomainError(
            _("%(level)s is not a level of the scheme %(scheme)s.")
            % {"level": level_code or "-", "scheme": rules.label(scheme, scheme.code)},
            field="level",
        )
    source = str(source)
    if source not in GradeSource.values:
        raise DomainError(_("Unknown source of a grade change: %(source)s.") % {"source": source})
    grade = ensure_grade(customer, lock=True)
    explanation = engine.explain(customer, pol=pol)
    proposed = explanation["level"]
    reason = (reason or "").strip()
    if not reason and not (source == GradeSource.CONFIRM and level_code == proposed):
        raise DomainError(_("Give a reason: the grade differs from the proposal or is set by hand."), field="reason")
    counts = []
    if check_quota and grade.level != level_code:
        grade.unit_id = customer.unit_id
        counts = quotas.check(customer, scheme, level_code, pol=pol)
    before = grade.level
    change_clause = clause or rules.clause_for(scheme.code, level_code)
    if grade.scheme != scheme.code:
        grade.scheme = scheme.code
        before = ""
    now = timezone.now()
    if grade.proposed_level != proposed or not grade.proposed_at:
        grade.proposed_at = now
    grade.proposed_level, grade.explanation = proposed, explanation
    _log(grade, level_code, source=source, actor=actor, reason=reason, pol=pol, clause=change_clause, explanation=explanation)
    grade.unit_id = customer.unit_id
    grade.level, grade.reason, grade.source = level_code, reason, source
    grade.confirmed_by, grade.confirmed_at = actor, now
    grade.policy_version, grade.clause = pol.version, change_clause
    grade.save()
    event = {GradeSource.CONFIRM: "grading.grade_confirmed", GradeSource.OVERRIDE: "grading.grade_overridden"}.get(
        source, "grading.grade_set"
    )
    audit.record(
        event,
        subject=customer,
        actor=actor,
        data={
            "scheme": scheme.code,
            "from": before,
            "to": level_code,
            "proposed": proposed,
            "source": source,
            "reason": reason,
            "policy_version": pol.version,
            "clause": change_clause,
            "quota": [c.text() for c in counts],
        },
    )
    grade.quota_counts = counts  # for the page's warning
    return grade


def _require(actor, permission=CONFIRM_PERMISSION) -> None:
    if actor is None or not actor.has_perm(permission):
        raise NotAllowed(_("You may not confirm or change grades."))


def confirm_grade(customer, *, actor, reason: str = "") -> CustomerGrade:
    """Confirms the grade the scheme proposes for the customer now."""
    _require(actor)
    level, _explanation = engine.propose_one(customer)
    if not level:
        raise DomainError(_("The scheme proposes no grade for this customer; set one by hand with a reason."), field="level")
    return set_grade(customer, level, actor=actor, reason=reason, source=GradeSource.CONFIRM)


def override_grade(customer, level_code: str, *, actor, reason: str) -> CustomerGrade:
    """Sets another grade than the proposal; a reason is required."""
    _require(actor)
    if not (reason or "").strip():
        raise DomainError(_("Give a reason for setting the grade by hand."), field="reason")
    return set_grade(customer, level_code, actor=actor, reason=reason, source=GradeSource.OVERRIDE)


def run_proposals(*, actor=None, year: int | None = None) -> engine.RunResult:
    """Proposes a grade for every customer (set-based) and audits the run."""
    result = engine.run(year=year)
    audit.record(
        "grading.proposals_run",
        actor=actor,
        data={
            "year": result.year,
            "policy_version": result.policy_version,
            "written": result.written,
            "per_scheme": result.per_scheme,
            "seconds": round(result.seconds, 2),
            "clause": rules.CLAUSE,
        },
    )
    return result


def start_run(*, actor) -> None:
    """The managers' button: the run goes to the task queue (in-process without a broker)."""
    _require(actor, RUN_PERMISSION)
    from .tasks import propose_grades

    transaction.on_commit(lambda: propose_grades.delay())


# ------------------------------------------------------------------------------ business figures


def _decimal(value, field: str, *, label) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    try:
        number = Decimal(str(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(field)s: enter an amount in yuan.") % {"field": label}, field=field) from None
    if not number.is_finite():
        raise DomainError(_("%(field)s: enter an amount in yuan.") % {"field": label}, field=field)
    if number < 0:
        raise DomainError(_("%(field)s must not be negative.") % {"field": label}, field=field)
    if number.as_tuple().exponent < -2:
        raise DomainError(_("%(field)s: use at most two decimal places.") % {"field": label}, field=field)
    if number >= Decimal("1e14"):
        raise DomainError(_("%(field)s is too large.") % {"field": label}, field=field)
    return number.quantize(Decimal("0.01"))


def _year(value) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(_("Enter the year as four digits, e.g. 2024."), field="year") from None
    latest = timezone.localdate().year + MAX_YEAR_AHEAD
    if not MIN_YEAR <= year <= latest:
        raise DomainError(_("The year must be between %(first)s and %(last)s.") % {"first": MIN_YEAR, "last": latest}, field="year")
    return year


def _count(value) -> int:
    if value in (None, ""):
        return 0
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Overdue payments: enter a whole number."), field="overdue_payments") from None
    if not number.is_finite() or number != number.to_integral() or number < 0 or number > 100_000:
        raise DomainError(_("Overdue payments: enter a whole number, 0 or more."), field="overdue_payments")
    return int(number)


def clean_figure(data: dict) -> dict:
    """Validated figure values (Decimal yuan, two places; a whole number of overdue payments)."""
    opts = BusinessFigure._meta
    out = {
        "sales": _decimal(data.get("sales"), "sales", label=opts.get_field("sales").verbose_name),
        "payments": _decimal(data.get("payments"), "payments", label=opts.get_field("payments").verbose_name),
        "collection": _decimal(data.get("collection"), "collection", label=opts.get_field("collection").verbose_name),
        "overdue_payments": _count(data.get("overdue_payments")),
        "note": str(data.get("note") or "").strip()[:200],
    }
    return out


@transaction.atomic
def save_figure(*, actor, customer, year, data: dict, figure: BusinessFigure | None = None) -> BusinessFigure:
    """Creates or changes the figures of one customer and year (one row per customer and year)."""
    year = _year(year)
    values = clean_figure(data)
    clash = BusinessFigure.objects.filter(customer=customer, year=year)
    if figure is not None:
        clash = clash.exclude(pk=figure.pk)
    if clash.exists():
        raise DomainError(_("The figures of %(year)s for this customer exist already; change them instead.") % {"year": year}, field="year")
    created = figure is None
    if created:
        figure = BusinessFigure(customer=customer)
    before = {f: getattr(figure, f) for f in ("year", *FIGURE_FIELDS)} if not created else {}
    figure.customer, figure.year = customer, year
    for name, value in values.items():
        setattr(figure, name, value)
    figure.updated_at = timezone.now()
    figure.save()
    changed = [f for f in ("year", *FIGURE_FIELDS) if created or before.get(f) != getattr(figure, f)]
    audit.record(
        "grading.figure_saved",
        subject=figure,
        actor=actor,
        data={"customer": customer.pk, "year": year, "created": created, "fields": changed},
    )
    return figure


@transaction.atomic
def delete_figure(figure: BusinessFigure, *, actor) -> None:
    audit.record("grading.figure_deleted", subject=figure, actor=actor, data={"customer": figure.customer_id, "year": figure.year})
    figure.delete()


@transaction.atomic
def save_profile(customer, *, actor, data: dict) -> GradingProfile:
    """The customer's grading facts (credit rating, financial state, partnership, resources)."""
    from .fields import CREDIT_RATINGS, FINANCIAL_STATES

    rating = str(data.get("credit_rating") or "")
    state = str(data.get("financial_state") or "")
    if rating and rating not in dict(CREDIT_RATINGS):
        raise DomainError(_("Choose a credit rating from the list."), field="credit_rating")
    if state and state not in dict(FINANCIAL_STATES):
        raise DomainError(_("Choose a financial state from the list."), field="financial_state")
    profile = GradingProfile.objects.select_for_update().filter(customer=customer).first() or GradingProfile(customer=customer)
    profile.credit_rating, profile.financial_state = rating, state
    profile.long_term_partner = bool(data.get("long_term_partner"))
    profile.has_key_resources = bool(data.get("has_key_resources"))
    profile.note = str(data.get("note") or "").strip()
    profile.assessed_by, profile.assessed_at = actor, timezone.now()
    profile.save()
    audit.record("grading.profile_saved", subject=customer, actor=actor, data={"fields": list(PROFILE_FIELDS)})
    return profile


__all__ = [
    "confirm_grade",
    "delete_figure",
    "ensure_grade",
    "override_grade",
    "refresh_proposal",
    "run_proposals",
    "save_figure",
    "save_profile",
    "set_grade",
    "start_run",
    "sync_customer",
]
