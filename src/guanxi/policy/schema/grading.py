"""Policy section `grading`: the grading schemes as data (F-GRD-1), quotas, review period,
downgrade deadline, admission checklist and blacklist rules (F-GRD-2 … F-GRD-6).

A scheme is a list of levels, most important first. A level matches a customer when its
criteria match, combined with `all` (every criterion) or `any` (at least one, as in the outlet
classes of seed 003 附表一). The levels with criteria are tried in order and the first match is
proposed; the level marked `fallback` applies when none matches (a level without criteria that
is not the fallback is only ever set by hand).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_noop
from pydantic import Field, field_validator, model_validator

from .base import Code, Count, Days, Item, Months, Percent, Section, clause

Operator = Literal["eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "not_in", "is_true", "is_false", "is_set"]
Scalar = bool | int | float | str  # float, not Decimal: JSON keeps the type across versions
Combine = Literal["all", "any"]

FIELD_RE = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"


class Criterion(Item):
    field: str = Field(pattern=FIELD_RE, max_length=80, description="Customer field or computed figure, e.g. sales_3y_yuan.")
    operator: Operator = Field(description="Comparison: eq, ne, gt, gte, lt, lte, between, in, not_in, is_true, is_false, is_set.")
    value: Scalar | list[Scalar] | None = Field(
        default=None, description="Value to compare with; a [low, high] pair for between, a list for in."
    )

    @model_validator(mode="after")
    def _value_fits(self):
        op, value = self.operator, self.value
        if op in ("is_true", "is_false", "is_set"):
            if value is not None:
                raise ValueError(f"The operator {op} takes no value.")
        elif op == "between":
            if not (isinstance(value, list) and len(value) == 2):
                raise ValueError("The operator between needs a [low, high] pair.")
        elif op in ("in", "not_in"):
            if not (isinstance(value, list) and value):
                raise ValueError(f"The operator {op} needs a non-empty list.")
        elif value is None or isinstance(value, list):
            raise ValueError(f"The operator {op} needs a single value.")
        return self


class GradeLevel(Item):
    code: Code = Field(description="Stable code of the level, e.g. A or vip.")
    label_zh: str = Field(max_length=40, description="Chinese name.")
    label_en: str = Field(max_length=60, description="English name.")
    description: str = Field("", max_length=500)
    combine: Combine = Field("all", description="all: every criterion must match; any: one is enough.")
    criteria: list[Criterion] = Field(default_factory=list)
    fallback: bool = Field(False, description="Applies when no other level matches.")
    quota_percent: Percent | None = Field(None, description="At most this share (0–100) of the unit's customers may hold the level.")


class GradingScheme(Item):
    code: Code
    label_zh: str = Field(max_length=40)
    label_en: str = Field(max_length=60)
    seed: str = Field("", max_length=120, description="Where the scheme comes from.")
    levels: list[GradeLevel] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value):
        codes = [lv.code for lv in value]
        if len(set(codes)) != len(codes):
            raise ValueError("Two levels of the scheme have the same code.")
        if sum(1 for lv in value if lv.fallback) > 1:
            raise ValueError("At most one level of a scheme can be the fallback.")
        total = sum((lv.quota_percent or Decimal(0)) for lv in value)
        if total > 100:
            raise ValueError("The quotas of a scheme add up to more than 100%.")
        return value

    def level(self, code: str) -> GradeLevel | None:
        return next((lv for lv in self.levels if lv.code == code), None)


def C(field, operator, value=None):
    return Criterion(field=field, operator=operator, value=value)


def _default_schemes() -> list[GradingScheme]:
    return [
        GradingScheme(
            code="abcd",
            label_zh="ABCD 四类",
            label_en="ABCD classes",
            seed="seed 000 客户资源(暂行)管理办法 §一.2",
            levels=[
                GradeLevel(
                    code="A",
                    label_zh="A类客户",
                    label_en="Class A",
                    description="Most important: high sales in the last 3 years, sound finances, good credit.",
                    criteria=[
                        C("sales_3y_yuan", "gte", 3_000_000),
                        C("financial_state", "in", ["good", "sound"]),
                        C("credit_rating", "in", ["AAA", "AA"]),
                    ],
                ),
                GradeLevel(
                    code="B",
                    label_zh="B类客户",
                    label_en="Class B",
                    description="Second most important.",
                    criteria=[C("sales_3y_yuan", "gte", 500_000), C("credit_rating", "in", ["AAA", "AA", "A"])],
                ),
                GradeLevel(
                    code="C",
                    label_zh="C类客户",
                    label_en="Class C",
                    description="Ordinary or new customers, or credit questions.",
                    fallback=True,
                ),
                GradeLevel(
                    code="D",
                    label_zh="D类客户",
                    label_en="Class D",
                    description="Serious credit problems.",
                    criteria=[C("credit_rating", "in", ["D", "bad"])],
                ),
            ],
        ),
        GradingScheme(
            code="vip",
            label_zh="VIP / 优选 / 合格",
            label_en="VIP / preferred / qualified",
            seed="seed 002 客户管理制度 §五.2.1–2.4",
            levels=[
                GradeLevel(
                    code="vip",
                    label_zh="VIP客户",
                    label_en="VIP",
                    description="Sizeable, profitable, reliable; pays on time; wants a long-term partnership.",
                    criteria=[
                        C("annual_business_yuan", "gte", 1_000_000),
                        C("overdue_payments_12m", "eq", 0),
                        C("long_term_partner", "is_true"),
                    ],
                    quota_percent=Decimal("15"),
                ),
                GradeLevel(
                    code="preferred",
                    label_zh="优选类客户",
                    label_en="Preferred",
                    description="Known in its region, no current risk, large annual volume, no breach record.",
                    criteria=[C("annual_business_yuan", "gte", 300_000), C("overdue_payments_12m", "eq", 0)],
                    quota_percent=Decimal("30"),
                ),
                GradeLevel(
                    code="qualified",
                    label_zh="合格类客户",
                    label_en="Qualified",
                    description="Meets the admission conditions.",
                    fallback=True,
                ),
            ],
        ),
        GradingScheme(
            code="outlet",
            label_zh="网点 A/B/C 类",
            label_en="Outlet classes A/B/C",
            seed="seed 003 附表一 网点类型分类表",
            levels=[
                GradeLevel(
                    code="A",
                    label_zh="A类网点",
                    label_en="Class A outlet",
                    description="Meeting any one criterion is enough; franchised and own halls are class A.",
                    combine="any",
                    criteria=[
                        C("chain_outlets", "gt", 10),
                        C("floor_area_m2", "gt", 200),
                        C("monthly_collection_yuan", "gt", 80_000),
                        C("own_or_franchise_hall", "is_true"),
                    ],
                ),
                GradeLevel(
                    code="B",
                    label_zh="B类网点",
                    label_en="Class B outlet",
                    combine="any",
                    criteria=[
                        C("chain_outlets", "between", [3, 10]),
                        C("floor_area_m2", "between", [100, 200]),
                        C("monthly_collection_yuan", "between", [20_000, 80_000]),
                    ],
                ),
                GradeLevel(
                    code="C",
                    label_zh="C类网点",
                    label_en="Class C outlet",
                    combine="any",
                    criteria=[C("chain_outlets", "lt", 3), C("floor_area_m2", "lt", 100), C("monthly_collection_yuan", "lt", 20_000)],
                    fallback=True,
                ),
            ],
        ),
        GradingScheme(
            code="importance",
            label_zh="重要 / 普通 / 潜在",
            label_en="Key / ordinary / potential",
            seed="seed 004 §2 客户分类",
            levels=[
                GradeLevel(
                    code="key",
                    label_zh="重要客户",
                    label_en="Key",
                    description="Large business volume or important resources.",
                    combine="any",
                    criteria=[C("annual_business_yuan", "gte", 1_000_000), C("has_key_resources", "is_true")],
                ),
                GradeLevel(
                    code="ordinary", label_zh="普通客户", label_en="Ordinary", description="Small effect on our business.", fallback=True
                ),
                GradeLevel(
                    code="potential",
                    label_zh="潜在客户",
                    label_en="Potential",
                    description="Valuable but not yet doing business with us.",
                    criteria=[C("status", "eq", "potential")],
                ),
            ],
        ),
    ]


AdmissionItem = Literal["business_licence", "tax_registration", "good_credit", "signed_contract", "no_illegal_record", "qualifications"]
AdmissionExempt = Literal["retail", "related_party"]


class GradingPolicy(Section):
    schemes: list[GradingScheme] = clause(
        zh="客户分级方案",
        en="Grading schemes",
        help=gettext_noop(
            "Each scheme's levels with their criteria (field, operator, value), combined with all or any; tried in order, the fallback level applies when none matches."
        ),
        seed="SPEC F-GRD-1; seed 000, seed 002 §五.2, seed 003 附表一, seed 004 §2",
        default_factory=_default_schemes,
    )
    default_scheme: Code = clause(
        "abcd",
        zh="默认分级方案",
        en="Default grading scheme",
        help=gettext_noop("The scheme used where a unit has not chosen another one."),
        seed="SPEC F-GRD-1",
    )
    quota_per_product_line: bool = clause(
        True,
        zh="配额同时按单品种控制",
        en="Quotas also apply per product line",
        seed="seed 002 §五.2.2 d), 2.3 e)",
    )
    review_interval_months: Months = clause(
        6,
        zh="阶段评审周期",
        en="Periodic review every",
        help=gettext_noop("Each customer's grade is reviewed this often (阶段评价)."),
        unit="months",
        seed="seed 002 §五.3.2",
    )
    annual_reclassification: bool = clause(
        True,
        zh="每年更新一次客户分类表",
        en="Re-classify every customer once a year",
        seed="seed 000 客户资源(暂行)管理办法 §一.3",
    )
    downgrade_within_days: Days = clause(
        5,
        zh="出现问题后降级期限",
        en="Downgrade within days of a serious problem",
        help=gettext_noop("Late payment, contract breach or a crisis: the customer is downgraded within this many days."),
        unit="days",
        seed="seed 002 §五.3.3",
    )
    upgrade_after_good_reviews: Count = clause(
        1,
        zh="升级所需良好评价期数",
        en="Good review periods before an upgrade",
        unit="count",
        seed="seed 002 §五.3.4",
    )
    admission_checklist: list[AdmissionItem] = clause(
        zh="客户准入条件",
        en="Admission checklist",
        help=gettext_noop("Business licence, tax registration, good credit, signed contract, no illegal record, required qualifications."),
        seed="seed 002 §五.1.2",
        default_factory=lambda: [
            "business_licence",
            "tax_registration",
            "good_credit",
            "signed_contract",
            "no_illegal_record",
            "qualifications",
        ],
    )
    admission_exempt: list[AdmissionExempt] = clause(
        zh="免于准入的客户",
        en="Customers exempt from admission",
        seed="seed 002 §五.1.1",
        default_factory=lambda: ["retail", "related_party"],
    )
    company_blacklist_requires_approval: bool = clause(
        True,
        zh="公司级黑名单须营销事业部批准",
        en="A company-level blacklist entry needs the marketing division's approval",
        seed="seed 002 §五.3.3, 3.5",
    )
    blacklist_announced: bool = clause(
        True,
        zh="公司级黑名单通报各部门",
        en="Announce company-level blacklist entries to every department",
        seed="seed 002 §五.3.3",
    )

    @field_validator("schemes")
    @classmethod
    def _unique(cls, value):
        codes = [s.code for s in value]
        if len(set(codes)) != len(codes):
            raise ValueError("Two grading schemes have the same code.")
        if not value:
            raise ValueError("At least one grading scheme is needed.")
        return value

    @field_validator("default_scheme")
    @classmethod
    def _default_exists(cls, value, info):
        schemes = info.data.get("schemes")
        if schemes is not None and value not in {s.code for s in schemes}:
            raise ValueError(f"There is no grading scheme with the code {value}.")
        return value

    def scheme(self, code: str | None = None) -> GradingScheme | None:
        code = code or self.default_scheme
        return next((s for s in self.schemes if s.code == code), None)

    @property
    def vip_quota_percent(self) -> Decimal | None:
        level = self.scheme("vip") and self.scheme("vip").level("vip")
        return level.quota_percent if level else None

    @property
    def preferred_quota_percent(self) -> Decimal | None:
        level = self.scheme("vip") and self.scheme("vip").level("preferred")
        return level.quota_percent if level else None


__all__ = ["Count", "Criterion", "GradeLevel", "GradingPolicy", "GradingScheme"]
