"""Customer blacklists 客户黑名单 (F-GRD-6).

Rules (seed 002 §五.3.3 and 3.5):
- Two lists. A department keeps its own list (3.5 a: 各所属部门的“客户黑名单”的管理权限在各所属部门):
  a holder of `blacklist.add_blacklistentry` whose add scope covers the department adds an
  entry, in force at once. It blocks that department and every unit below it (3.5 b: 该部门
  不得再与该客户发生商业行为).
- The company list is the marketing division's (3.5 a, 3.3: 营销事业部核实后有权将该客户列入公司
  “销售客户黑名单”). A department proposes an entry; when the policy clause
  `grading.company_blacklist_requires_approval` is on, it goes through the approval flow
  `blacklist.company` (approvals.flows, marketing director by default) and is in force once
  approved; when it is off, only a user whose add scope is company-wide adds it, in force at
  once. In force, it blocks every unit (3.5 b: 公司所属各销售部门皆不得再与该客户发生任何商业
  行为), the customer's status becomes “blacklisted”, and with `grading.blacklist_announced`
  every department manager is notified (3.3: 通报各销售部门).
- Lifting (with a reason) needs `blacklist.lift_blacklistentry`: a department entry within the
  user's lift scope, a company entry only with a company-wide scope (the marketing division).
  Lifting the last company entry restores the customer's status from before.
- `check_can_do_business(customer, unit=..., action=...)` is the one check later modules
  (opportunities, orders, contracts) call; it follows `sales.blacklist_blocks_sales`.
Every entry records the policy version and the clause that decided how it came into force.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts.access import principal_for
from guanxi.accounts.models import DataScope, OrgUnit, Position
from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError, NotAllowed

from . import queries
from .models import BlacklistEntry, EntryStatus, Level

APPROVAL_ACTION = "blacklist.company"
CLAUSE_APPROVAL = "grading.company_blacklist_requires_approval"
CLAUSE_ANNOUNCE = "grading.blacklist_announced"
CLAUSE_BLOCKS = "sales.blacklist_blocks_sales"
LIFT_PERMISSION = "blacklist.lift_blacklistentry"
ADD_PERMISSION = "blacklist.add_blacklistentry"

ACTIONS = {
    "order": gettext_lazy("order"),
    "opportunity": gettext_lazy("opportunity"),
    "contract": gettext_lazy("contract"),
    "quote": gettext_lazy("quotation"),
}


class Blacklisted(DomainError):
    """Raised by check_can_do_business: the customer is on a list that applies here.
    `.entries` are the blocking entries (empty when only the record's status says so)."""

    status = 409

    def __init__(self, message, *, customer=None, entries=(), action: str = "order", clause: str = CLAUSE_BLOCKS, policy_version: int = 0):
        super().__init__(message, field="customer", code="blacklisted", params={"entries": [e.pk for e in entries]})
        self.customer = customer
        self.entries = list(entries)
        self.action = action
        self.clause = clause
        self.policy_version = policy_version


# ---------------------------------------------------------------- policy


def _policy():
    from guanxi.policy import services as policy_services

    return policy_services.current()


def _version() -> int:
    return getattr(_policy(), "version", 0) or 0


def requires_approval() -> bool:
    return bool(_policy().grading.company_blacklist_requires_approval)


# ---------------------------------------------------------------- scope helpers


def _scope_covers(user, action: str, unit: OrgUnit | None) -> bool:
    """Whether the user's scope for `action` on blacklist entries covers `unit` (None: only a
    company-wide scope covers it)."""
    principal = principal_for(user)
    level = principal.scope_level(BlacklistEntry, action) if principal else None
    if level is None:
        return False
    if level == DataScope.ALL:
        return True
    if unit is None:
        return False
    if level == DataScope.UNIT_TREE:
        return any(unit.path.startswith(p) for p in principal.unit_paths)
    return unit.pk in principal.unit_ids


def company_wide(user, action: str) -> bool:
    principal = principal_for(user)
    return principal is not None and principal.scope_level(BlacklistEntry, action) == DataScope.ALL


def can_lift(user, entry: BlacklistEntry) -> bool:
    if entry.status != EntryStatus.ACTIVE or user is None or not user.has_perm(LIFT_PERMISSION):
        return False
    if entry.level == Level.COMPANY:
        return company_wide(user, "lift")
    return _scope_covers(user, "lift", entry.unit)


def _primary_unit(user) -> OrgUnit | None:
    from guanxi.customers.services import primary_unit

    return primary_unit(user)


# ---------------------------------------------------------------- the customer's status


def _set_customer_status(customer, status: str, *, actor) -> None:
    """Through the customer service: history, audit event, optimistic version."""
    from guanxi.customers import services as customer_services
    from guanxi.customers.models import Customer

    fresh = Customer.objects.get(pk=customer.pk)
    if fresh.status == status:
        return
    customer_services.update_customer(fresh, actor=actor, data={"status": status}, expected_version=fresh.version)
    customer.status, customer.version = fresh.status, fresh.version


# ---------------------------------------------------------------- adding


def _validate(customer, *, level: str, reason: str, actor) -> str:
    from guanxi.customers.models import Customer

    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Sign in to change a blacklist."))
    if not actor.has_perm(ADD_PERMISSION):
        raise NotAllowed(_("You may not add customers to a blacklist."))
    if level not in Level.values:
        raise DomainError(_("Choose the department blacklist or the company blacklist."), field="level")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Give the reason for the blacklist entry."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("The reason may have at most 200 characters; put the details in the incident text."), field="reason")
    if customer is None or not Customer.objects.restrict(actor, "view").filter(pk=customer.pk).exists():
        raise NotAllowed(_("You can only blacklist a customer you may see."), field="customer")
    if customer.merged_into_id:
        raise DomainError(_("This record was merged into another customer; blacklist that one instead."), field="customer")
    return reason


@transaction.atomic
def add_entry(*, customer, level: str, actor, reason: str, evidence: str = "", unit: OrgUnit | None = None) -> BlacklistEntry:
    """A department entry (in force at once) or a company entry (proposed for approval, or in
    force at once when the policy needs no approval)."""
    reason = _validate(customer, level=level, reason=reason, actor=actor)
    evidence = (evidence or "").strip()
    version = _version()
    if level == Level.DEPARTMENT:
        unit = unit or _primary_unit(actor)
        if unit is None:
            raise DomainError(_("Choose the department whose blacklist it is."), field="unit")
        if not _scope_covers(actor, "add", unit):
            raise NotAllowed(_("You can only add to the blacklist of your own department."), field="unit")
        if BlacklistEntry.objects.active().filter(level=level, customer=customer, unit=unit).exists():
            raise Conflict(_("This customer is already on the blacklist of %(unit)s.") % {"unit": unit}, field="customer")
        entry = _create(
            customer=customer,
            level=level,
            unit=unit,
            reason=reason,
            evidence=evidence,
            status=EntryStatus.ACTIVE,
            created_by=actor,
            activated_at=timezone.now(),
            policy_version=version,
            clause="",
        )
        audit.record(
            "blacklist.added",
            subject=entry,
            actor=actor,
            data={"customer": customer.name, "customer_id": customer.pk, "level": level, "unit": str(unit), "reason": reason},
        )
        return entry

    live = BlacklistEntry.objects.filter(
        level=Level.COMPANY, customer=customer, status__in=[EntryStatus.PENDING, EntryStatus.ACTIVE]
    ).first()
    if live is not None:
        if live.status == EntryStatus.ACTIVE:
            raise Conflict(_("This customer is already on the company blacklist."), field="customer")
        raise Conflict(_("A company blacklist entry for this customer is already waiting for approval."), field="customer")
    proposer_unit = unit or _primary_unit(actor)
    needs_approval = requires_approval()
    if not needs_approval and not company_wide(actor, "add"):
        raise NotAllowed(_("Only the marketing division can put a customer on the company blacklist."), field="level")
    entry = _create(
        customer=customer,
        level=level,
        unit=proposer_unit,
        reason=reason,
        evidence=evidence,
        status=EntryStatus.PENDING if needs_approval else EntryStatus.ACTIVE,
        created_by=actor,
        policy_version=version,
        clause=CLAUSE_APPROVAL,
    )
    if needs_approval:
        from guanxi.approvals import services as approvals

        request = approvals.submit(
            APPROVAL_ACTION,
            target=entry,
            requester=actor,
            payload={"customer": customer.name, "customer_id": customer.pk, "reason": reason, "evidence": evidence[:2000]},
            title=_("Company blacklist: %(customer)s") % {"customer": customer.name},
        )
        entry.approval = request
        entry.save(update_fields=["approval"])
        audit.record(
            "blacklist.requested",
            subject=entry,
            actor=actor,
            data={
                "customer": customer.name,
                "customer_id": customer.pk,
                "reason": reason,
                "approval": request.pk,
                "clause": CLAUSE_APPROVAL,
            },
        )
        return entry
    audit.record(
        "blacklist.added",
        subject=entry,
        actor=actor,
        data={"customer": customer.name, "customer_id": customer.pk, "level": level, "reason": reason, "clause": CLAUSE_APPROVAL},
    )
    _activate_company(entry, actor=actor)
    return entry


def _create(**fields) -> BlacklistEntry:
    try:
        with transaction.atomic():
            return BlacklistEntry.objects.create(**fields)
    except IntegrityError as exc:  # a concurrent add of the same customer to the same list
        raise Conflict(_("This customer is already on that list or waiting for approval."), field="customer") from exc


# ---------------------------------------------------------------- company entries: approval


def _activate_company(entry: BlacklistEntry, *, actor) -> None:
    """In force: status of the customer, announcement to every department."""
    from guanxi.customers.models import Status

    entry.previous_customer_status = entry.customer.status
    entry.status = EntryStatus.ACTIVE
    entry.activated_at = timezone.now()
    entry.save(update_fields=["previous_customer_status", "status", "activated_at"])
    _set_customer_status(entry.customer, Status.BLACKLISTED, actor=actor)
    announced = announce(entry) if _policy().grading.blacklist_announced else 0
    audit.record(
        "blacklist.activated",
        subject=entry,
        actor=actor,
        data={
            "customer": entry.customer.name,
            "customer_id": entry.customer_id,
            "approval": entry.approval_id,
            "announced_to": announced,
            "policy_version": _version(),
            "clause": CLAUSE_ANNOUNCE if announced else entry.clause,
        },
    )


def department_managers():
    """Every current department manager of every active unit (the announcement's recipients)."""
    from django.contrib.auth import get_user_model

    today = timezone.localdate()
    positions = (
        Position.objects.filter(role__code="department_manager", role__is_active=True, unit__is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )
    return get_user_model().objects.filter(is_active=True, pk__in=positions.values("user_id"))


def announce(entry: BlacklistEntry) -> int:
    """Notifies every department (their managers) and the proposer of a company entry."""
    from guanxi.notifications.services import notify

    recipients = list(department_managers())
    if entry.created_by_id and entry.created_by.is_active:
        recipients.append(entry.created_by)
    title = _("Company blacklist: %(customer)s") % {"customer": entry.customer.name}
    body = _(
        "%(customer)s is on the company blacklist from now on (reason: %(reason)s). No department may start new business with this customer."
    ) % {"customer": entry.customer.name, "reason": entry.reason}
    return notify(
        recipients, kind="blacklist.announced", title=title, body=body, url=reverse("blacklist:detail", args=[entry.pk]), subject=entry
    )


def _entry_of(request) -> BlacklistEntry:
    return BlacklistEntry.objects.select_for_update().get(pk=int(request.object_id))


def apply_approved(request) -> None:
    """Approval hook: the company entry comes into force (inside the deciding transaction)."""
    entry = _entry_of(request)
    if entry.status != EntryStatus.PENDING:
        raise Conflict(_("This blacklist entry is no longer waiting for approval."))
    entry.decided_by_id = request.decided_by_id
    entry.save(update_fields=["decided_by"])
    _activate_company(entry, actor=request.decided_by)


def _rejection_comment(request) -> str:
    from guanxi.approvals.models import ApprovalAssignment, Decision

    row = ApprovalAssignment.objects.filter(step__request=request, decision=Decision.REJECTED).order_by("-decided_at").first()
    return row.comment if row is not None else ""


def reject_approval(request) -> None:
    entry = _entry_of(request)
    if entry.status != EntryStatus.PENDING:
        return
    entry.status = EntryStatus.REJECTED
    entry.decided_by_id = request.decided_by_id
    entry.save(update_fields=["status", "decided_by"])
    comment = _rejection_comment(request)
    audit.record(
        "blacklist.rejected",
        subject=entry,
        actor_id=request.decided_by_id,
        data={"customer": entry.customer.name, "customer_id": entry.customer_id, "comment": comment, "approval": request.pk},
    )
    if entry.created_by_id:
        from guanxi.notifications.services import notify

        notify(
            [entry.created_by],
            kind="blacklist.rejected",
            title=_("Company blacklist not approved: %(customer)s") % {"customer": entry.customer.name},
            body=comment,
            url=reverse("blacklist:detail", args=[entry.pk]),
            subject=entry,
        )


def cancel_approval(request) -> None:
    entry = _entry_of(request)
    if entry.status != EntryStatus.PENDING:
        return
    entry.status = EntryStatus.WITHDRAWN
    entry.save(update_fields=["status"])
    audit.record(
        "blacklist.withdrawn",
        subject=entry,
        actor_id=request.requester_id,
        data={"customer": entry.customer.name, "customer_id": entry.customer_id, "approval": request.pk},
    )


def describe_approval(request) -> str:
    payload = request.payload or {}
    return _("Put %(customer)s on the company blacklist. Reason: %(reason)s") % {
        "customer": payload.get("customer", request.target_repr),
        "reason": payload.get("reason", ""),
    }


# ---------------------------------------------------------------- lifting


@transaction.atomic
def lift_entry(entry: BlacklistEntry, *, actor, reason: str) -> BlacklistEntry:
    """Takes the customer off the list (the entry stays, lifted). Lifting the last company
    entry gives the customer back the status it had before."""
    from guanxi.customers.models import Status

    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Give the reason for lifting the entry."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("The reason may have at most 200 characters."), field="reason")
    entry = BlacklistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict(_("Only an entry in force can be lifted (this one is: %(status)s).") % {"status": entry.get_status_display()})
    if actor is None or not actor.has_perm(LIFT_PERMISSION):
        raise NotAllowed(_("You may not lift blacklist entries."))
    if not can_lift(actor, entry):
        if entry.level == Level.COMPANY:
            raise NotAllowed(_("Only the marketing division can lift an entry of the company blacklist."))
        raise NotAllowed(_("You can only lift entries of your own department's blacklist."))
    entry.status = EntryStatus.LIFTED
    entry.lifted_at = timezone.now()
    entry.lifted_by = actor
    entry.lift_reason = reason
    entry.save(update_fields=["status", "lifted_at", "lifted_by", "lift_reason"])
    restored = ""
    if (
        entry.level == Level.COMPANY
        and not BlacklistEntry.objects.active().filter(level=Level.COMPANY, customer_id=entry.customer_id).exists()
    ):
        restored = entry.previous_customer_status
        if not restored or restored == Status.BLACKLISTED:
            restored = Status.POTENTIAL
        if entry.customer.status == Status.BLACKLISTED:
            _set_customer_status(entry.customer, restored, actor=actor)
    audit.record(
        "blacklist.lifted",
        subject=entry,
        actor=actor,
        data={
            "customer": entry.customer.name,
            "customer_id": entry.customer_id,
            "level": entry.level,
            "reason": reason,
            "customer_status": restored,
        },
    )
    return entry


# ---------------------------------------------------------------- the business check


def check_can_do_business(customer, *, unit=None, action: str = "order") -> None:
    """Raises Blacklisted when the customer may not get a new `action` (order, opportunity,
    contract…) in `unit` (an OrgUnit or its id; None: company-wide lists only): an active
    company entry, an active entry of `unit` or of a unit above it, or a record whose status
    is “blacklisted”. Follows the clause `sales.blacklist_blocks_sales`."""
    policy = _policy()
    blocks = getattr(getattr(policy, "sales", None), "blacklist_blocks_sales", True)
    if not blocks:
        return
    entries = queries.blocking_entries(customer, unit)
    if not entries and not queries.status_blacklisted(customer):
        return
    what = ACTIONS.get(action, action)
    name = getattr(customer, "name", None)
    if name is None:
        from guanxi.customers.models import Customer

        name = Customer.objects.filter(pk=customer).values_list("name", flat=True).first() or str(customer)
    version = getattr(policy, "version", 0) or 0
    if entries:
        first = entries[0]
        if first.level == Level.COMPANY:
            message = _("%(customer)s is on the company blacklist (reason: %(reason)s): no new %(action)s is allowed.")
        else:
            message = _("%(customer)s is on the blacklist of %(unit)s (reason: %(reason)s): no new %(action)s is allowed there.")
        raise Blacklisted(
            message % {"customer": name, "reason": first.reason, "unit": first.unit, "action": what},
            customer=customer,
            entries=entries,
            action=action,
            policy_version=version,
        )
    raise Blacklisted(
        _("%(customer)s is marked as blacklisted in the customer record: no new %(action)s is allowed.")
        % {"customer": name, "action": what},
        customer=customer,
        action=action,
        policy_version=version,
    )
