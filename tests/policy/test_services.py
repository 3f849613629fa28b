"""Versions, approval and activation of policy changes, caching, YAML."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from guanxi.approvals import services as approvals
from guanxi.approvals.models import ApprovalRequest, RequestStatus
from guanxi.core.audit import events_for
from guanxi.core.errors import Conflict, DomainError, NotAllowed
from guanxi.core.models import AuditEvent
from guanxi.policy import services
from guanxi.policy.models import PolicyVersion, VersionStatus

pytestmark = pytest.mark.django_db


def test_migration_ships_version_1_active():
    v1 = PolicyVersion.objects.get(number=1)
    assert v1.status == VersionStatus.ACTIVE
    policy = services.current()
    assert policy.version == 1
    assert policy.pool.reclaim_after_days == 60
    assert services.current().security.idle_timeout_minutes == 30
    assert services.current().security.absolute_timeout_hours == 12
    assert services.ensure_default() is None  # idempotent


def test_without_any_version_the_shipped_default_applies():
    PolicyVersion.objects.all().delete()
    services.reset_cache()
    policy = services.current()
    assert policy.version == 0
    assert policy.deadlines.filing_working_days == 5
    v = services.ensure_default()
    assert v.number == 1 and v.status == VersionStatus.ACTIVE
    assert services.current().version == 1


def test_propose_approve_activates_exactly_once(people):
    before = services.current()
    assert before.pool.reclaim_after_days == 60
    version = services.propose_change(people.admin, {"pool": {"reclaim_after_days": 45}}, "Shorter reclaim period")
    assert version.status == VersionStatus.PENDING and version.number == 2
    assert version.base.number == 1
    assert version.diff == [{"key": "pool.reclaim_after_days", "old": 60, "new": 45}]
    req = ApprovalRequest.objects.get(pk=version.approval_request_id)
    assert req.action == "policy.change" and req.status == RequestStatus.PENDING
    assert list(req.steps.get().assignments.values_list("approver__username", flat=True)) == ["gm"]
    # Nothing changes before the approval.
    assert services.current().pool.reclaim_after_days == 60

    approvals.approve(req, people.gm, "agreed")
    version.refresh_from_db()
    assert version.status == VersionStatus.ACTIVE and version.approved_by == people.gm and version.activated_at
    assert PolicyVersion.objects.get(number=1).status == VersionStatus.SUPERSEDED
    now = services.current()
    assert now.pool.reclaim_after_days == 45
    assert now.version == 2
    activated = events_for(version).filter(event_type="policy.activated")
    assert activated.count() == 1
    assert activated.get().data["diff"] == version.diff and activated.get().data["version"] == 2

    # Exactly once: a second approval is refused, activating again does nothing.
    with pytest.raises(DomainError):
        approvals.approve(req, people.gm, "again")
    services.activate(version)
    assert events_for(version).filter(event_type="policy.activated").count() == 1
    assert PolicyVersion.objects.filter(status=VersionStatus.ACTIVE).count() == 1


def test_rejection_keeps_the_old_policy(people):
    version = services.propose_change(people.admin, {"care": {"approval_threshold_yuan": "50000.00"}}, "")
    assert version.diff == [{"key": "care.approval_threshold_yuan", "old": "30000.00", "new": "50000.00"}]
    approvals.reject(version.approval_request_id, people.gm, "Too high")
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED
    assert services.current().care.approval_threshold_yuan == Decimal("30000")
    assert services.current().version == 1
    assert events_for(version).filter(event_type="policy.rejected").exists()


def test_withdrawal_discards_the_version(people):
    version = services.propose_change(people.admin, {"pool": {"lock_quota": 20}})
    approvals.cancel(version.approval_request_id, people.admin)
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED
    # A new proposal is possible again.
    assert services.propose_change(people.admin, {"pool": {"lock_quota": 20}}).number == 3


def test_one_pending_change_at_a_time(people):
    services.propose_change(people.admin, {"pool": {"lock_quota": 20}})
    with pytest.raises(Conflict):
        services.propose_change(people.admin, {"pool": {"claims_per_day": 9}})


def test_invalid_proposal_lists_every_error_and_saves_nothing(people):
    versions, requests, events = PolicyVersion.objects.count(), ApprovalRequest.objects.count(), AuditEvent.objects.count()
    change = {
        "pool": {"reclaim_after_days": -10, "warning_days_before": "a week", "unknown_rule": 1},
        "grading": {
            "schemes": [
                {
                    "code": "vip",
                    "label_zh": "V",
                    "label_en": "V",
                    "levels": [{"code": "vip", "label_zh": "V", "label_en": "V", "quota_percent": 120}],
                }
            ]
        },
    }
    with pytest.raises(services.PolicyInvalid) as info:
        services.propose_change(people.admin, change, "bad")
    errors = info.value.errors
    assert set(errors) == {"pool.reclaim_after_days", "pool.warning_days_before", "pool.unknown_rule", "grading.schemes"}
    assert errors["pool.reclaim_after_days"] == ["Must not be negative."]
    assert any("between 0 and 100" in m for m in errors["grading.schemes"])
    assert (PolicyVersion.objects.count(), ApprovalRequest.objects.count(), AuditEvent.objects.count()) == (versions, requests, events)


def test_no_change_and_no_permission_are_refused(people):
    with pytest.raises(DomainError):
        services.propose_change(people.admin, {"pool": {"reclaim_after_days": 60}})
    with pytest.raises(NotAllowed):
        services.propose_change(people.viewer, {"pool": {"reclaim_after_days": 30}})
    assert PolicyVersion.objects.count() == 1


def test_mappings_keyed_by_data_are_replaced_whole(people):
    version = services.propose_change(people.admin, {"service": {"inspections_per_month": {"A": 3}}})
    assert version.data["service"]["inspections_per_month"] == {"A": 3}
    assert version.data["service"]["training_interval_months"] == {"A": 3, "B": 6, "C": 12}


def test_a_new_version_is_seen_without_waiting_for_the_cache(people, settings):
    settings.GUANXI_POLICY_CHECK_SECONDS = 3600
    assert services.current().pool.holding_cap == 300
    version = services.propose_change(people.admin, {"pool": {"holding_cap": 100}})
    approvals.approve(version.approval_request_id, people.gm, "")
    assert services.current().pool.holding_cap == 100


def test_stale_memo_in_another_process_is_refreshed(people, settings):
    """Another process activated a version: this one notices once its check interval passed."""
    settings.GUANXI_POLICY_CHECK_SECONDS = 0
    assert services.current().version == 1
    version = services.propose_change(people.admin, {"pool": {"holding_cap": 150}})
    # Simulate the other process: change the rows directly, then let the short cache expire.
    PolicyVersion.objects.filter(number=1).update(status=VersionStatus.SUPERSEDED)
    PolicyVersion.objects.filter(pk=version.pk).update(status=VersionStatus.ACTIVE)
    from django.core.cache import cache

    cache.delete(services.CACHE_KEY)
    assert services.current().version == 2
    assert services.current().pool.holding_cap == 150


def test_yaml_round_trip():
    text = services.export_yaml()
    assert text.startswith("# Guanxi policy, version 1")
    assert "reclaim_after_days: 60" in text
    assert "approval_threshold_yuan: 30000.00" in text
    data = services.parse_yaml(text)
    assert services.validate(data).model_dump() == services.current().model_dump()
    assert services.export_yaml(1) == text


def test_import_yaml_proposes_the_change(people):
    data = yaml.safe_load(services.export_yaml())
    data["deadlines"]["filing_working_days"] = 3
    data["kpi"]["base_pay_yuan"] = 1200.5
    version = services.import_yaml(people.admin, yaml.safe_dump(data, allow_unicode=True))
    assert version.status == VersionStatus.PENDING
    assert {d["key"] for d in version.diff} == {"deadlines.filing_working_days", "kpi.base_pay_yuan"}
    assert version.approval_request_id


def test_import_yaml_refuses_bad_documents_listing_every_error(people):
    data = yaml.safe_load(services.export_yaml())
    data["pool"]["cooldown_days"] = -1
    data["security"]["idle_timeout_minutes"] = "half an hour"
    data["grading"]["schemes"][1]["levels"][1]["quota_percent"] = 130
    data["sales"]["bonus_rule"] = True
    with pytest.raises(services.PolicyInvalid) as info:
        services.import_yaml(people.admin, yaml.safe_dump(data, allow_unicode=True))
    assert set(info.value.errors) == {"pool.cooldown_days", "security.idle_timeout_minutes", "grading.schemes", "sales.bonus_rule"}
    assert PolicyVersion.objects.count() == 1

    with pytest.raises(services.PolicyInvalid) as info:
        services.import_yaml(people.admin, "pool: [unclosed")
    assert "YAML" in info.value.errors[""][0]
    with pytest.raises(services.PolicyInvalid):
        services.import_yaml(people.admin, "- just\n- a list\n")
    assert PolicyVersion.objects.count() == 1
