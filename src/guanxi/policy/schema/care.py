"""Policy section `care`: care activities, their approval threshold, reminders and customer
expenses (F-CARE-1 … F-CARE-5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_noop

from .base import Days, Money, Section, clause

ReminderKind = Literal["birthday", "holiday", "anniversary"]


class CarePolicy(Section):
    approval_threshold_yuan: Money = clause(
        Decimal("30000.00"),
        zh="关怀活动总部审批金额",
        en="Care activities above this cost need headquarters approval",
        help=gettext_noop("An activity costing more than this needs headquarters marketing approval before finance can book it."),
        unit="yuan",
        seed="seed 004 §14.4, §19.2",
    )
    unplanned_requires_approval: bool = clause(
        True,
        zh="计划外活动需临时审批",
        en="Unplanned activities need ad-hoc approval",
        seed="seed 004 §14",
    )
    reminder_days_before: Days = clause(
        3,
        zh="生日/节日提前提醒天数",
        en="Birthday and holiday reminders ahead",
        unit="days",
        seed="SPEC F-CARE-3",
    )
    reminder_kinds: list[ReminderKind] = clause(
        zh="关怀提醒类型",
        en="Reminder kinds",
        seed="SPEC F-CARE-3",
        default_factory=lambda: ["birthday", "holiday", "anniversary"],
    )
    refuse_expenses_of_unfiled: bool = clause(
        True,
        zh="未备案客户费用不予报销",
        en="Refuse expense claims for unfiled customers",
        help=gettext_noop("Entertainment, travel and gift expenses of a customer that was not filed are not reimbursed."),
        seed="seed 002 §1.8 惩罚措施 1",
    )
