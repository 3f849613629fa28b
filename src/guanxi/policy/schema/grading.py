"""Policy section `grading`: the grading schemes as data (F-GRD-1), quotas, review period,
downgrade deadline, admission checklist and blacklist rules (F-GRD-2 … F-GRD-6).

A scheme is a list of levels, most important first. A level matches a customer when its
criteria match, combined with `all` (every criterion) or `any` (at least one, as in the outlet
classes of seed 003 附表一). The levels with criteria are tried in order and the first match is
proposed; the level marked `fallback` applies when none matches (a level without criteria that
is not the fallback is only ever set by hand).
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext, gettext_noop
from pydantic import Field, field_validator, model_validator

from ..sources import cite
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
        _check_field(self)
        return self


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_field(criterion: Criterion) -> None:
    """The criterion's field must be a gradable field (guanxi.grading.fields) and its threshold
    of the field's type; the operator must suit the type."""
    from guanxi.grading import fields  # lazy: the registry imports no models

    key, op, value = criterion.field, criterion.operator, criterion.value
    spec = fields.resolve(key, op, value)
    if spec is None:
        raise ValueError(
            gettext("Unknown field %(field)s: use one of %(known)s, or custom.<key> for a custom field.")
            % {"field": key, "known": ", ".join(fields.known_keys())}
        )
    if fields.is_generic_custom(key):
        return  # typed by use; a custom field's own type is only known to the archive
    allowed = fields.OPERATORS_BY_TYPE[spec.type]
    if op not in allowed:
        raise ValueError(
            gettext("The operator %(op)s does not apply to %(field)s (%(type)s); use one of %(allowed)s.")
            % {"op": op, "field": key, "type": fields.type_label(spec.type), "allowed": ", ".join(allowed)}
        )
    values = value if isinstance(value, list) else ([] if value is None else [value])
    for v in values:
        if spec.type in fields.NUMERIC:
            ok = _is_number(v) and (spec.type != fields.INT or float(v).is_integer() or op in ("gt", "gte", "lt", "lte", "between"))
        elif spec.type == fields.BOOL:
            ok = isinstance(v, bool)
        elif spec.type == fields.CHOICE:
            ok = isinstance(v, str) and v in spec.choice_values
        else:
            ok = isinstance(v, str)
        if not ok:
            if spec.type == fields.CHOICE and isinstance(v, str):
                raise ValueError(
                    gettext("%(value)s is not a value of %(field)s; use one of %(choices)s.")
                    % {"value": v, "field": key, "choices": ", ".join(spec.choice_values)}
                )
            raise ValueError(
                gettext("The value %(value)s does not fit %(field)s: it needs %(type)s.")
                % {"value": repr(v), "field": key, "type": fields.type_label(spec.type)}
            )
    if op == "between" and values[0] > values[1]:
        raise ValueError(gettext("between needs the lower bound first: %(low)s is above %(high)s.") % {"low": values[0], "high": values[1]})


class GradeLevel(Item):
    code: Code = Field(description="Stable code of the level, e.g. A or vip.")
    label_zh: str = Field(max_length=40, description="Chinese name.")
    label_en: str = Field(max_length=60, description="English name.")
    description: str = Field("", max_length=500)
    combine: Combine = Field("all", description="all: every criterion must match; any: one is enough.")
    criteria: list[Criterion] = Field(default_factory=list)
    fallback: bool = Field(False, description="Applies when no other level matches.")
    quota_percent: Percent | None = Field(None, description="At most this share (0–100) of the unit's customers may hold the level.")


BAND_OPERATORS = ("lt", "lte", "gt", "gte", "between")


def _band(field_type: str, op: str, value):
    """(low, low_closed, high, high_closed) of a band criterion; None = unbounded. Whole-number
    fields get closed integer bounds, so `gt 10` and `between [3, 10]` meet without a gap."""
    import math

    if field_type == "int":
        if op == "between":
            return (math.ceil(value[0]), True, math.floor(value[1]), True)
        if op == "gt":
            return (math.floor(value) + 1, True, None, False)
        if op == "gte":
            return (math.ceil(value), True, None, False)
        if op == "lt":
            return (None, False, math.ceil(value) - 1, True)
        return (None, False, math.floor(value), True)
    if op == "between":
        return (value[0], True, value[1], True)
    if op in ("gt", "gte"):
        return (value, op == "gte", None, False)
    return (None, False, value, op == "lte")


def _check_bands(levels) -> None:
    """Levels that split one numeric field into bands (a `between`, or both a lower and an upper
    open band, e.g. outlet classes: chain < 3, 3–10, > 10) must neither overlap nor leave a gap
    between the field's lowest possible value and infinity. Levels whose criteria nest (A: sales
    ≥ 3M, B: sales ≥ 500k, tried in order) are not bands and are left alone."""
    from guanxi.grading import fields

    by_field: dict[str, list[tuple[str, Criterion]]] = {}
    for level in levels:
        seen: dict[str, int] = {}
        for c in level.criteria:
            seen[c.field] = seen.get(c.field, 0) + 1
        for c in level.criteria:
            if seen[c.field] == 1:
                by_field.setdefault(c.field, []).append((level.code, c))
    for key, items in by_field.items():
        spec = fields.get(key)
        if spec is None or spec.type not in fields.NUMERIC or len(items) < 2:
            continue
        ops = {c.operator for _code, c in items}
        if not ops <= set(BAND_OPERATORS):
            continue
        if "between" not in ops and not (ops & {"lt", "lte"} and ops & {"gt", "gte"}):
            continue
        bands = sorted(
            ((code, *_band(spec.type, c.operator, c.value)) for code, c in items),
            key=lambda b: (float("-inf") if b[1] is None else b[1], not b[2]),
        )
        step = 1 if spec.type == "int" else 0
        minimum = spec.minimum
        first = bands[0]
        if minimum is not None and first[1] is not None:
            low = first[1]
            gap = low > minimum + step if step else (low > minimum or (low == minimum and not first[2]))
            if gap:
                raise ValueError(
                    gettext("No level covers %(field)s from %(low)s up to %(high)s.") % {"field": key, "low": minimum, "high": low}
                )
        for prev, nxt in itertools.pairwise(bands):
            p_code, _pl, _plc, p_high, p_high_closed = prev
            n_code, n_low, n_low_closed, _nh, _nhc = nxt
            if p_high is None or n_low is None:
                raise ValueError(gettext("Levels %(a)s and %(b)s overlap on %(field)s.") % {"a": p_code, "b": n_code, "field": key})
            if n_low < p_high or (n_low == p_high and (n_low_closed and p_high_closed)):
                raise ValueError(
                    gettext("Levels %(a)s and %(b)s overlap on %(field)s: both cover %(value)s.")
                    % {"a": p_code, "b": n_code, "field": key, "value": n_low}
                )
            gap = n_low > p_high + step if step else (n_low > p_high or (n_low == p_high and not (n_low_closed or p_high_closed)))
            if gap:
                raise ValueError(
                    gettext("No level covers %(field)s between %(low)s and %(high)s (levels %(a)s and %(b)s).")
                    % {"field": key, "low": p_high, "high": n_low, "a": p_code, "b": n_code}
                )
        if bands[-1][3] is not None:
            raise ValueError(gettext("No level covers %(field)s above %(value)s.") % {"field": key, "value": bands[-1][3]})


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
        _check_bands(value)
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
            seed=cite("seed 000 客户资源(暂行)管理办法 §一.2"),
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
            seed=cite("seed 002 客户管理制度 §五.2.1–2.4"),
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
            seed=cite("seed 003 附表一 网点类型分类表"),
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
            seed=cite("seed 004 §2 客户分类"),
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
    scheme_by_category: dict[str, Code] = clause(
        zh="各客户类别适用的分级方案",
        en="Grading scheme per customer category",
        help=gettext_noop(
            "Which scheme grades the customers of a category (category code → scheme code). Outlets use the outlet classes of seed 003, distributors and agreement customers the VIP / preferred / qualified scheme of seed 002; a category not listed here uses the default scheme."
        ),
        seed="SPEC F-GRD-1; seed 002 §五.2, seed 003 附表一",
        default_factory=lambda: {"outlet": "outlet", "distributor": "vip", "agreement": "vip"},
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
    # Admission per customer category (helper A): category code → checklist items; a category
    # not listed uses `admission_checklist`.
    admission_checklist_by_category: dict[Code, list[AdmissionItem]] = clause(
        zh="各类客户的准入条件",
        en="Admission checklist per customer category",
        help=gettext_noop("Customer category code → the admission items it needs; a category not listed uses the general checklist."),
        seed="seed 002 §五.1.2",
        default_factory=lambda: {
            category: ["business_licence", "tax_registration", "good_credit", "signed_contract", "no_illegal_record", "qualifications"]
            for category in ("supplier", "distributor", "agreement", "direct", "special", "outlet")
        },
    )
    admission_expiry_reminder_days: Days = clause(
        30,
        zh="准入资质到期提前提醒天数",
        en="Remind this many days before an admission document expires",
        unit="days",
        seed="SPEC F-GRD-5",
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

    @field_validator("scheme_by_category")
    @classmethod
    def _categories_exist(cls, value, info):
        from guanxi.grading.fields import CATEGORIES

        schemes = info.data.get("schemes")
        codes = {s.code for s in schemes} if schemes is not None else None
        for category, code in value.items():
            if category not in CATEGORIES:
                raise ValueError(
                    gettext("Unknown customer category %(category)s: use one of %(known)s.")
                    % {"category": category, "known": ", ".join(CATEGORIES)}
                )
            if codes is not None and code not in codes:
                raise ValueError(gettext("There is no grading scheme with the code %(code)s.") % {"code": code})
        return value

    def scheme_code_for(self, category: str) -> str:
        """The scheme that grades customers of `category` (the default when not mapped)."""
        return self.scheme_by_category.get(category) or self.default_scheme

    def categories_of(self, code: str) -> list[str] | None:
        """The categories graded by scheme `code`; None for the default scheme, which also
        takes every category not mapped elsewhere (see scheme_code_for)."""
        from guanxi.grading.fields import CATEGORIES

        return [c for c in CATEGORIES if self.scheme_code_for(c) == code]

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
