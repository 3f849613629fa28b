"""Policy section `pool`: ownership, reclaim to the public pool and claiming from it
(F-POOL-2 … F-POOL-5)."""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext_noop
from pydantic import field_validator

from .base import Code, Count, Days, Section, clause

ActivityKind = Literal["visit", "call", "email", "wechat", "meeting", "quotation", "opportunity", "order", "contract", "payment"]


class PoolPolicy(Section):
    reclaim_after_days: Days = clause(
        60,
        zh="无销售动作收回天数",
        en="Reclaim after days without sales activity",
        help=gettext_noop("A customer with no sales activity for this many days after allocation returns to the pool (two months)."),
        unit="days",
        seed="seed 000 §客户资源的调配 3",
    )
    reclaim_days_by_grade: dict[Code, Days] = clause(
        zh="按等级的收回天数",
        en="Reclaim days by grade",
        help=gettext_noop(
            'Optional: a different reclaim period for a grade code, e.g. {"A": 90}. Grades not listed use the general period.'
        ),
        unit="days",
        seed="SPEC F-POOL-3",
        default_factory=dict,
    )
    warning_days_before: Days = clause(
        7,
        zh="收回前预警天数",
        en="Warning before reclaim",
        help=gettext_noop("The owner is warned this many days before a customer is reclaimed."),
        unit="days",
        seed="SPEC F-POOL-3",
    )
    activity_kinds: list[ActivityKind] = clause(
        zh="计为销售动作的活动",
        en="Activities that count as sales activity",
        help=gettext_noop("Only these kinds of activity keep a customer with its owner."),
        seed="seed 000 §客户资源的调配 3",
        default_factory=lambda: ["visit", "call", "quotation", "order"],
    )
    exempt_open_opportunity: bool = clause(
        True,
        zh="有进行中商机的客户不收回",
        en="Do not reclaim customers with an open opportunity",
        seed="SPEC F-POOL-3",
    )
    exempt_live_contract: bool = clause(
        True,
        zh="有在履行合同的客户不收回",
        en="Do not reclaim customers with a live contract",
        seed="SPEC F-POOL-3",
    )
    claims_per_day: Count = clause(
        5,
        zh="每人每日领取上限",
        en="Claims per rep per day",
        help=gettext_noop("How many customers a rep may claim from a pool in one day."),
        unit="count",
        seed="SPEC F-POOL-4",
    )
    holding_cap: Count = clause(
        300,
        zh="每人持有客户上限",
        en="Holding cap per rep",
        help=gettext_noop("A rep cannot claim when already owning this many customers."),
        unit="count",
        seed="SPEC F-POOL-4",
    )
    cooldown_days: Days = clause(
        30,
        zh="原负责人重新领取冷却期",
        en="Cool-down before the former owner may claim again",
        unit="days",
        seed="SPEC F-POOL-4",
    )
    new_record_protection_days: Days = clause(
        7,
        zh="新录入客户保护期",
        en="Protection of newly entered records",
        help=gettext_noop("A newly entered customer cannot be claimed by others for this many days."),
        unit="days",
        seed="SPEC F-POOL-4",
    )
    lock_quota: Count = clause(
        10,
        zh="每人锁定客户配额",
        en="Lock quota per rep",
        help=gettext_noop("Locked customers are never reclaimed; a rep may lock at most this many."),
        unit="count",
        seed="SPEC F-POOL-4",
    )
    mask_contacts_in_pool: bool = clause(
        True,
        zh="公海客户联系方式脱敏",
        en="Mask contact details in the pool until claimed",
        seed="SPEC F-POOL-4",
    )
    transfer_requires_approval: bool = clause(
        True,
        zh="客户调换须经市场总监批准",
        en="Transfers need the marketing director's approval",
        help=gettext_noop("No private swaps: a change of owner needs an application and approval."),
        seed="seed 000 §客户资源的调配 2",
    )
    unfiled_credit_to_department: bool = clause(
        True,
        zh="未汇集(备案)客户业绩归部门",
        en="Sales of unfiled customers are credited to the department",
        help=gettext_noop("A new customer not reported to the marketing director earns credit for the department, not the rep."),
        seed="seed 000 §客户资源的调配 4",
    )

    @field_validator("activity_kinds")
    @classmethod
    def _kinds(cls, value):
        if not value:
            raise ValueError("At least one kind of activity must count as sales activity.")
        if len(set(value)) != len(value):
            raise ValueError("An activity kind is listed twice.")
        return value
