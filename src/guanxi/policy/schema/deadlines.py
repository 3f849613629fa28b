"""Policy section `deadlines`: filing and change reports, completeness checks, duplicate scans,
handbook refresh and the monthly summary (F-CUS-4, F-CUS-5, F-CUS-6, F-CUS-9, F-RPT-2)."""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext_noop
from pydantic import field_validator

from .base import Count, DayOfMonth, Days, Months, Section, clause

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class DeadlinesPolicy(Section):
    filing_working_days: Days = clause(
        5,
        zh="新客户备案期限",
        en="File a new customer within",
        help=gettext_noop("Counted in Chinese working days from the first contact."),
        unit="working_days",
        seed="seed 002 §1.4 客户备案 1",
    )
    change_report_working_days: Days = clause(
        5,
        zh="客户变动反馈期限",
        en="Report a change of a filed customer within",
        unit="working_days",
        seed="seed 002 §1.4 客户备案 2",
    )
    completeness_check_weekday: Weekday = clause(
        "monday",
        zh="每周新建档案检查日",
        en="Weekly completeness check of new records on",
        help=gettext_noop("Incomplete new records are sent back to their unit."),
        unit="weekday",
        seed="seed 001 §5.1.1",
    )
    duplicate_scan_day_of_month: DayOfMonth = clause(
        1,
        zh="每月重复/虚拟档案排查日",
        en="Monthly scan for duplicate and fictitious records on day",
        unit="day_of_month",
        seed="seed 001 §5.2.2",
    )
    handbook_refresh_months: Months = clause(
        6,
        zh="客户信息手册更新周期",
        en="Refresh the customer handbook every",
        unit="months",
        seed="seed 004 §13.2.3",
    )
    monthly_summary_days: list[DayOfMonth] = clause(
        zh="基地客户信息上报日",
        en="Bases report customer information on days",
        unit="day_of_month",
        seed="seed 004 §13.1.1",
        default_factory=lambda: [15, 30],
    )
    key_customer_min_contacts: Count = clause(
        2,
        zh="重点客户最少联系人员数",
        en="Company staff in contact with a key customer, at least",
        unit="count",
        seed="seed 002 §1.6.3; seed 000 §六",
    )
    handover_on_departure: bool = clause(
        True,
        zh="离职/调岗时客户一次性移交",
        en="Hand over all customers at once on departure or role change",
        seed="seed 001 §5.3; seed 002 §1.6.4",
    )

    @field_validator("monthly_summary_days")
    @classmethod
    def _days(cls, value):
        if sorted(set(value)) != list(value):
            raise ValueError("List the days once each, in increasing order.")
        return value
