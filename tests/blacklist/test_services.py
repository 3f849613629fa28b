"""The blacklist rules (seed 002 §五.3.3, 3.5): department and company lists, approval,
announcement, rejection, lifting, and the one business check later modules call."""

from __future__ import annotations

import pytest

from guanxi.approvals import services as approvals
from guanxi.approvals.models import ApprovalRequest, RequestStatus
from guanxi.blacklist import queries, services
from guanxi.blacklist.models import BlacklistEntry, EntryStatus, Level
from guanxi.blacklist.services import Blacklisted, check_can_do_business
from guanxi.core.audit import events_for
from guanxi.core.errors import Conflict, DomainError, NotAllowed
from guanxi.customers.models import Customer
from guanxi.notifications.models import Notification


def _department(env, c, *, unit=None, actor=None, reason="多次逾期未提货"):
    return services.add_entry(customer=c, level=Level.DEPARTMENT, actor=actor or env.manager, reason=reason, unit=unit or env.units.sales)


def _company(env, c, *, actor=None, reason="恶意违约，给公司造成重大损失"):
    return services.add_entry(customer=c, level=Level.COMPANY, actor=actor or env.manager, reason=reason, evidence="合同编号 HX-2024-017")


# ---------------------------------------------------------------- department entries


def test_department_entry_blocks_the_unit_and_its_sub_units_only(env, customer):
    c = customer()
    entry = _department(env, c)
    assert entry.status == EntryStatus.ACTIVE and entry.activated_at is not None
    for unit in (env.units.sales, env.units.east, env.units.sales.pk):
        assert queries.is_blacklisted(c, unit)
        with pytest.raises(Blacklisted) as exc:
            check_can_do_business(c, unit=unit, action="order")
        assert "Sales" in str(exc.value) and "多次逾期未提货" in str(exc.value) and "order" in str(exc.value)
        assert exc.value.entries == [entry]
    # Other departments, the company as a whole and the record's status are not affected.
    check_can_do_business(c, unit=env.units.service, action="contract")
    check_can_do_business(c, unit=env.units.company)
    check_can_do_business(c)
    assert not queries.is_blacklisted(c, env.units.service)
    assert not queries.is_blacklisted(c)
    assert Customer.objects.get(pk=c.pk).status == "active"
    assert events_for(entry).filter(event_type="blacklist.added").exists()


def test_department_entry_of_a_sub_unit_does_not_block_the_parent(env, customer):
    c = customer()
    _department(env, c, unit=env.units.east, actor=env.east_manager)
    with pytest.raises(Blacklisted):
        check_can_do_business(c, unit=env.units.east)
    check_can_do_business(c, unit=env.units.sales)


def test_who_may_add_a_department_entry(env, customer):
    c = customer()
    with pytest.raises(NotAllowed):  # a sales rep keeps no list
        _department(env, c, actor=env.rep, unit=env.units.east)
    with pytest.raises(NotAllowed):  # another department's list
        _department(env, c, actor=env.manager, unit=env.units.service)
    with pytest.raises(NotAllowed):  # a customer the manager cannot see
        other = customer("客服部的客户有限公司", unit=env.units.service.pk)
        Customer.objects.filter(pk=other.pk).update(owner=env.service_manager)
        _department(env, Customer.objects.get(pk=other.pk), actor=env.manager)
    with pytest.raises(DomainError) as exc:
        _department(env, c, reason="   ")
    assert exc.value.field == "reason"
    _department(env, c)
    with pytest.raises(Conflict):
        _department(env, c)
    assert BlacklistEntry.objects.count() == 1


# ---------------------------------------------------------------- company entries


def test_company_entry_needs_approval_then_blocks_everywhere_and_is_announced(env, customer):
    c = customer()
    entry = _company(env, c)
    assert entry.status == EntryStatus.PENDING and entry.approval is not None
    assert entry.clause == "grading.company_blacklist_requires_approval" and entry.policy_version >= 0
    check_can_do_business(c, unit=env.units.service)  # not in force while pending
    assert Notification.objects.count() == 0

    request = ApprovalRequest.objects.get(pk=entry.approval_id)
    assert request.action == "blacklist.company"
    assert list(request.steps.get(index=0).assignments.values_list("approver_id", flat=True)) == [env.director.pk]
    with pytest.raises(NotAllowed):
        approvals.approve(request, env.service_manager)
    approvals.approve(request, env.director, "核实无误")

    entry.refresh_from_db()
    c.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE and entry.decided_by == env.director
    assert entry.previous_customer_status == "active"
    assert c.status == "blacklisted"
    for unit in (None, env.units.company, env.units.sales, env.units.east, env.units.service):
        with pytest.raises(Blacklisted) as exc:
            check_can_do_business(c, unit=unit, action="opportunity")
        assert "company blacklist" in str(exc.value) and "恶意违约" in str(exc.value)
    assert queries.is_blacklisted(c)
    # Every department's managers are told (and the proposer).
    recipients = set(Notification.objects.filter(kind="blacklist.announced").values_list("recipient_id", flat=True))
    assert {env.manager.pk, env.east_manager.pk, env.service_manager.pk} <= recipients
    assert env.rep.pk not in recipients and env.admin.pk not in recipients
    note = Notification.objects.filter(recipient=env.service_manager).get()
    assert c.name in note.title and "恶意违约" in note.body and note.url.endswith(f"/blacklist/{entry.pk}/")
    kinds = set(events_for(entry).values_list("event_type", flat=True))
    assert {"blacklist.requested", "blacklist.activated"} <= kinds
    assert events_for(c).filter(event_type="customer.updated").exists()  # status through the customer service


def test_company_entry_rejected(env, customer):
    c = customer()
    entry = _company(env, c)
    request = ApprovalRequest.objects.get(pk=entry.approval_id)
    with pytest.raises(DomainError):
        approvals.reject(request, env.director, "")  # a reason is required
    approvals.reject(request, env.director, "证据不足")
    entry.refresh_from_db()
    c.refresh_from_db()
    assert entry.status == EntryStatus.REJECTED and request.__class__.objects.get(pk=request.pk).status == RequestStatus.REJECTED
    assert c.status == "active"
    check_can_do_business(c, unit=env.units.east)
    note = Notification.objects.get(recipient=env.manager)
    assert note.kind == "blacklist.rejected" and note.body == "证据不足"
    assert events_for(entry).filter(event_type="blacklist.rejected", data__comment="证据不足").exists()
    # A new proposal is possible after a rejection.
    assert _company(env, c).status == EntryStatus.PENDING


def test_company_entry_withdrawn(env, customer):
    c = customer()
    entry = _company(env, c)
    approvals.cancel(entry.approval_id, env.manager)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN


def test_one_live_company_entry_per_customer(env, customer):
    c = customer()
    _company(env, c)
    with pytest.raises(Conflict, match="waiting for approval"):
        _company(env, c, actor=env.gm)


def test_without_approval_only_the_marketing_division_adds_company_entries(env, customer, policy):
    policy(company_blacklist_requires_approval=False)
    c = customer()
    with pytest.raises(NotAllowed, match="marketing division"):
        _company(env, c)
    entry = _company(env, c, actor=env.director)
    assert entry.status == EntryStatus.ACTIVE and entry.approval is None
    assert Customer.objects.get(pk=c.pk).status == "blacklisted"
    assert Notification.objects.filter(kind="blacklist.announced").count() >= 3


def test_no_announcement_when_the_policy_says_so(env, customer, policy):
    policy(company_blacklist_requires_approval=False, blacklist_announced=False)
    entry = _company(env, customer(), actor=env.director)
    assert entry.status == EntryStatus.ACTIVE
    assert Notification.objects.count() == 0


# ---------------------------------------------------------------- lifting


def _approved_company(env, c):
    entry = _company(env, c)
    approvals.approve(entry.approval_id, env.director)
    entry.refresh_from_db()
    return entry


def test_lift_company_entry_restores_the_status(env, customer):
    c = customer(status="potential")
    entry = _approved_company(env, c)
    with pytest.raises(NotAllowed, match="marketing division"):
        services.lift_entry(entry, actor=env.manager, reason="已结清欠款")
    with pytest.raises(DomainError):
        services.lift_entry(entry, actor=env.director, reason="")
    services.lift_entry(entry, actor=env.director, reason="已结清欠款")
    entry.refresh_from_db()
    c.refresh_from_db()
    assert entry.status == EntryStatus.LIFTED and entry.lifted_by == env.director and entry.lift_reason == "已结清欠款"
    assert c.status == "potential"
    check_can_do_business(c, unit=env.units.east)
    assert events_for(entry).filter(event_type="blacklist.lifted").exists()
    with pytest.raises(Conflict):
        services.lift_entry(entry, actor=env.director, reason="again")


def test_lift_department_entry(env, customer):
    c = customer()
    entry = _department(env, c)
    with pytest.raises(NotAllowed):
        services.lift_entry(entry, actor=env.rep, reason="x")
    with pytest.raises(NotAllowed):
        services.lift_entry(entry, actor=env.service_manager, reason="x")
    with pytest.raises(NotAllowed):  # a sub-unit cannot lift its parent's list
        services.lift_entry(entry, actor=env.east_manager, reason="x")
    services.lift_entry(entry, actor=env.manager, reason="问题已解决")
    check_can_do_business(c, unit=env.units.east)
    # The department may list the customer again afterwards.
    assert _department(env, c).status == EntryStatus.ACTIVE


# ---------------------------------------------------------------- the check


def test_status_only_blacklisted_record_is_blocked(env, customer):
    c = customer(status="blacklisted")
    with pytest.raises(Blacklisted, match="marked as blacklisted"):
        check_can_do_business(c, unit=env.units.east)
    assert queries.is_blacklisted(c.pk)


def test_check_follows_the_sales_clause(env, customer, policy):
    c = customer()
    _department(env, c)
    policy(sales={"blacklist_blocks_sales": False})
    check_can_do_business(c, unit=env.units.sales)


def test_blacklisted_is_a_domain_error_with_the_entries(env, customer):
    c = customer()
    company = _approved_company(env, c)
    dept = _department(env, c)
    with pytest.raises(DomainError) as exc:
        check_can_do_business(c.pk, unit=env.units.east.pk, action="contract")
    assert isinstance(exc.value, Blacklisted) and exc.value.status == 409 and exc.value.code == "blacklisted"
    assert exc.value.entries == [company, dept]  # company first
    assert exc.value.clause == "sales.blacklist_blocks_sales"
    assert "contract" in str(exc.value)
