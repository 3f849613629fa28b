"""Policy section `sales`: locking closed months (F-SAL-4), opportunity stages (F-SAL-1),
referral rewards between departments (F-POOL-7)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.utils.translation import gettext_noop
from pydantic import Field, field_validator

from .base import Code, Count, DayOfMonth, Item, Money, Section, clause


class ReferralTier(Item):
    """A converted referral earns `reward_yuan` when it brings more than `contracts_over`
    contracts a month or more than `revenue_over_yuan` of business (either is enough)."""

    contracts_over: Count = Field(description="More than this many contracts per month.")
    revenue_over_yuan: Money = Field(description="Or more than this expected revenue (yuan).")
    reward_yuan: Money = Field(description="Reward paid to the referrer (yuan).")


def _default_tiers():
    return [
        ReferralTier(contracts_over=10, revenue_over_yuan=Decimal("500000"), reward_yuan=Decimal("500")),
        ReferralTier(contracts_over=20, revenue_over_yuan=Decimal("2000000"), reward_yuan=Decimal("1000")),
    ]


class SalesPolicy(Section):
    lock_closed_months: bool = clause(
        True,
        zh="已结月份销售数据锁定",
        en="Lock the sales data of closed months",
        help=gettext_noop("Sales data cannot be changed silently; once a month is closed its figures are locked."),
        seed="seed 001 §6.2",
    )
    month_closes_on_day: DayOfMonth = clause(
        5,
        zh="上月数据关账日",
        en="The previous month closes on day",
        help=gettext_noop("On this day of the month, the previous month's sales data is closed and locked."),
        unit="day_of_month",
        seed="SPEC F-SAL-4",
    )
    opportunity_stages: list[Code] = clause(
        zh="商机阶段",
        en="Opportunity stages",
        seed="SPEC F-SAL-1",
        default_factory=lambda: ["research", "need_confirmed", "proposal", "negotiation", "contract", "won", "lost"],
    )
    referral_tiers: list[ReferralTier] = clause(
        zh="共享客户资源奖励档次",
        en="Referral reward tiers",
        help=gettext_noop(
            "Tier 1: more than 10 contracts a month or more than ¥500,000 → ¥500; tier 2: more than 20 or more than ¥2,000,000 → ¥1,000."
        ),
        seed="seed 000 客户资源共享管理办法 四",
        default_factory=_default_tiers,
    )
    referral_highest_tier_only: bool = clause(
        True,
        zh="档次冲突时按最高奖金",
        en="When tiers overlap, pay the highest reward only",
        seed="seed 000 客户资源共享管理办法 四.1",
    )
    blacklist_blocks_sales: bool = clause(
        True,
        zh="黑名单客户不得新建商机、订单、合同",
        en="Blacklisted customers get no new opportunities, orders or contracts",
        seed="seed 002 §五.3.5 b)",
    )

    @field_validator("opportunity_stages")
    @classmethod
    def _stages(cls, value):
        if len(set(value)) != len(value):
            raise ValueError("A stage is listed twice.")
        if not {"won", "lost"} <= set(value):
            raise ValueError("The stages must include won and lost.")
        return value

    @field_validator("referral_tiers")
    @classmethod
    def _tiers(cls, value):
        if any(b.reward_yuan < a.reward_yuan for a, b in itertools.pairwise(value)):
            raise ValueError("Referral tiers must be listed from the smallest reward to the largest.")
        return value
