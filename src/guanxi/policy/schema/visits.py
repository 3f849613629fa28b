"""Policy section `visits`: visit cadence by grade and visitor rank, after-sales follow-ups,
service revisits, reminders and escalation (F-VIS-2, F-VIS-3, F-VIS-6)."""

from __future__ import annotations

import itertools
from typing import Literal

from django.utils.translation import gettext_noop
from pydantic import Field, field_validator, model_validator

from .base import Code, Count, Days, Item, Months, Section, clause

VisitorRank = Literal["leadership", "marketing_manager", "specialist", "owner"]
PeriodUnit = Literal["day", "week", "month", "quarter", "year"]


class CadenceRule(Item):
    """Customers of `grade` (in `scheme`) are visited by a `visitor_rank` person between
    `min_per_month` and `max_per_month` times a month."""

    scheme: Code = Field("abcd", description="Grading scheme code.")
    grade: Code = Field(description="Grade (level) code within the scheme.")
    visitor_rank: VisitorRank = Field(description="Who visits: company leadership, marketing manager, specialist or the owner.")
    min_per_month: Count = Field(description="Minimum visits per month.")
    max_per_month: Count = Field(description="Maximum (target) visits per month.")

    @model_validator(mode="after")
    def _range(self):
        if self.max_per_month < self.min_per_month:
            raise ValueError("max_per_month must not be smaller than min_per_month.")
        return self


class Period(Item):
    amount: int = Field(ge=1, le=1000, description="How many units.")
    unit: PeriodUnit = Field(description="day, week, month, quarter or year.")


def _default_cadence():
    return [
        CadenceRule(grade="A", visitor_rank="leadership", min_per_month=1, max_per_month=2),
        CadenceRule(grade="B", visitor_rank="marketing_manager", min_per_month=1, max_per_month=2),
        CadenceRule(grade="C", visitor_rank="specialist", min_per_month=2, max_per_month=4),
    ]


def _default_followups():
    return [Period(amount=1, unit="week"), Period(amount=1, unit="month"), Period(amount=1, unit="quarter"), Period(amount=1, unit="year")]


class VisitsPolicy(Section):
    cadence: list[CadenceRule] = clause(
        zh="按客户等级与拜访人级别的走访频次",
        en="Visit cadence by grade and visitor rank",
        help=gettext_noop("A: company leadership 1–2 visits a month; B: marketing manager 1–2; C: specialist 2–4."),
        seed="seed 000 客户资源(暂行)管理办法 §二.3.1",
        default_factory=_default_cadence,
    )
    after_sales_followups: list[Period] = clause(
        zh="售后定期回访节点",
        en="After-sales follow-ups after delivery",
        help=gettext_noop("Follow-ups scheduled after each delivery: 1 week, 1 month, 1 quarter and 1 year."),
        seed="seed 000 客户资源(暂行)管理办法 §二.3.2.2",
        default_factory=_default_followups,
    )
    service_revisit_interval_months: Months = clause(
        3,
        zh="服务回访间隔",
        en="Service revisit interval",
        help=gettext_noop("During and after a service, the customer is revisited this often."),
        unit="months",
        seed="seed 004 §7 服务回访",
    )
    revisit_after_operation_months: Months = clause(
        1,
        zh="作业结束后回访期限",
        en="Revisit after an operation ends within",
        help=gettext_noop("After an operation ends, the revisit takes place within this many months."),
        unit="months",
        seed="seed 004 §17.2",
    )
    service_revisits_per_year_min: Count = clause(
        2,
        zh="每年最少服务回访次数",
        en="Minimum service revisits per year",
        unit="times_per_year",
        seed="seed 004 §17.2",
    )
    hq_revisits_per_month_min: Count = clause(
        2,
        zh="总部每月最少回访活动次数",
        en="Minimum headquarters revisit activities per month",
        unit="times_per_month",
        seed="seed 004 §17.2",
    )
    reminder_days_before: Days = clause(
        3,
        zh="到期前提醒天数",
        en="Reminder before a visit is due",
        help=gettext_noop("The responsible person is reminded this many days before a visit or follow-up is due."),
        unit="days",
        seed="SPEC F-VIS-6",
    )
    escalation_days: list[Days] = clause(
        zh="逾期升级天数",
        en="Escalation after a late follow-up",
        help=gettext_noop("Days after the due date at which a late follow-up is escalated, one management level each time."),
        unit="days",
        seed="SPEC F-VIS-6",
        default_factory=lambda: [3, 5, 7],
    )
    record_potential_contacts: bool = clause(
        True,
        zh="潜在客户每次联系都需记录",
        en="Record every contact with a potential customer",
        seed="seed 000 客户资源(暂行)管理办法 §三.2.2",
    )
    checkin_requires_location: bool = clause(
        False,
        zh="签到需定位",
        en="Visit check-in requires the location",
        help=gettext_noop("A check-in from a phone must include the browser location."),
        seed="SPEC F-VIS-7",
    )

    @field_validator("escalation_days")
    @classmethod
    def _increasing(cls, value):
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("Escalation days must be in increasing order.")
        return value

    @field_validator("cadence")
    @classmethod
    def _unique_rules(cls, value):
        seen = set()
        for rule in value:
            key = (rule.scheme, rule.grade, rule.visitor_rank)
            if key in seen:
                raise ValueError(f"The cadence lists grade {rule.grade} with visitor rank {rule.visitor_rank} twice.")
            seen.add(key)
        return value
