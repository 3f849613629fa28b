"""Grade quotas (F-GRD-1; seed 002 §五.2.2 d, 2.3 e): at most `quota_percent` of a department's
customers may hold a level (VIP ≤ 15 %, 优选 ≤ 30 % in the shipped policy).

- The *department* of a customer is the nearest unit of kind "department" at or above its
  owning unit (a team's customers count for its department); a customer of a unit outside any
  department counts for that unit alone. The department's customers are those in its unit
  tree graded by the same scheme.
- Counting reads the tallies of grade rows per (unit, scheme, level) that database triggers keep
  (level_counts.py): holders = the tree's tallies of the level, total = its tallies of the
  scheme, a few rows per unit, never a count of grade rows or customers (bench: "quota check on
  confirm", ≤ 20 ms p95 at 1M customers; counting the rows cost 6–40 ms). The nightly run
  writes a row for every customer, so a customer created since then counts from the next run
  (until then the quota is slightly stricter).
- Dimensions: the department is one *dimension*. `register_dimension()` adds others — the
  product line (单品种, seed 002 2.2 d) plugs in here once the sales module brings product lines:
  it gives the groups a customer belongs to and counts holders/total per group. Dimensions
  marked `per_product_line` apply only when the policy clause `grading.quota_per_product_line`
  is on. Nothing registers one yet (there is no product-line model).
- A confirmation that would break a quota is refused (QuotaExceeded, a DomainError carrying the
  counts: "VIP: 15 of 100 customers (15%), limit 15%"). Confirmations of one department are
  serialised by a transaction-level advisory lock on PostgreSQL (SQLite serialises writers).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError

from . import rules


@dataclass
class QuotaCount:
    level: str
    label: str
    limit: Decimal  # percent
    holders: int
    total: int
    group: str = ""  # the dimension's group label ("" for the department)

    @property
    def percent(self) -> Decimal:
        if not self.total:
            return Decimal(0)
        return (Decimal(self.holders * 100) / self.total).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def allowed(self) -> int:
        """How many customers may hold the level."""
        return int((self.limit * self.total / 100).to_integral_value(rounding="ROUND_FLOOR"))

    @property
    def exceeded(self) -> bool:
        return self.holders * 100 > self.limit * self.total

    @property
    def full(self) -> bool:
        return self.holders >= self.allowed

    @property
    def near(self) -> bool:
        """At or above 80 % of what the quota allows: the page warns."""
        return self.allowed == 0 or self.holders * 5 >= self.allowed * 4

    def text(self) -> str:
        return _("%(level)s: %(holders)s of %(total)s customers (%(percent)s%%), limit %(limit)s%%") % {
            "level": self.label,
            "holders": self.holders,
            "total": self.total,
            "percent": _pct(self.percent),
            "limit": _pct(self.limit),
        }


def _pct(value: Decimal) -> str:
    value = Decimal(value)
    return str(value.to_integral()) if value == value.to_integral() else str(value.normalize())


class QuotaExceeded(DomainError):
    def __init__(self, count: QuotaCount, unit_name: str):
        message = _("The quota of %(level)s in %(unit)s would be exceeded: %(counts)s.") % {
            "level": count.label,
            "unit": unit_name,
            "counts": count.text(),
        }
        super().__init__(message, field="level", code="quota_exceeded", params={"counts": count.text()})
        self.count = count


# ------------------------------------------------------------------------------ departments


def department_of(unit):
    """The nearest department at or above `unit` (itself when none)."""
    from guanxi.accounts.models import OrgUnit, UnitKind

    if unit.kind == UnitKind.DEPARTMENT:
        return unit
    ids = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()]
    ancestors = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids, kind=UnitKind.DEPARTMENT)}
    for pk in reversed(ids):
        if pk in ancestors:
            return ancestors[pk]
    return unit


def tree_ids(unit) -> list[int]:
    from guanxi.accounts.models import OrgUnit

    return list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


def group_ids(unit) -> list[int]:
    """The units whose customers share a quota with `unit`'s: a department's whole tree; a unit
    outside any department alone (not the tree below it: for the company itself that would be
    every customer of the company)."""
    from guanxi.accounts.models import UnitKind

    return tree_ids(unit) if unit.kind == UnitKind.DEPARTMENT else [unit.pk]


# ------------------------------------------------------------------------------ dimensions


@dataclass(frozen=True)
class Dimension:
    """A way to group customers for quotas. `groups(customer)` → [(key, label)];
    `count(scheme_code, level_code, group_key, exclude_customer_id)` → (holders, total)."""

    key: str
    label: str
    groups: Callable
    count: Callable
    per_product_line: bool = True


DIMENSIONS: dict[str, Dimension] = {}


def register_dimension(dimension: Dimension) -> None:
    DIMENSIONS[dimension.key] = dimension


def _active_dimensions(pol) -> list[Dimension]:
    on = pol.grading.quota_per_product_line
    return [d for d in DIMENSIONS.values() if on or not d.per_product_line]


# ------------------------------------------------------------------------------ counting


def _tallies(unit_ids: list[int], scheme_code: str, levels: dict[str, str]) -> dict[str, int]:
    """{"total": grade rows of the scheme, name: rows holding level} summed over the units'
    tallies (models.LevelCount, a few rows per unit) for `levels` = {name: level code}."""
    from django.db.models import Q, Sum
    from django.db.models.functions import Coalesce

    from .models import LevelCount

    sums = {"total": Coalesce(Sum("n"), 0)}
    sums.update({name: Coalesce(Sum("n", filter=Q(level=code)), 0) for name, code in levels.items()})
    return LevelCount.objects.filter(unit_id__in=unit_ids, scheme=scheme_code).aggregate(**sums)


def count_level(unit_ids: list[int], scheme_code: str, level_code: str, *, exclude_customer_id=None, current_level=None) -> tuple[int, int]:
    """(holders of the level, customers of the scheme) among the units' grade rows, from their
    tallies. The customer `exclude_customer_id` is left out of the holders (its current level
    is read by primary key unless given)."""
    from .models import CustomerGrade

    row = _tallies(unit_ids, scheme_code, {"holders": level_code})
    holders = row["holders"]
    if exclude_customer_id is not None:
        if current_level is None:
            current = CustomerGrade.objects.filter(customer_id=exclude_customer_id).values_list("scheme", "level").first()
            current_level = current[1] if current and current[0] == scheme_code else ""
        if current_level == level_code:
            holders -= 1
    return holders, row["total"]


def status(unit, scheme, *, pol=None) -> list[QuotaCount]:
    """Counts of every level of `scheme` with a quota in `unit`'s department tree."""
    quota_levels = [lv for lv in scheme.levels if lv.quota_percent is not None]
    if not quota_levels:
        return []
    row = _tallies(group_ids(unit), scheme.code, {f"l{i}": level.code for i, level in enumerate(quota_levels)})
    return [
        QuotaCount(level.code, rules.label(level, level.code), level.quota_percent, row[f"l{i}"], row["total"])
        for i, level in enumerate(quota_levels)
    ]


def _lock(key: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x6778, zlib.crc32(key.encode()) & 0x7FFFFFFF])


def check(customer, scheme, level_code: str, *, pol=None, lock: bool = True) -> list[QuotaCount]:
    """Refuses (QuotaExceeded) when giving `customer` the level would break a quota; returns
    the counts after the change for every dimension checked (for the page's warning)."""
    pol = pol or rules.policy()
    level = scheme.level(level_code)
    if level is None or level.quota_percent is None:
        return []
    dept = department_of(customer.unit)
    if lock:
        _lock(f"{dept.pk}:{scheme.code}")
    holders, total = count_level(group_ids(dept), scheme.code, level_code, exclude_customer_id=customer.pk)
    after = QuotaCount(level.code, rules.label(level, level.code), level.quota_percent, holders + 1, max(total, 1))
    if after.exceeded:
        raise QuotaExceeded(after, str(dept))
    out = [after]
    for dim in _active_dimensions(pol):
        for key, group_label in dim.groups(customer):
            h, t = dim.count(scheme.code, level_code, key, customer.pk)
            count = QuotaCount(
                level.code, f"{rules.label(level, level.code)} ({group_label})", level.quota_percent, h + 1, max(t, 1), group_label
            )
            if count.exceeded:
                raise QuotaExceeded(count, str(dept))
            out.append(count)
    return out
