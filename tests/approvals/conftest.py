"""Fixtures of the approval-engine tests.

- `policy(flows, version=7, **settings)`: the approvals section the engine reads (the real
  policy object stays in place for everything else, e.g. the session middleware).
- `action`: registers the action "test.change" whose apply/reject/cancel hooks count calls.
- `org`: the unit tree of tests.support.org.make_units plus a few people in it.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guanxi.approvals import registry
from guanxi.approvals.schema import ApprovalFlow, ApprovalsPolicy, ApprovalStep
from tests.support import org as orgf

ACTION = "test.change"


def step(kind="role", mode="any", label="", **kw) -> ApprovalStep:
    return ApprovalStep(kind=kind, mode=mode, label=label or kind, **kw)


def flow(*steps: ApprovalStep) -> ApprovalFlow:
    return ApprovalFlow(label="Test flow", steps=list(steps))


class _PolicyProxy:
    def __init__(self, real, approvals, version):
        self._real, self.approvals, self.version = real, approvals, version

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture
def policy(monkeypatch):
    from guanxi.policy import services as policy_services

    real_current = policy_services.current

    def set_policy(flows: dict[str, ApprovalFlow] | ApprovalFlow, version: int = 7, **settings) -> ApprovalsPolicy:
        if isinstance(flows, ApprovalFlow):
            flows = {ACTION: flows}
        section = ApprovalsPolicy(flows=flows, **settings)
        monkeypatch.setattr(policy_services, "current", lambda: _PolicyProxy(real_current(), section, version))
        return section

    return set_policy


@pytest.fixture
def action():
    calls = SimpleNamespace(apply=[], reject=[], cancel=[])
    registry.register(
        ACTION,
        label="Test change",
        apply=lambda r: calls.apply.append(r.pk),
        reject=lambda r: calls.reject.append(r.pk),
        cancel=lambda r: calls.cancel.append(r.pk),
        describe=lambda r: f"Change {r.payload.get('what', '')}",
    )
    yield calls
    registry.unregister(ACTION)


@pytest.fixture
def org(db):
    """company ─┬─ sales ── east (team)
                └─ service
    gm (general_manager, company), admin (administrator, company),
    dm (department_manager, sales), lead (sales_rep, east) ← rep (sales_rep, east),
    md (marketing_director, company)."""
    u = orgf.make_units()
    gm = orgf.make_user("general_manager", u.company, username="gm")
    admin = orgf.make_user("administrator", u.company, username="admin")
    md = orgf.make_user("marketing_director", u.company, username="md", reports_to=gm)
    dm = orgf.make_user("department_manager", u.sales, username="dm", reports_to=md)
    lead = orgf.make_user("sales_rep", u.east, username="lead", reports_to=dm)
    rep = orgf.make_user("sales_rep", u.east, username="rep", reports_to=lead)
    outsider = orgf.make_user("service_staff", u.service, username="outsider")
    return SimpleNamespace(**vars(u), gm=gm, admin=admin, md=md, dm=dm, lead=lead, rep=rep, outsider=outsider)


@pytest.fixture
def target(db):
    """Any saved object can be the target; a unit will do."""
    return orgf.make_unit("Target object")
