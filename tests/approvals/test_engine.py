import datetime as dt

import pytest
from django.utils import timezone

from guanxi.approvals import services
from guanxi.approvals.models import ApprovalAssignment, ApprovalRequest, Decision, RequestStatus, StepStatus
from guanxi.core.audit import events_for
from guanxi.core.errors import Conflict, DomainError, NotAllowed
from tests.support import org as orgf

from .conftest import ACTION, flow, step

pytestmark = pytest.mark.django_db


def approvers(req, index=0):
    return sorted(ApprovalAssignment.objects.filter(step__request=req, step__index=index).values_list("approver__username", flat=True))


def events(req):
    return list(events_for(req).order_by("id").values_list("event_type", flat=True))


# --- sign modes and steps ------------------------------------------------------------------


def test_any_mode_one_approval_applies(org, policy, action, target):
    gm2 = orgf.make_user("general_manager", org.company, username="gm2")
    policy(flow(step(role="general_manager", mode="any")))
    req = services.submit(ACTION, target=target, requester=org.rep, payload={"what": "x"})
    assert approvers(req) == ["gm", "gm2"]

    services.approve(req, gm2, "fine")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert req.applied_at is not None and req.decided_by == gm2
    assert action.apply == [req.pk]
    other = ApprovalAssignment.objects.get(step__request=req, approver=org.gm)
    assert other.decision == Decision.SKIPPED

    # The other approver is too late: refused, applied once.
    with pytest.raises(Conflict):
        services.approve(req, org.gm, "me too")
    assert action.apply == [req.pk]


def test_all_mode_needs_every_assignee(org, policy, action, target):
    gm2 = orgf.make_user("general_manager", org.company, username="gm2")
    policy(flow(step(role="general_manager", mode="all")))
    req = services.submit(ACTION, target=target, requester=org.rep)

    services.approve(req, org.gm, "")
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert action.apply == []
    assert req.steps.get().status == StepStatus.PENDING

    services.approve(req, gm2, "ok")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert action.apply == [req.pk]


def test_steps_are_sequential(org, policy, action, target):
    policy(flow(step(role="department_manager", label="DM"), step(role="marketing_director", label="MD")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    assert approvers(req, 0) == ["dm"] and approvers(req, 1) == ["md"]

    with pytest.raises(NotAllowed, match="not at your step"):
        services.approve(req, org.md, "early")

    services.approve(req, org.dm, "")
    req.refresh_from_db()
    assert req.current_step == 1 and req.status == RequestStatus.PENDING
    assert list(req.steps.values_list("status", flat=True)) == [StepStatus.APPROVED, StepStatus.PENDING]
    assert action.apply == []

    services.approve(req, org.md, "")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert action.apply == [req.pk]


# --- resolution ----------------------------------------------------------------------------


def test_role_is_searched_in_own_unit_then_ancestors(org, policy, action, target):
    policy(flow(step(role="department_manager")))
    # rep is in "east"; the department manager sits in its parent "sales".
    req = services.submit(ACTION, target=target, requester=org.rep)
    s = req.steps.get()
    assert approvers(req) == ["dm"]
    assert s.resolved_unit_id == org.sales.pk
    assert not s.escalated

    # A holder in the requester's own unit wins over the one above.
    orgf.make_user("department_manager", org.east, username="east_dm")
    other = services.submit(ACTION, target=orgf.make_unit(), requester=org.rep)
    assert approvers(other) == ["east_dm"]


def test_nth_supervisor(org, policy, action, target):
    # rep → lead → dm → md → gm
    policy(flow(step(kind="supervisor", level=1)))
    assert approvers(services.submit(ACTION, target=target, requester=org.rep)) == ["lead"]
    policy(flow(step(kind="supervisor", level=3)))
    assert approvers(services.submit(ACTION, target=orgf.make_unit(), requester=org.rep)) == ["md"]


def test_named_user_step(org, policy, action, target):
    policy(flow(step(kind="user", user="md")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    assert approvers(req) == ["md"]


def test_no_approver_escalates_to_administrator(org, policy, action, target):
    orgf.make_role("finance")  # the role exists but nobody holds it
    policy(flow(step(role="finance", label="Finance")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    s = req.steps.get()
    assert approvers(req) == ["admin"]
    assert s.escalated and s.at_top
    assert ApprovalAssignment.objects.get(step=s).escalated
    assert "approval.escalated" in events(req)

    services.approve(req, org.admin, "on behalf")
    assert action.apply == [req.pk]


def test_supervisor_beyond_the_top_escalates(org, policy, action, target):
    policy(flow(step(kind="supervisor", level=9)))
    req = services.submit(ACTION, target=target, requester=org.rep)
    assert approvers(req) == ["admin"]


def test_inactive_named_user_escalates(org, policy, action, target):
    org.md.is_active = False
    org.md.save()
    policy(flow(step(kind="user", user="md")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    assert approvers(req) == ["admin"]
    assert req.steps.get().escalated


def test_nobody_at_all_is_a_clear_error(db, policy, action, target):
    rep = orgf.make_user("sales_rep", orgf.make_unit())
    policy(flow(step(role="finance")), fallback_role="nobody_role")
    with pytest.raises(DomainError, match="Nobody can approve"):
        services.submit(ACTION, target=target, requester=rep)
    assert not ApprovalRequest.objects.exists()


# --- the requester -------------------------------------------------------------------------


def test_requester_never_approves_own_request(org, policy, action, target):
    policy(flow(step(role="department_manager")))
    # The department manager asks: the role in their own unit is themselves → next level up
    # has none → the administrator.
    req = services.submit(ACTION, target=target, requester=org.dm)
    assert "dm" not in approvers(req)
    assert approvers(req) == ["admin"]
    with pytest.raises(NotAllowed, match="your own request"):
        services.approve(req, org.dm, "self")
    assert action.apply == []


def test_requester_skipped_among_several_holders(org, policy, action, target):
    gm2 = orgf.make_user("general_manager", org.company, username="gm2")
    policy(flow(step(role="general_manager")))
    req = services.submit(ACTION, target=target, requester=gm2)
    assert approvers(req) == ["gm"]


# --- decisions -----------------------------------------------------------------------------


def test_reject_needs_a_comment_and_stops_the_flow(org, policy, action, target):
    policy(flow(step(role="department_manager"), step(role="marketing_director")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    with pytest.raises(DomainError, match="reason") as err:
        services.reject(req, org.dm, "   ")
    assert err.value.field == "comment"
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert ApprovalAssignment.objects.get(step__request=req, approver=org.dm).decision == Decision.PENDING

    services.reject(req, org.dm, "Not this quarter.")
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED and req.decided_by == org.dm
    assert list(req.steps.values_list("status", flat=True)) == [StepStatus.REJECTED, StepStatus.SKIPPED]
    assert ApprovalAssignment.objects.get(step__request=req, approver=org.dm).comment == "Not this quarter."
    assert action.apply == [] and action.reject == [req.pk]
    assert "approval.rejected" in events(req)


def test_not_entitled_user_is_refused_and_nothing_changes(org, policy, action, target):
    policy(flow(step(role="department_manager")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    before = events(req)
    for verb in (services.approve, services.reject):
        with pytest.raises(NotAllowed, match="not an approver"):
            verb(req, org.outsider, "let me")
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert set(ApprovalAssignment.objects.filter(step__request=req).values_list("decision", flat=True)) == {Decision.PENDING}
    assert events(req) == before
    assert action.apply == []


def test_approving_twice_applies_once(org, policy, action, target):
    policy(flow(step(role="department_manager")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    services.approve(req, org.dm, "")
    with pytest.raises(Conflict):
        services.approve(req, org.dm, "")
    with pytest.raises(Conflict):
        services.reject(req, org.dm, "changed my mind")
    assert action.apply == [req.pk]
    assert events(req).count("approval.applied") == 1


def test_cancel_only_by_requester(org, policy, action, target):
    policy(flow(step(role="department_manager")))
    req = services.submit(ACTION, target=target, requester=org.rep)
    with pytest.raises(NotAllowed):
        services.cancel(req, org.dm)
    services.cancel(req, org.rep)
    req.refresh_from_db()
    assert req.status == RequestStatus.CANCELLED
    assert action.cancel == [req.pk] and action.apply == []
    with pytest.raises(Conflict):
        services.approve(req, org.dm, "")


def test_one_pending_request_per_action_and_object(org, policy, action, target):
    policy(flow(step(role="department_manager")))
    services.submit(ACTION, target=target, requester=org.rep)
    with pytest.raises(Conflict, match="already waiting"):
        services.submit(ACTION, target=target, requester=org.lead)


def test_unknown_action_or_flow(org, policy, action, target):
    policy({"other.thing": flow(step(role="department_manager"))})
    with pytest.raises(DomainError, match="no approval flow"):
        services.submit(ACTION, target=target, requester=org.rep)
    with pytest.raises(DomainError, match="not an action"):
        services.submit("unknown.action", target=target, requester=org.rep)


def test_apply_failure_rolls_the_approval_back(org, policy, target):
    from guanxi.approvals import registry

    def boom(req):
        raise DomainError("The change no longer fits.")

    registry.register(ACTION, label="Test", apply=boom)
    try:
        policy(flow(step(role="department_manager")))
        req = services.submit(ACTION, target=target, requester=org.rep)
        with pytest.raises(DomainError, match="no longer fits"):
            services.approve(req, org.dm, "")
        req.refresh_from_db()
        assert req.status == RequestStatus.PENDING and req.applied_at is None
        assert ApprovalAssignment.objects.get(step__request=req).decision == Decision.PENDING
    finally:
        registry.unregister(ACTION)


# --- policy record and audit ---------------------------------------------------------------


def test_policy_version_clause_and_audit(org, policy, action, target):
    policy(flow(step(role="department_manager")), version=12)
    req = services.submit(ACTION, target=target, requester=org.rep, payload={"what": "x"}, title="Change X")
    assert req.policy_version == 12
    assert req.clause == "approvals.flows.test.change"
    assert req.title == "Change X" and req.target == target
    services.approve(req, org.dm, "ok")
    assert events(req) == ["approval.submitted", "approval.approved", "approval.applied"]
    submitted = events_for(req).get(event_type="approval.submitted")
    assert submitted.actor == org.rep and submitted.data["policy_version"] == 12
    # Field history is kept for requests, steps and assignments.
    assert req.history.count() >= 2


def test_default_policy_flows_are_used_without_a_policy_section(org, monkeypatch, target):
    from types import SimpleNamespace

    from guanxi.approvals import registry
    from guanxi.policy import services as policy_services

    monkeypatch.setattr(policy_services, "current", lambda: SimpleNamespace())
    monkeypatch.setitem(registry.ACTIONS, "policy.change", registry.Action("policy.change", "Policy change", lambda r: None))
    req = services.submit("policy.change", target=target, requester=org.rep)
    assert approvers(req) == ["gm"]
    assert req.policy_version == 0


# --- escalation of overdue steps -----------------------------------------------------------


def _age(req, hours):
    s = req.steps.get(index=req.current_step)
    s.started_at = timezone.now() - dt.timedelta(hours=hours)
    if s.escalated_at:
        s.escalated_at = s.started_at
    s.save()


def test_overdue_step_escalates_to_next_level_then_fallback(org, policy, action, target):
    hq_dm = orgf.make_user("department_manager", org.company, username="hq_dm")
    policy(flow(step(role="department_manager", mode="all")), escalate_after_hours=48)
    req = services.submit(ACTION, target=target, requester=org.rep)
    assert approvers(req) == ["dm"]

    assert services.escalate_overdue() == []  # not overdue yet
    _age(req, 49)
    s = req.steps.get()
    assert services.escalate_overdue() == [s.pk]
    assert approvers(req) == ["dm", "hq_dm"]
    s.refresh_from_db()
    assert s.escalated and s.escalation_count == 1 and s.resolved_unit_id == org.company.pk
    assert services.escalate_overdue() == []  # just escalated: not again right away

    _age(req, 49)
    assert services.escalate_overdue() == [s.pk]
    assert approvers(req) == ["admin", "dm", "hq_dm"]
    s.refresh_from_db()
    assert s.at_top
    _age(req, 49)
    assert services.escalate_overdue() == []
    assert events(req).count("approval.escalated") == 2

    # An approver added by escalation decides for the step, even in 会签 mode.
    services.approve(req, hq_dm, "")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED and action.apply == [req.pk]


def test_overdue_supervisor_step_goes_up_the_line(org, policy, action, target):
    policy(flow(step(kind="supervisor", level=1)), escalate_after_hours=2)
    req = services.submit(ACTION, target=target, requester=org.rep)
    assert approvers(req) == ["lead"]
    _age(req, 3)
    services.escalate_overdue()
    assert approvers(req) == ["dm", "lead"]


def test_periodic_task_is_registered_and_runs(org, policy, action, target):
    from guanxi.approvals import tasks
    from guanxi.core.periodic import JOBS

    schedule = JOBS["approvals.escalate_overdue"].schedule
    assert float(getattr(schedule, "seconds", schedule)) == 3600
    policy(flow(step(role="department_manager")), escalate_after_hours=1)
    req = services.submit(ACTION, target=target, requester=org.rep)
    _age(req, 2)
    assert tasks.escalate_overdue.apply().get() == [req.steps.get().pk]


def test_company_wide_role_found_beside_the_requesters_units(org, policy, action, target):
    """The marketing division sits beside the sales departments: a company-wide step finds its
    director there; without the flag the step escalates to the fallback role."""
    beside = orgf.make_user("finance", org.service, username="fin_beside")
    policy(flow(step(role="finance", label="Finance", company_wide=True)))
    req = services.submit(ACTION, target=target, requester=org.rep)
    assert approvers(req) == [beside.username]
    assert not req.steps.get().at_top

    policy(flow(step(role="finance", label="Finance")))
    assert approvers(services.submit(ACTION, target=orgf.make_unit(), requester=org.rep)) == ["admin"]


def test_company_wide_only_for_role_steps():
    with pytest.raises(ValueError, match="company-wide"):
        step(kind="user", user="md", company_wide=True)
