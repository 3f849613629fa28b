"""Policy section `kpi`: the pay formula, what counts as a new customer, penalties and rewards
(F-KPI-1 … F-KPI-4). pay = base + new-customer bonus + volume bonus + rewards − penalties."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_noop
from pydantic import Field, field_validator, model_validator

from .base import Count, Days, Item, Money, Months, Permille, Section, clause, group

Y = Decimal


class NewCustomerTier(Item):
    """A rep with between `min_count` and `max_count` (open when empty) new customers in a month
    earns `bonus_per_customer_yuan` for each of them."""

    min_count: Count = Field(description="From this many new customers (inclusive).")
    max_count: Count | None = Field(None, description="Up to this many (inclusive); empty means no upper limit.")
    bonus_per_customer_yuan: Money = Field(description="Bonus per new customer (yuan).")

    @model_validator(mode="after")
    def _range(self):
        if self.max_count is not None and self.max_count < self.min_count:
            raise ValueError("max_count must not be smaller than min_count.")
        return self


class Penalties(Section):
    training_inadequate_yuan: Money = clause(
        Y(30), zh="培训不到位扣罚", en="Training inadequate, per case", unit="yuan", seed="seed 003 四(一)4(1)"
    )
    training_check_days: Days = clause(
        7,
        zh="培训效果观察期",
        en="Training checked during the first days of use",
        help=gettext_noop("Support questions within this many days after a customer starts using the system count as inadequate training."),
        unit="days",
        seed="seed 003 四(一)4(1)",
    )
    churned_customer_yuan: Money = clause(Y(30), zh="离网扣罚", en="Churned customer (离网), each", unit="yuan", seed="seed 003 四(一)4(2)")
    churn_confirm_working_days: Days = clause(
        6, zh="离网回访确认期限", en="Churn confirmed by a revisit within", unit="working_days", seed="seed 003 四(一)4(2) A"
    )
    data_not_updated_yuan: Money = clause(
        Y(30), zh="客户资料未更新扣罚", en="Customer data not updated, each", unit="yuan", seed="seed 003 四(一)4(3) A"
    )
    data_update_window_months: Months = clause(
        2, zh="新用户资料更新期", en="Data of a new customer checked during its first", unit="months", seed="seed 003 四(一)4(3) A"
    )
    missed_inspection_yuan: Money = clause(
        Y(20), zh="未按计划巡检扣罚", en="Planned inspection missed, each", unit="yuan", seed="seed 003 四(一)4(3) B"
    )
    complaint_upheld_yuan: Money = clause(
        Y(30), zh="被客户投诉属实扣罚", en="Complaint against the rep upheld", unit="yuan", seed="seed 003 四(一)4(3) C"
    )
    complaint_not_handled_yuan: Money = clause(
        Y(30), zh="投诉未处理扣罚", en="Complaint not handled", unit="yuan", seed="seed 003 四(一)4(3) D"
    )
    material_delivery_late_yuan: Money = clause(
        Y(30), zh="物料配送超期扣罚", en="Material delivery late", unit="yuan", seed="seed 003 四(一)4(4)"
    )
    material_late_loses_ownership: bool = clause(
        True, zh="物料超期取消维护及拥有资格", en="A late material delivery also loses the customer", seed="seed 003 四(一)4(4)"
    )
    incomplete_record_yuan: Money = clause(
        Y(20), zh="建档不规范扣罚", en="Incomplete record, per time", unit="yuan", seed="seed 001 §5.1.2"
    )
    incomplete_record_consecutive: Count = clause(
        3,
        zh="建档不规范连续次数",
        en="Incomplete records penalised from the n-th time running",
        unit="count",
        seed="seed 001 §5.1.2",
    )
    untrue_data_yuan: Money = clause(
        Y(20), zh="客户信息不真实扣罚", en="Untrue customer data, per time", unit="yuan", seed="seed 001 §5.1.3"
    )


class Rewards(Section):
    no_complaint_yuan: Money = clause(Y(100), zh="当月无客户投诉奖励", en="No complaint this month", unit="yuan", seed="seed 003 四(一)5")
    training_plan_completed_yuan: Money = clause(
        Y(100), zh="按计划完成客户培训奖励", en="Training plan completed", unit="yuan", seed="seed 003 四(一)5"
    )
    inspection_plan_completed_yuan: Money = clause(
        Y(100), zh="按计划完成客户巡检奖励", en="Inspection plan completed", unit="yuan", seed="seed 003 四(一)5"
    )


def _default_tiers():
    return [
        NewCustomerTier(min_count=0, max_count=10, bonus_per_customer_yuan=Y(10)),
        NewCustomerTier(min_count=11, max_count=20, bonus_per_customer_yuan=Y(20)),
        NewCustomerTier(min_count=21, max_count=None, bonus_per_customer_yuan=Y(30)),
    ]


class KpiPolicy(Section):
    base_pay_yuan: Money = clause(Y(1100), zh="底薪", en="Base pay", unit="yuan", seed="seed 003 四(一)1")
    new_customer_tiers: list[NewCustomerTier] = clause(
        zh="新增客户绩效档次",
        en="New-customer bonus tiers",
        help=gettext_noop("Up to 10 new customers a month: ¥10 each; 11–20: ¥20 each; 21 or more: ¥30 each."),
        seed="seed 003 四(一)2",
        default_factory=_default_tiers,
    )
    new_customer_tier_mode: Literal["whole", "progressive"] = clause(
        "whole",
        zh="档次计算方式",
        en="How tiers apply",
        help=gettext_noop(
            "whole: every new customer earns the rate of the tier the month's total falls in; progressive: each customer earns the rate of its own tier."
        ),
        seed="seed 003 四(一)2",
    )
    new_customer_min_transfer_yuan: Money = clause(
        Y(300),
        zh="新增客户当月最低转账额",
        en="A new customer must transfer at least",
        help=gettext_noop("Within the calendar month its account was created."),
        unit="yuan",
        seed="seed 003 四(一)2 新增用户定义",
    )
    new_customer_requires_phone_check: bool = clause(
        True,
        zh="新增客户须经运维电话回访确认",
        en="A new customer counts only after the operations phone check",
        help=gettext_noop("Otherwise it does not count and the rep loses ownership."),
        seed="seed 003 四(一)2 新增用户定义",
    )
    volume_bonus_permille: Permille = clause(
        Y(3),
        zh="交易量绩效比例",
        en="Volume bonus rate",
        help=gettext_noop("(this month's customer volume − last month's) × this rate."),
        unit="permille",
        seed="seed 003 四(一)3",
    )
    negative_volume_bonus: bool = clause(
        False,
        zh="交易量下降时绩效可为负",
        en="A falling volume gives a negative volume bonus",
        seed="seed 003 四(一)3",
    )
    penalties: Penalties = group(Penalties, zh="考核扣罚", en="Penalties", seed="seed 003 四(一)4; seed 001 §5.1")
    rewards: Rewards = group(Rewards, zh="奖励", en="Rewards", seed="seed 003 四(一)5")

    @field_validator("new_customer_tiers")
    @classmethod
    def _tiers(cls, value):
        if not value:
            raise ValueError("At least one new-customer tier is needed.")
        for a, b in itertools.pairwise(value):
            if a.max_count is None or b.min_count != a.max_count + 1:
                raise ValueError(
                    "The tiers must follow each other without gap or overlap (the next tier starts one above the previous maximum)."
                )
        if value[-1].max_count is not None:
            raise ValueError("The last tier must be open-ended (no maximum).")
        return value

    def new_customer_rate(self, count: int) -> Decimal:
        for tier in self.new_customer_tiers:
            if count >= tier.min_count and (tier.max_count is None or count <= tier.max_count):
                return tier.bonus_per_customer_yuan
        return Decimal(0)
