"""The approval engine (F-APR-1): submit, approve, reject, cancel, escalate.

- Steps come from the policy (`policy.current().approvals.flows[action]`) and are resolved to
  approvers when the request is submitted; the request records the policy version and clause.
- Steps run in order; "any" (或签) needs one approval, "all" (会签) every assignee. An approver
  added by escalation decides for the whole step. One rejection rejects the request.
- The requester never approves their own request. Nobody found → the next level up, else the
  holders of the policy's fallback role (administrator).
- The registered action is applied exactly once, on final approval, in the deciding transaction:
  the request row is locked, and the final transition is a conditional UPDATE whose row count
  is checked, so two approvers deciding at the same moment apply it once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import OrgUnit, Position
from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError, NotAllowed

from . import registry
from .models import (
    ApprovalAssignment,
    ApprovalRequest,
    ApprovalStep,
    Decision,
    RequestStatus,
    StepStatus,
)
from .schema import ApprovalsPolicy

# --- policy ---------------------------------------------------------------------------------


def _current_policy():
    from guanxi.policy import services as policy_services

    return policy_services.current()


def _flows() -> ApprovalsPolicy:
    """The approvals section of the active policy; the shipped defaults if the policy has none."""
    section = getattr(_current_policy(), "approvals", None)
    return section if section is not None else ApprovalsPolicy()


def approvals_policy() -> ApprovalsPolicy:
    return _flows()


def _policy_version() -> int:
    return getattr(_current_policy(), "version", 0) or 0


def clause_for(action: str) -> str:
    return f"approvals.flows.{action}"


# --- who holds what -------------------------------------------------------------------------


def _current_positions():
    today = timezone.localdate()
    return (
        Position.objects.filter(user__is_active=True, role__is_active=True, unit__is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )


def primary_unit(user) -> OrgUnit | None:
    pos = _current_positions().filter(user_id=user.pk).select_related("unit").order_by("-is_primary", "id").first()
    return pos.unit if pos is not None else None


def role_holders(role_code: str, unit_id: int | None = None) -> list[int]:
    qs = _current_positions().filter(role__code=role_code)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return sorted(set(qs.values_list("user_id", flat=True)))


def supervisor_of(user_id: int) -> int | None:
    """The reports_to of the user's primary position (or of their first position that has one).
    Whether that person is still active is the caller's question: the line goes on above them."""
    today = timezone.localdate()
    return (
        Position.objects.filter(user_id=user_id, reports_to__isnull=False)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("-is_primary", "id")
        .values_list("reports_to_id", flat=True)
        .first()
    )


def _active(user_ids) -> set[int]:
    return set(get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).values_list("pk", flat=True))


def _unit_chain(unit: OrgUnit | None) -> list[int]:
    """The unit and its ancestors, nearest first."""
    if unit is None:
        return []
    return [unit.pk, *reversed(unit.ancestors_ids())]


# --- resolution -----------------------------------------------------------------------------


@dataclass
class Resolution:
    approver_ids: list[int]
    unit_id: int | None = None
    escalated: bool = False  # the approvers are not the first level the step names
    at_top: bool = False  # the approvers are the fallback role's holders
    reasons: list[str] = field(default_factory=list)


def _fallback(pol: ApprovalsPolicy, *, exclude: set[int], step_label: str) -> list[int]:
    ids = [u for u in role_holders(pol.fallback_role) if u not in exclude]
    if not ids:
        User = get_user_model()
        ids = sorted(set(User.objects.filter(is_superuser=True, is_active=True).exclude(pk__in=exclude).values_list("pk", flat=True)))
    if not ids:
        raise DomainError(
            _(
                "Nobody can approve the step “%(step)s”: no user holds the role needed, and no user holds the fallback role “%(role)s”. Ask an administrator to assign it."
            )
            % {"step": step_label, "role": pol.fallback_role},
            code="no_approver",
        )
    return ids


def _resolve(spec: dict, *, requester_id: int, requester_unit: OrgUnit | None, pol: ApprovalsPolicy, label: str) -> Resolution:
    exclude = {requester_id}
    reasons: list[str] = []
    kind = spec["kind"]
    if kind == "role":
        chain = _unit_chain(requester_unit)
        if not chain:
            reasons.append("requester_has_no_unit")
        for depth, unit_id in enumerate(chain):
            holders = role_holders(spec["role"], unit_id)
            others = [u for u in holders if u not in exclude]
            if others:
                return Resolution(others, unit_id=unit_id, escalated=bool(reasons), reasons=reasons)
            if holders:
                reasons.append("requester_is_the_approver")
            elif depth == len(chain) - 1:
                reasons.append("no_role_holder")
        if spec.get("company_wide"):
            others = [u for u in role_holders(spec["role"]) if u not in exclude]
            if others:
                return Resolution(others, reasons=reasons)
    elif kind == "user":
        user = get_user_model().objects.filter(username=spec["user"]).first()
        if user is not None and user.is_active and user.pk not in exclude:
            return Resolution([user.pk])
        if user is None:
            reasons.append("user_not_found")
        elif not user.is_active:
            reasons.append("user_inactive")
        else:
            reasons.append("requester_is_the_approver")
    else:
        current, seen = requester_id, {requester_id}
        for n in range(1, 50):
            boss = supervisor_of(current)
            if boss is None or boss in seen:
                reasons.append("no_supervisor")
                break
            seen.add(boss)
            current = boss
            if n >= spec["level"] and boss not in exclude and _active([boss]):
                return Resolution([boss], escalated=n > spec["level"], reasons=reasons)
            if n >= spec["level"]:
                reasons.append("supervisor_inactive")
    return Resolution(_fallback(pol, exclude=exclude, step_label=label), escalated=True, at_top=True, reasons=reasons)


def _next_level(step: ApprovalStep, request: ApprovalRequest, pol: ApprovalsPolicy) -> Resolution | None:
    """Approvers one level above the step's current ones (overdue escalation); None if the step
    has already reached the fallback role."""
    if step.at_top:
        return None
    assigned = set(step.assignments.values_list("approver_id", flat=True))
    exclude = assigned | {request.requester_id}
    if step.kind == "role" and step.resolved_unit_id:
        unit = OrgUnit.objects.filter(pk=step.resolved_unit_id).first()
        for unit_id in _unit_chain(unit)[1:]:
            others = [u for u in role_holders(step.spec.get("role", ""), unit_id) if u not in exclude]
            if others:
                return Resolution(others, unit_id=unit_id, escalated=True, reasons=["overdue"])
    elif step.kind in ("user", "supervisor"):
        bosses = set()
        for approver_id in step.assignments.filter(escalated=step.escalation_count > 0).values_list("approver_id", flat=True):
            boss = supervisor_of(approver_id)
            if boss is not None:
                bosses.add(boss)
        bosses = _active(bosses) - exclude
        if bosses:
            return Resolution(sorted(bosses), escalated=True, reasons=["overdue"])
    ids = [u for u in role_holders(pol.fallback_role) if u not in exclude]
    return Resolution(ids, escalated=True, at_top=True, reasons=["overdue"])


# --- submit ---------------------------------------------------------------------------------


@transaction.atomic
def submit(action: str, *, target, requester, payload: dict | None = None, title: str = "", unit: OrgUnit | None = None) -> ApprovalRequest:
    """Open a request for `action` on `target`; its steps come from the active policy."""
    entry = registry.require(action)
    pol = _flows()
    flow = pol.flows.get(action)
    if flow is None:
        raise DomainError(
            _("The policy has no approval flow for “%(action)s”. Add one under approvals.flows.") % {"action": action}, code="no_flow"
        )
    if requester is None or not requester.is_active:
        raise NotAllowed(_("Only an active user can submit a request for approval."))
    if target is None or target.pk is None:
        raise DomainError(_("A request for approval needs a saved object."), code="no_target")
    ct = ContentType.objects.get_for_model(target, for_concrete_model=False)
    if ApprovalRequest.objects.filter(action=action, content_type=ct, object_id=str(target.pk), status=RequestStatus.PENDING).exists():
        raise Conflict(_("A request for this is already waiting for approval."), code="already_pending")
    requester_unit = unit or primary_unit(requester)
    version = _policy_version()
    now = timezone.now()
    req = ApprovalRequest(
        action=action,
        content_type=ct,
        object_id=str(target.pk),
        target_repr=str(target)[:255],
        title=(title or _("%(action)s: %(object)s") % {"action": entry.label, "object": target})[:200],
        payload=payload or {},
        requester=requester,
        requester_unit=requester_unit,
        flow_label=flow.label or str(entry.label),
        policy_version=version,
        clause=clause_for(action),
        created_at=now,
    )
    try:
        with transaction.atomic():
            req.save()
    except IntegrityError as exc:
        raise Conflict(_("A request for this is already waiting for approval."), code="already_pending") from exc

    escalations = []
    for index, step_def in enumerate(flow.steps):
        spec = step_def.model_dump(exclude_none=True)
        label = step_def.label or step_def.describe()
        res = _resolve(spec, requester_id=requester.pk, requester_unit=requester_unit, pol=pol, label=label)
        step = ApprovalStep.objects.create(
            request=req,
            index=index,
            kind=step_def.kind,
            mode=step_def.mode,
            label=label,
            spec=spec,
            status=StepStatus.PENDING if index == 0 else StepStatus.WAITING,
            started_at=now if index == 0 else None,
            resolved_unit_id=res.unit_id,
            escalated=res.escalated,
            at_top=res.at_top,
        )
        for approver_id in res.approver_ids:
            ApprovalAssignment.objects.create(step=step, approver_id=approver_id, escalated=res.at_top, created_at=now)
        if res.escalated:
            escalations.append({"step": index, "reasons": res.reasons, "approvers": res.approver_ids, "fallback": res.at_top})

    audit.record(
        "approval.submitted",
        subject=req,
        actor=requester,
        data={"action": action, "target": req.target_repr, "policy_version": version, "clause": req.clause, "steps": len(flow.steps)},
    )
    for esc in escalations:
        audit.record("approval.escalated", subject=req, actor=requester, data={"when": "submitted", **esc})
    return req


# --- decisions ------------------------------------------------------------------------------


def _lock(request: ApprovalRequest | int) -> ApprovalRequest:
    pk = request.pk if isinstance(request, ApprovalRequest) else request
    return ApprovalRequest.objects.select_for_update().get(pk=pk)


def _transition(req: ApprovalRequest, **changes) -> None:
    """Conditional UPDATE from the state this transaction saw; a concurrent decision makes it
    match no row, and this decision fails instead of applying twice."""
    n = ApprovalRequest.objects.filter(pk=req.pk, status=RequestStatus.PENDING, current_step=req.current_step).update(**changes)
    if n != 1:
        raise Conflict(_("Someone else decided this request a moment ago. Reload the page to see the outcome."), code="concurrent")
    for name, value in changes.items():
        setattr(req, name, value)
    req.save(update_fields=list(changes))  # the field-history row


def _entitled(req: ApprovalRequest, user) -> tuple[ApprovalStep, ApprovalAssignment]:
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotAllowed(_("Only an active user can decide a request."))
    if req.status != RequestStatus.PENDING:
        raise Conflict(
            _("This request has already been decided (%(status)s).") % {"status": req.get_status_display()},
            code="decided",
        )
    step = req.steps.get(index=req.current_step)
    assignment = step.assignments.filter(approver_id=user.pk).first()
    if assignment is None:
        if user.pk == req.requester_id:
            raise NotAllowed(_("You cannot approve or reject your own request."), code="own_request")
        if ApprovalAssignment.objects.filter(step__request=req, approver_id=user.pk).exists():
            raise NotAllowed(_("This request is not at your step: it waits for “%(step)s”.") % {"step": step.label}, code="not_your_step")
        raise NotAllowed(_("You are not an approver of the current step of this request."), code="not_approver")
    if assignment.decision != Decision.PENDING:
        raise Conflict(_("You have already decided on this step."), code="already_decided")
    return step, assignment


def _close_assignments(step: ApprovalStep, now) -> None:
    for a in step.assignments.filter(decision=Decision.PENDING):
        a.decision = Decision.SKIPPED
        a.decided_at = now
        a.save(update_fields=["decision", "decided_at"])


def _step_complete(step: ApprovalStep, assignment: ApprovalAssignment) -> bool:
    if assignment.escalated or step.mode == "any":
        return True
    primary = step.assignments.filter(escalated=False)
    return not primary.exclude(decision=Decision.APPROVED).exists()


@transaction.atomic
def approve(request: ApprovalRequest | int, user, comment: str = "") -> ApprovalRequest:
    req = _lock(request)
    step, assignment = _entitled(req, user)
    now = timezone.now()
    assignment.decision = Decision.APPROVED
    assignment.comment = (comment or "").strip()
    assignment.decided_at = now
    assignment.save(update_fields=["decision", "comment", "decided_at"])

    complete = _step_complete(step, assignment)
    final = complete and not req.steps.filter(index__gt=step.index).exists()
    audit.record(
        "approval.approved",
        subject=req,
        actor=user,
        data={"action": req.action, "step": step.index, "comment": assignment.comment, "step_complete": complete, "final": final},
    )
    if not complete:
        return req

    step.status = StepStatus.APPROVED
    step.completed_at = now
    step.save(update_fields=["status", "completed_at"])
    _close_assignments(step, now)

    if not final:
        nxt = req.steps.get(index=step.index + 1)
        _transition(req, current_step=nxt.index)
        nxt.status = StepStatus.PENDING
        nxt.started_at = now
        nxt.save(update_fields=["status", "started_at"])
        return req

    _transition(req, status=RequestStatus.APPROVED, decided_at=now, decided_by_id=user.pk)
    entry = registry.require(req.action)
    entry.apply(req)
    req.applied_at = timezone.now()
    req.save(update_fields=["applied_at"])
    audit.record(
        "approval.applied", subject=req, actor=user, data={"action": req.action, "policy_version": req.policy_version, "clause": req.clause}
    )
    return req


@transaction.atomic
def reject(request: ApprovalRequest | int, user, comment: str = "") -> ApprovalRequest:
    comment = (comment or "").strip()
    req = _lock(request)
    step, assignment = _entitled(req, user)
    if not comment:
        raise DomainError(_("Please give a reason for the rejection."), field="comment", code="comment_required")
    now = timezone.now()
    assignment.decision = Decision.REJECTED
    assignment.comment = comment
    assignment.decided_at = now
    assignment.save(update_fields=["decision", "comment", "decided_at"])
    step.status = StepStatus.REJECTED
    step.completed_at = now
    step.save(update_fields=["status", "completed_at"])
    _close_assignments(step, now)
    _skip_rest(req, after=step.index)
    _transition(req, status=RequestStatus.REJECTED, decided_at=now, decided_by_id=user.pk)
    entry = registry.get(req.action)
    if entry is not None and entry.reject is not None:
        entry.reject(req)
    audit.record("approval.rejected", subject=req, actor=user, data={"action": req.action, "step": step.index, "comment": comment})
    return req


def _skip_rest(req: ApprovalRequest, *, after: int) -> None:
    for s in req.steps.filter(index__gt=after, status=StepStatus.WAITING):
        s.status = StepStatus.SKIPPED
        s.save(update_fields=["status"])


@transaction.atomic
def cancel(request: ApprovalRequest | int, user) -> ApprovalRequest:
    req = _lock(request)
    if user is None or user.pk != req.requester_id:
        raise NotAllowed(_("Only the person who submitted a request can withdraw it."), code="not_requester")
    if req.status != RequestStatus.PENDING:
        raise Conflict(_("This request has already been decided (%(status)s).") % {"status": req.get_status_display()}, code="decided")
    now = timezone.now()
    for s in req.steps.filter(status=StepStatus.PENDING):
        s.status = StepStatus.SKIPPED
        s.completed_at = now
        s.save(update_fields=["status", "completed_at"])
        _close_assignments(s, now)
    _skip_rest(req, after=-1)
    _transition(req, status=RequestStatus.CANCELLED, decided_at=now, decided_by_id=user.pk)
    entry = registry.get(req.action)
    if entry is not None and entry.cancel is not None:
        entry.cancel(req)
    audit.record("approval.cancelled", subject=req, actor=user, data={"action": req.action})
    return req


# --- escalation -----------------------------------------------------------------------------


def overdue_step_ids(now: dt.datetime | None = None) -> list[int]:
    pol = _flows()
    cutoff = (now or timezone.now()) - dt.timedelta(hours=pol.escalate_after_hours)
    return list(
        ApprovalStep.objects.filter(status=StepStatus.PENDING, request__status=RequestStatus.PENDING, at_top=False)
        .annotate(waiting_since=Coalesce("escalated_at", "started_at"))
        .filter(waiting_since__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)
    )


def escalate_overdue(now: dt.datetime | None = None) -> list[int]:
    """Add the next level's approvers to every step waiting longer than the policy's
    escalate_after_hours. Safe to run twice: a step just escalated is not overdue again until
    another escalate_after_hours have passed. Returns the ids of the steps escalated."""
    done = []
    for step_id in overdue_step_ids(now):
        if escalate_step(step_id, now=now):
            done.append(step_id)
    return done


@transaction.atomic
def escalate_step(step_id: int, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    step = ApprovalStep.objects.select_related("request").get(pk=step_id)
    req = _lock(step.request_id)
    step.refresh_from_db()
    if req.status != RequestStatus.PENDING or step.status != StepStatus.PENDING or step.index != req.current_step or step.at_top:
        return False
    pol = _flows()
    res = _next_level(step, req, pol)
    step.escalated_at = now
    if res is None or not res.approver_ids:
        # Nobody above: the fallback holders are already assigned (or there are none).
        step.at_top = True
        step.save(update_fields=["escalated_at", "at_top"])
        return False
    for approver_id in res.approver_ids:
        ApprovalAssignment.objects.get_or_create(step=step, approver_id=approver_id, defaults={"escalated": True, "created_at": now})
    step.escalated = True
    step.escalation_count += 1
    step.at_top = res.at_top
    if res.unit_id:
        step.resolved_unit_id = res.unit_id
    step.save(update_fields=["escalated_at", "escalated", "escalation_count", "at_top", "resolved_unit"])
    audit.record(
        "approval.escalated",
        subject=req,
        data={
            "when": "overdue",
            "step": step.index,
            "approvers": res.approver_ids,
            "fallback": res.at_top,
            "hours": pol.escalate_after_hours,
        },
    )
    return True
