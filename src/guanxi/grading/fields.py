"""The gradable fields: what a grading criterion may compare (F-GRD-1).

Each field has a stable key (the `field` of a criterion in the policy), a label, a type that
decides which operators and thresholds are valid, and a way to compute it *in SQL* on a
Customer queryset, so the proposal run evaluates every customer in one statement
(guanxi.grading.engine). Sources:

- customer columns (status, category, scale, registered capital, …);
- custom fields in `Customer.custom_data`: the outlet profile of seed 003 附表一 (chain size,
  floor area, monthly collection, own or franchised hall) under fixed keys, and any other custom
  field as `custom.<key>` (read as a number when the stored text is a number);
- yearly business figures (grading.BusinessFigure), aggregated per customer: sales of the last
  three years, annual business, payments, collection, overdue payments;
- the grading profile (grading.GradingProfile): credit rating, financial state, long-term
  partnership, key resources — facts the customer archive does not hold.

Figures are read relative to a *reference year*: the last complete calendar year (the year
before today's) unless the run is given another one. "The last three years" are the reference
year and the two before it; "overdue payments in the last 12 months" counts the reference year
and the running year.

This module imports no models at import time: the policy validator
(guanxi.policy.schema.grading) reads FIELDS to refuse criteria on unknown fields or with a
threshold of the wrong type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# Number-like types accept numeric thresholds; the rest accept text or yes/no.
INT, DECIMAL, MONEY, BOOL, CHOICE, TEXT = "int", "decimal", "money", "bool", "choice", "text"
NUMERIC = (INT, DECIMAL, MONEY)

OPERATORS_BY_TYPE = {
    INT: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "not_in", "is_set"),
    DECIMAL: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "not_in", "is_set"),
    MONEY: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "not_in", "is_set"),
    BOOL: ("eq", "is_true", "is_false", "is_set"),
    CHOICE: ("eq", "ne", "in", "not_in", "is_set"),
    TEXT: ("eq", "ne", "in", "not_in", "is_set"),
}

# Customer categories (guanxi.customers.models.Category; a test keeps the two equal). Kept as
# data here so the policy schema can validate its category → scheme mapping without models.
CATEGORIES = ("supplier", "distributor", "agreement", "direct", "special", "outlet")

CREDIT_RATINGS = (
    ("AAA", _("AAA (excellent)")),
    ("AA", _("AA (very good)")),
    ("A", _("A (good)")),
    ("B", _("B (some credit problems)")),
    ("C", _("C (clear credit problems)")),
    ("D", _("D (serious credit problems)")),
    ("bad", _("Listed as a dishonest debtor")),
)
FINANCIAL_STATES = (
    ("good", _("Good")),
    ("sound", _("Sound")),
    ("fair", _("Fair")),
    ("poor", _("Poor")),
)

CUSTOM_PREFIX = "custom."
CUSTOM_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NUMBER_RE = r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"


@dataclass(frozen=True)
class EvalContext:
    """What a field's SQL depends on besides the customer row."""

    year: int  # reference year of the business figures


@dataclass(frozen=True)
class GradeField:
    key: str
    label: object
    type: str
    source: str  # customer | custom | figures | profile
    build: Callable[[EvalContext], object] = field(compare=False, repr=False)
    choices: tuple[tuple[str, object], ...] = ()
    minimum: Decimal | None = None  # lowest possible value: bands of a scheme start here
    unit: str = ""
    help: object = ""

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c for c, _label in self.choices)

    def choice_label(self, value) -> str:
        for code, label in self.choices:
            if code == value:
                return str(label)
        return "" if value is None else str(value)


# ------------------------------------------------------------------ SQL builders (lazy imports)


def _column(name: str):
    def build(ctx: EvalContext):
        from django.db.models import F

        return F(name)

    return build


def _money_column(name: str):
    def build(ctx: EvalContext):
        from django.db.models import DecimalField, F
        from django.db.models.functions import Cast

        return Cast(F(name), DecimalField(max_digits=18, decimal_places=2))

    return build


def _figures(column: str, first: Callable[[int], int], last: Callable[[int], int], *, integer: bool = False):
    """Sum of one BusinessFigure column over a range of years, 0 when the customer has none."""

    def build(ctx: EvalContext):
        from django.db.models import DecimalField, IntegerField, Q, Sum, Value
        from django.db.models.functions import Coalesce

        years = Q(business_figures__year__gte=first(ctx.year), business_figures__year__lte=last(ctx.year))
        if integer:
            return Coalesce(Sum(f"business_figures__{column}", filter=years), Value(0), output_field=IntegerField())
        out = DecimalField(max_digits=18, decimal_places=2)
        return Coalesce(Sum(f"business_figures__{column}", filter=years), Value(Decimal("0.00")), output_field=out)

    return build


def _profile(name: str):
    def build(ctx: EvalContext):
        from django.db.models import F

        return F(f"grading_profile__{name}")

    return build


def custom_number(key: str):
    """A custom-data value as a number: NULL when missing or not a number (a bad value in one
    record never breaks the run)."""

    def build(ctx: EvalContext):
        from django.db.models import Case, DecimalField, Q, When
        from django.db.models.fields.json import KeyTextTransform
        from django.db.models.functions import Cast

        out = DecimalField(max_digits=20, decimal_places=4)
        return Case(
            When(Q(**{f"custom_data__{key}__regex": NUMBER_RE}), then=Cast(KeyTextTransform(key, "custom_data"), out)),
            default=None,
            output_field=out,
        )

    return build


def custom_bool(key: str):
    def build(ctx: EvalContext):
        from django.db.models import BooleanField, Case, Q, Value, When

        return Case(
            When(Q(**{f"custom_data__{key}": True}), then=Value(True)),
            When(Q(**{f"custom_data__{key}": False}), then=Value(False)),
            default=None,
            output_field=BooleanField(),
        )

    return build


def custom_text(key: str):
    def build(ctx: EvalContext):
        from django.db.models import CharField
        from django.db.models.fields.json import KeyTextTransform
        from django.db.models.functions import Cast

        return Cast(KeyTextTransform(key, "custom_data"), CharField())

    return build


ZERO = Decimal(0)

# Customer column choices, as data (labels translated where shown).
STATUS_CHOICES = (("potential", _("Potential")), ("active", _("Active")), ("lost", _("Lost")), ("blacklisted", _("Blacklisted")))
CATEGORY_CHOICES = (
    ("supplier", _("Supplier")),
    ("distributor", _("Distributor")),
    ("agreement", _("Agreement customer")),
    ("direct", _("Direct user")),
    ("special", _("Special")),
    ("outlet", _("Outlet")),
)
SCALE_CHOICES = (("micro", _("Micro")), ("small", _("Small")), ("medium", _("Medium")), ("large", _("Large")))

FIELDS: dict[str, GradeField] = {
    f.key: f
    for f in (
        # customer columns
        GradeField("status", _("Customer status"), CHOICE, "customer", _column("status"), STATUS_CHOICES),
        GradeField("category", _("Customer category"), CHOICE, "customer", _column("category"), CATEGORY_CHOICES),
        GradeField("scale", _("Scale"), CHOICE, "customer", _column("scale"), SCALE_CHOICES),
        GradeField("is_key", _("Marked as key customer"), BOOL, "customer", _column("is_key")),
        GradeField("industry", _("Industry"), TEXT, "customer", _column("industry")),
        GradeField(
            "registered_capital_yuan",
            _("Registered capital"),
            MONEY,
            "customer",
            _money_column("registered_capital"),
            minimum=ZERO,
            unit="yuan",
        ),
        GradeField("completeness", _("Record completeness (%)"), INT, "customer", _column("completeness"), minimum=ZERO),
        # yearly business figures
        GradeField(
            "sales_3y_yuan",
            _("Sales in the last 3 years"),
            MONEY,
            "figures",
            _figures("sales", lambda y: y - 2, lambda y: y),
            minimum=ZERO,
            unit="yuan",
            help=_("Sum of the yearly sales of the reference year and the two years before it."),
        ),
        GradeField(
            "annual_business_yuan",
            _("Annual business"),
            MONEY,
            "figures",
            _figures("sales", lambda y: y, lambda y: y),
            minimum=ZERO,
            unit="yuan",
            help=_("Sales of the reference year (the last complete year)."),
        ),
        GradeField(
            "payments_yuan",
            _("Payments received in the year"),
            MONEY,
            "figures",
            _figures("payments", lambda y: y, lambda y: y),
            minimum=ZERO,
            unit="yuan",
        ),
        GradeField(
            "collection_yuan",
            _("Collection in the year"),
            MONEY,
            "figures",
            _figures("collection", lambda y: y, lambda y: y),
            minimum=ZERO,
            unit="yuan",
        ),
        GradeField(
            "overdue_payments_12m",
            _("Overdue payments (last year and this year)"),
            INT,
            "figures",
            _figures("overdue_payments", lambda y: y, lambda y: y + 1, integer=True),
            minimum=ZERO,
            help=_("Number of late payments in the reference year and the running year."),
        ),
        # grading profile
        GradeField("credit_rating", _("Credit rating"), CHOICE, "profile", _profile("credit_rating"), CREDIT_RATINGS),
        GradeField("financial_state", _("Financial state"), CHOICE, "profile", _profile("financial_state"), FINANCIAL_STATES),
        GradeField("long_term_partner", _("Wants a long-term partnership"), BOOL, "profile", _profile("long_term_partner")),
        GradeField("has_key_resources", _("Holds resources important to us"), BOOL, "profile", _profile("has_key_resources")),
        # outlet profile (seed 003 附表一), stored as custom fields of the category "outlet"
        GradeField("chain_outlets", _("Outlets in the chain"), INT, "custom", custom_number("chain_outlets"), minimum=ZERO),
        GradeField("floor_area_m2", _("Floor area (m²)"), DECIMAL, "custom", custom_number("floor_area"), minimum=ZERO),
        GradeField(
            "monthly_collection_yuan",
            _("Monthly collection"),
            MONEY,
            "custom",
            custom_number("monthly_collection"),
            minimum=ZERO,
            unit="yuan",
        ),
        GradeField("own_or_franchise_hall", _("Own or franchised service hall"), BOOL, "custom", custom_bool("own_or_franchise_hall")),
    )
}

# Custom fields the outlet scheme reads that the archive's outlet template (seed 003 附表二)
# lacks; grading's data migration adds them to the category "outlet".
OUTLET_CUSTOM_FIELDS = (
    {
        "key": "chain_outlets",
        "label": "连锁网点数量",
        "field_type": "number",
        "help_text": "加盟及自建营业厅属A类（《市场营销部管理办法》附表一）",
    },
    {"key": "own_or_franchise_hall", "label": "加盟或自建营业厅", "field_type": "bool"},
)


def get(key: str) -> GradeField | None:
    """The registered field, or a generic `custom.<key>` field (typed as a number here; see
    resolve()); None for an unknown key."""
    found = FIELDS.get(key)
    if found is not None:
        return found
    if key.startswith(CUSTOM_PREFIX) and CUSTOM_KEY_RE.match(key[len(CUSTOM_PREFIX) :]):
        return GradeField(key, key[len(CUSTOM_PREFIX) :], DECIMAL, "custom", custom_number(key[len(CUSTOM_PREFIX) :]))
    return None


def is_generic_custom(key: str) -> bool:
    return key not in FIELDS and key.startswith(CUSTOM_PREFIX)


def resolve(key: str, operator: str, value) -> GradeField | None:
    """The field a criterion compares. A generic `custom.<key>` is read by how the criterion
    uses it: yes/no for is_true / is_false, text when compared with text, else a number."""
    base = get(key)
    if base is None or not is_generic_custom(key):
        return base
    name = key[len(CUSTOM_PREFIX) :]
    if operator in ("is_true", "is_false"):
        return GradeField(key, name, BOOL, "custom", custom_bool(name))
    values = value if isinstance(value, list) else [value]
    if operator == "is_set" or any(isinstance(v, str) for v in values):
        return GradeField(key, name, TEXT, "custom", custom_text(name))
    return base


def type_label(kind: str) -> str:
    return str(
        {
            INT: _("a whole number"),
            DECIMAL: _("a number"),
            MONEY: _("an amount in yuan"),
            BOOL: _("yes or no"),
            CHOICE: _("one of the listed values"),
            TEXT: _("text"),
        }[kind]
    )


def known_keys() -> list[str]:
    return sorted(FIELDS)
