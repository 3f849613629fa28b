"""The policy schema: the shipped default holds the seeds' numbers; every clause has a stable
key, labels and a source; invalid values are refused with per-clause messages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from guanxi.policy import services
from guanxi.policy.schema import Policy, clause_for_loc, clause_map, clauses, default_policy, sections


def test_default_validates_and_round_trips_through_json():
    default = default_policy()
    assert default.version == 0
    again = Policy.model_validate(default.model_dump(mode="json"))
    assert again == default


def test_default_holds_the_seed_numbers():
    p = default_policy()
    # visits (seed 000 3.1, 3.2.2; seed 004 §7, 17.2)
    cadence = {(r.grade, r.visitor_rank): (r.min_per_month, r.max_per_month) for r in p.visits.cadence}
    assert cadence == {("A", "leadership"): (1, 2), ("B", "marketing_manager"): (1, 2), ("C", "specialist"): (2, 4)}
    assert [(f.amount, f.unit) for f in p.visits.after_sales_followups] == [(1, "week"), (1, "month"), (1, "quarter"), (1, "year")]
    assert p.visits.service_revisit_interval_months == 3
    assert p.visits.revisit_after_operation_months == 1
    assert p.visits.service_revisits_per_year_min == 2
    assert p.visits.escalation_days == [3, 5, 7]
    # pool (seed 000 客户资源的调配)
    assert p.pool.reclaim_after_days == 60
    assert p.pool.warning_days_before == 7
    assert set(p.pool.activity_kinds) == {"visit", "call", "quotation", "order"}
    assert p.pool.exempt_open_opportunity and p.pool.exempt_live_contract
    # grading (seed 002 2.2–3.3, seed 003 附表一)
    assert {s.code for s in p.grading.schemes} == {"abcd", "vip", "outlet", "importance"}
    assert p.grading.vip_quota_percent == Decimal("15")
    assert p.grading.preferred_quota_percent == Decimal("30")
    outlet_a = p.grading.scheme("outlet").level("A")
    assert outlet_a.combine == "any"
    assert {(c.field, c.operator, c.value) for c in outlet_a.criteria} >= {
        ("chain_outlets", "gt", 10),
        ("floor_area_m2", "gt", 200),
        ("monthly_collection_yuan", "gt", 80000),
    }
    assert p.grading.review_interval_months == 6
    assert p.grading.downgrade_within_days == 5
    # service (seed 003 三)
    assert p.service.training_plan_day_of_month == 28
    assert p.service.training_interval_months == {"A": 3, "B": 6, "C": 12}
    assert p.service.inspections_per_month == {"A": 2, "B": 1, "C": 1}
    assert p.service.material_request_working_days == 3
    # complaints, care, sales
    assert p.complaints.first_response_hours == 24
    assert p.care.approval_threshold_yuan == Decimal("30000")
    assert isinstance(p.care.approval_threshold_yuan, Decimal)
    assert p.sales.lock_closed_months is True
    assert [t.reward_yuan for t in p.sales.referral_tiers] == [Decimal(500), Decimal(1000)]
    # kpi (seed 003 四)
    assert p.kpi.base_pay_yuan == Decimal("1100")
    assert [(t.min_count, t.max_count, t.bonus_per_customer_yuan) for t in p.kpi.new_customer_tiers] == [
        (0, 10, Decimal(10)),
        (11, 20, Decimal(20)),
        (21, None, Decimal(30)),
    ]
    assert p.kpi.new_customer_rate(10) == 10 and p.kpi.new_customer_rate(11) == 20 and p.kpi.new_customer_rate(21) == 30
    assert p.kpi.volume_bonus_permille == Decimal(3)
    assert p.kpi.new_customer_min_transfer_yuan == Decimal(300)
    pen = p.kpi.penalties
    assert (pen.training_inadequate_yuan, pen.churned_customer_yuan, pen.data_not_updated_yuan, pen.missed_inspection_yuan) == (
        30,
        30,
        30,
        20,
    )
    assert (pen.complaint_upheld_yuan, pen.complaint_not_handled_yuan, pen.material_delivery_late_yuan) == (30, 30, 30)
    assert (pen.incomplete_record_yuan, pen.incomplete_record_consecutive, pen.untrue_data_yuan) == (20, 3, 20)
    assert pen.churn_confirm_working_days == 6
    rw = p.kpi.rewards
    assert (rw.no_complaint_yuan, rw.training_plan_completed_yuan, rw.inspection_plan_completed_yuan) == (100, 100, 100)
    # security
    assert p.security.idle_timeout_minutes == 30
    assert p.security.absolute_timeout_hours == 12
    assert (p.security.lockout_failures, p.security.lockout_window_minutes) == (5, 15)
    assert p.security.audit_retention_days >= 183
    assert {"mobile", "id_number", "address", "birthday", "family_background"} <= set(p.security.personal_data_fields)
    # deadlines (seed 002 1.4, seed 001 5.1)
    assert p.deadlines.filing_working_days == 5
    assert p.deadlines.change_report_working_days == 5
    assert p.deadlines.completeness_check_weekday == "monday"
    # approvals: policy changes go to the general manager
    steps = p.approvals.flows["policy.change"].steps
    assert [s.role for s in steps] == ["general_manager"]


def test_every_clause_has_a_unique_key_labels_and_a_source():
    keys = [c.key for c in clauses()]
    assert len(keys) == len(set(keys))
    assert len(keys) > 80
    for c in clauses():
        assert c.key.split(".")[0] in Policy.model_fields, c.key
        assert c.label_zh and c.label_en, c.key
        assert c.seed, c.key
    for s in sections():
        assert s.clauses, s.key
        assert s.label_zh and s.label_en
    for key in ("pool.reclaim_after_days", "kpi.penalties.churned_customer_yuan", "security.idle_timeout_minutes", "approvals.flows"):
        assert key in clause_map()
    assert clause_map()["pool.reclaim_after_days"].seed.startswith("seed 000")


def test_error_locations_map_to_clause_keys():
    assert clause_for_loc(("pool", "reclaim_after_days")) == ("pool.reclaim_after_days", "")
    assert clause_for_loc(("grading", "schemes", 1, "levels", 0, "quota_percent")) == ("grading.schemes", "[1].levels[0].quota_percent")
    assert clause_for_loc(("pool", "nonsense")) == ("pool.nonsense", "")


def _errors(data) -> dict[str, list[str]]:
    with pytest.raises(services.PolicyInvalid) as info:
        services.validate(data)
    return info.value.errors


def _default_json():
    return default_policy().model_dump(mode="json")


def test_negative_days_are_refused_with_the_clause_key():
    data = _default_json()
    data["pool"]["reclaim_after_days"] = -1
    data["deadlines"]["filing_working_days"] = -3
    errors = _errors(data)
    assert errors == {"pool.reclaim_after_days": ["Must not be negative."], "deadlines.filing_working_days": ["Must not be negative."]}


def test_quota_above_100_percent_is_refused():
    data = _default_json()
    data["grading"]["schemes"][1]["levels"][0]["quota_percent"] = 120
    errors = _errors(data)
    assert list(errors) == ["grading.schemes"]
    assert any("quota_percent" in m and "between 0 and 100" in m for m in errors["grading.schemes"])


def test_wrong_types_and_unknown_keys_are_all_listed():
    data = _default_json()
    data["pool"]["warning_days_before"] = "soon"
    data["care"]["approval_threshold_yuan"] = "lots"
    data["pool"]["reclaim_after_weeks"] = 8
    data["mystery"] = {}
    errors = _errors(data)
    assert errors["pool.warning_days_before"] == ["Enter a whole number."]
    assert errors["care.approval_threshold_yuan"] == ["Enter a number."]
    assert "Unknown key" in errors["pool.reclaim_after_weeks"][0]
    assert "Unknown key" in errors["mystery"][0]


def test_money_keeps_two_decimals_and_audit_retention_has_a_floor():
    data = _default_json()
    data["care"]["approval_threshold_yuan"] = "100.123"
    data["security"]["audit_retention_days"] = 30
    errors = _errors(data)
    assert "decimal places" in errors["care.approval_threshold_yuan"][0]
    assert errors["security.audit_retention_days"] == ["Must be at least 183."]


def test_structured_rules_are_checked():
    data = _default_json()
    data["kpi"]["new_customer_tiers"][1]["min_count"] = 15  # gap after the first tier
    data["visits"]["escalation_days"] = [5, 3]
    data["grading"]["default_scheme"] = "nope"
    errors = _errors(data)
    assert "gap" in errors["kpi.new_customer_tiers"][0]
    assert "increasing" in errors["visits.escalation_days"][0]
    assert "no grading scheme" in errors["grading.default_scheme"][0]


def test_typed_objects_refuse_invalid_assignment():
    p = default_policy()
    with pytest.raises(ValidationError):
        p.pool.reclaim_after_days = -5


def test_explain_a_clause_and_a_path_inside_one():
    info = services.explain("pool.reclaim_after_days", default_policy())
    assert info["value"] == 60 and info["seed"].startswith("seed 000") and info["version"] == 0
    assert info["label_zh"] and info["label_en"] and info["unit"] == "days"
    quota = services.explain("grading.schemes.vip.levels.vip.quota_percent", default_policy())
    assert quota["value"] == Decimal("15") and quota["clause"] == "grading.schemes"
    with pytest.raises(services.DomainError):
        services.explain("pool.nothing", default_policy())
