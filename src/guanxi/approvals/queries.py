"""Read side of the approval engine: what a user may see, the inbox, the detail page data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q

from . import registry
from .models import ApprovalAssignment, ApprovalRequest, ApprovalStep, Decision, RequestStatus, StepStatus, involvement_q

TABS = ("waiting", "mine", "all")
VIEW_PERMISSION = "approvals.view_approvalrequest"


def may_browse(user) -> bool:
    """Whether the user's roles grant viewing approval requests (beyond their own involvement).
    Without it, a request the user is not involved in answers 403 rather than 404."""
    return user.has_perm(VIEW_PERMISSION)


def visible(user):
    """Requests in the user's data scope (role permission `approvals.view_approvalrequest`), plus
    every request they made or are an approver of: an approver always sees what they decide."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ApprovalRequest.objects.none()
    scoped = ApprovalRequest.objects.restrict(user, "view").values("pk")
    return ApprovalRequest.objects.filter(Q(pk__in=scoped) | involvement_q(user.pk))


def inbox(user, tab: str = "waiting", *, status: str = "", action: str = ""):
    if tab == "mine":
        qs = ApprovalRequest.objects.mine(user)
    elif tab == "all":
        qs = visible(user)
    else:
        qs = ApprovalRequest.objects.waiting_for(user)
    if status in RequestStatus.values:
        qs = qs.filter(status=status)
    if action:
        qs = qs.filter(action=action)
    return qs.select_related("requester", "requester_unit", "content_type").order_by("-created_at", "-id")


def counts(user) -> dict[str, int]:
    return {
        "waiting": ApprovalRequest.objects.waiting_for(user).count(),
        "mine": ApprovalRequest.objects.mine(user).filter(status=RequestStatus.PENDING).count(),
    }


def with_steps(qs):
    assignments = ApprovalAssignment.objects.select_related("approver").order_by("escalated", "id")
    steps = (
        ApprovalStep.objects.select_related("resolved_unit")
        .prefetch_related(Prefetch("assignments", queryset=assignments))
        .order_by("index")
    )
    return qs.select_related("requester", "requester_unit", "decided_by", "content_type").prefetch_related(
        Prefetch("steps", queryset=steps)
    )


@dataclass
class Permissions:
    decide: bool
    cancel: bool


def permissions_for(req: ApprovalRequest, user) -> Permissions:
    if req.status != RequestStatus.PENDING:
        return Permissions(False, False)
    can_decide = ApprovalAssignment.objects.filter(
        step__request=req, step__index=req.current_step, step__status=StepStatus.PENDING, approver_id=user.pk, decision=Decision.PENDING
    ).exists()
    return Permissions(can_decide, req.requester_id == user.pk)


def action_choices(user) -> list[tuple[str, str]]:
    keys = set(visible(user).values_list("action", flat=True).distinct())
    return sorted(((k, str(registry.label_for(k))) for k in keys), key=lambda kv: kv[1])


def policy_flow(req: ApprovalRequest):
    """The flow as the *current* policy defines it (the request keeps the steps it was submitted with)."""
    from .services import approvals_policy

    return approvals_policy().flows.get(req.action)
