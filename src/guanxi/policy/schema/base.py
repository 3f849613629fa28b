"""Building blocks of the policy schema.

Every leaf field of a section is a *clause*: it has a stable key (`section.field`, dotted for
nested groups such as `kpi.penalties.churned_customer_yuan`) and metadata kept in one place,
the field's `json_schema_extra`: a Chinese and an English label, a help text, the unit, and the
seed paragraph it comes from. `clause()` is the one way a section declares a field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Units the UI shows next to a value (translated in the templates).
UNITS = {
    "days",
    "working_days",
    "hours",
    "minutes",
    "months",
    "times_per_month",
    "times_per_year",
    "percent",
    "permille",
    "yuan",
    "count",
    "day_of_month",
    "weekday",
    "",
}


class Section(BaseModel):
    """Base of every policy section: unknown keys are refused, values are validated on
    assignment too, so a typed policy object can never hold an invalid value."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True)


class Item(Section):
    """Base of the entries of a nested list (a grading level, a KPI tier, …)."""


# Constrained scalar types. The validation messages are rewritten per error type in
# guanxi.policy.services.errors_by_key(), so the limits only need to be declared here.
Days = Annotated[int, Field(ge=0, le=3660)]
Hours = Annotated[int, Field(ge=0, le=24 * 366)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60 * 31)]
Months = Annotated[int, Field(ge=0, le=120)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


def _places(places: int):
    """Stores decimals with a fixed number of places, so 30000, 30000.0 and "30000.00" are the
    same value in the JSON of every version (and a diff shows only real changes)."""
    exponent = Decimal(1).scaleb(-places)
    return AfterValidator(lambda value: value.quantize(exponent))


Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2), _places(2)]
Permille = Annotated[Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=3), _places(3)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), _places(2)]
DayOfMonth = Annotated[int, Field(ge=1, le=31)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-\u4e00-\u9fff]+$")]


def clause(
    default: Any = ...,
    *,
    zh: str,
    en: str,
    seed: str,
    help: str = "",
    unit: str = "",
    default_factory=None,
    **constraints,
):
    """A policy clause: a pydantic Field carrying its labels, help, unit and source."""
    assert unit in UNITS, unit
    extra = {"label_zh": zh, "label_en": en, "help": help, "seed": seed, "unit": unit}
    if default_factory is not None:
        return Field(default_factory=default_factory, json_schema_extra=extra, title=en, description=help or None, **constraints)
    return Field(default, json_schema_extra=extra, title=en, description=help or None, **constraints)


def group(model: type[BaseModel], *, zh: str, en: str, seed: str = "", help: str = ""):
    """A nested group of clauses (its own fields are the clauses)."""
    extra = {"label_zh": zh, "label_en": en, "help": help, "seed": seed, "group": True}
    return Field(default_factory=model, json_schema_extra=extra, title=en, description=help or None)
