"""The grading engine: a scheme (policy) compiled into Django expressions.

Every gradable field becomes an expression on a Customer queryset (guanxi.grading.fields), every
criterion a condition on it, every level a WHEN of one CASE — tried in the policy's order, the
fallback level as the ELSE. The same compiled scheme serves

- `run()`: the proposal for EVERY customer, one INSERT … SELECT … ON CONFLICT DO UPDATE per
  scheme (PostgreSQL and SQLite ≥ 3.24 both accept it); the SELECT groups customers with their
  business figures once (a hash aggregate, not a subquery per customer). Unchanged rows are not
  written. No Python loop over customers;
- `explain(customer)`: the same expressions for one customer, plus one pass/fail column per
  criterion, giving the explanation the customer page shows (each criterion, the customer's
  value, pass/fail, the chosen level, the policy version and clause).

A missing value (no figures → 0 for sums; no profile, custom field not filled in → NULL) fails
every criterion except `is_set`'s negation; `ne` / `not_in` also fail on a missing value.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce

from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from . import fields as registry
from . import rules

OP_SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


def reference_year(today: dt.date | None = None) -> int:
    """The last complete calendar year (figures of the running year are still incomplete)."""
    return (today or timezone.localdate()).year - 1


def _number(value):
    return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else value


def criterion_q(alias: str, criterion, spec: registry.GradeField) -> Q:
    """The condition of one criterion on the annotation `alias`."""
    op = criterion.operator
    value = criterion.value
    value = [_number(v) for v in value] if isinstance(value, list) else _number(value)
    present = Q(**{f"{alias}__isnull": False})
    if op == "eq":
        return Q(**{alias: value})
    if op == "ne":
        return present & ~Q(**{alias: value})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{alias}__{op}": value})
    if op == "between":
        return Q(**{f"{alias}__gte": value[0], f"{alias}__lte": value[1]})
    if op == "in":
        return Q(**{f"{alias}__in": value})
    if op == "not_in":
        return present & ~Q(**{f"{alias}__in": value})
    if op == "is_true":
        return Q(**{alias: True})
    if op == "is_false":
        return Q(**{alias: False})
    if op == "is_set":
        if spec.type in (registry.TEXT, registry.CHOICE):
            return present & ~Q(**{alias: ""})
        return present
    raise ValueError(f"unknown operator {op}")


@dataclass
class CompiledCriterion:
    level: str
    index: int
    criterion: object
    spec: registry.GradeField
    alias: str  # the field's annotation
    q: Q
    name: str  # the pass/fail annotation


@dataclass
class Compiled:
    scheme: object
    context: registry.EvalContext
    field_aliases: dict[str, str] = field(default_factory=dict)  # field key → alias
    field_specs: dict[str, registry.GradeField] = field(default_factory=dict)
    criteria: list[CompiledCriterion] = field(default_factory=list)
    level_case: Case | Value | None = None

    def fields_expressions(self) -> dict:
        return {alias: self.field_specs[key].build(self.context) for key, alias in self.field_aliases.items()}

    def criteria_expressions(self) -> dict:
        return {c.name: Case(When(c.q, then=Value(True)), default=Value(False), output_field=BooleanField()) for c in self.criteria}


def compile_scheme(scheme, context: registry.EvalContext) -> Compiled:
    out = Compiled(scheme, context)
    whens = []
    for li, level in enumerate(scheme.levels):
        conditions = []
        for ci, criterion in enumerate(level.criteria):
            spec = registry.resolve(criterion.field, criterion.operator, criterion.value)
            if spec is None:  # the policy validator refuses this; never break a run over it
                conditions.append(Q(pk__in=[]))
                continue
            key = f"{spec.key}:{spec.type}"
            alias = out.field_aliases.get(key)
            if alias is None:
                alias = out.field_aliases[key] = f"gx_f{len(out.field_aliases)}"
                out.field_specs[key] = spec
            q = criterion_q(alias, criterion, spec)
            out.criteria.append(CompiledCriterion(level.code, ci, criterion, spec, alias, q, f"gx_c{li}_{ci}"))
            conditions.append(q)
        if not conditions:
            continue  # the fallback without criteria is the ELSE; others are set by hand only
        combined = reduce(lambda a, b: a | b, conditions) if level.combine == "any" else reduce(lambda a, b: a & b, conditions)
        whens.append(When(combined, then=Value(level.code)))
    fallback = next((lv.code for lv in scheme.levels if lv.fallback), "")
    out.level_case = Case(*whens, default=Value(fallback), output_field=CharField()) if whens else Value(fallback, output_field=CharField())
    return out


def _customers():
    from guanxi.customers.models import Customer

    return Customer.objects.filter(merged_into__isnull=True)


# ------------------------------------------------------------------------------ one customer


def _display(spec: registry.GradeField, value) -> str:
    if value is None:
        return _("not recorded")
    if spec.type == registry.BOOL:
        return _("yes") if value else _("no")
    if spec.type == registry.CHOICE:
        return spec.choice_label(value)
    if spec.type == registry.MONEY:
        return f"¥{Decimal(value):,.2f}"
    if spec.type in (registry.INT, registry.DECIMAL):
        number = Decimal(value)
        return f"{number.normalize():,f}" if number != number.to_integral() else f"{int(number):,}"
    return str(value)


def describe(criterion, spec: registry.GradeField | None) -> str:
    """The condition in words: "≥ ¥3,000,000.00", "one of AAA, AA", "is yes"."""
    op, value = criterion.operator, criterion.value

    def show(v):
        return _display(spec, _number(v)) if spec is not None and v is not None else str(v)

    if op in OP_SYMBOLS:
        return f"{OP_SYMBOLS[op]} {show(value)}"
    if op == "between":
        return _("between %(low)s and %(high)s") % {"low": show(value[0]), "high": show(value[1])}
    if op == "in":
        return _("one of %(values)s") % {"values": ", ".join(show(v) for v in value)}
    if op == "not_in":
        return _("none of %(values)s") % {"values": ", ".join(show(v) for v in value)}
    if op == "is_true":
        return _("is yes")
    if op == "is_false":
        return _("is no")
    return _("is filled in")


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def explain(customer, *, year: int | None = None, pol=None) -> dict:
    """Why `customer` gets its proposed grade: every level's criteria with the customer's value
    and pass/fail, the chosen level, the policy version and clause. Computed by the same SQL as
    the run (one query)."""
    pol = pol or rules.policy()
    scheme = rules.scheme_for(customer, pol)
    context = registry.EvalContext(year or reference_year())
    compiled = compile_scheme(scheme, context)
    qs = (
        _customers()
        .filter(pk=customer.pk)
        .annotate(**compiled.fields_expressions())
        .annotate(**compiled.criteria_expressions())
        .annotate(gx_level=compiled.level_case)
    )
    names = [*compiled.field_aliases.values(), *(c.name for c in compiled.criteria), "gx_level"]
    row = qs.values(*names).first() or {}
    chosen = row.get("gx_level", "")
    levels = []
    by_level: dict[str, list[CompiledCriterion]] = {}
    for c in compiled.criteria:
        by_level.setdefault(c.level, []).append(c)
    for level in scheme.levels:
        items = []
        for c in by_level.get(level.code, []):
            value = row.get(c.alias)
            if value is not None and c.spec.type == registry.MONEY:
                value = Decimal(value).quantize(Decimal("0.01"))
            items.append(
                {
                    "field": c.criterion.field,
                    "label": str(c.spec.label),
                    "operator": c.criterion.operator,
                    "threshold": c.criterion.value,
                    "condition": describe(c.criterion, c.spec),
                    "value": _json(value),
                    "value_display": _display(c.spec, value),
                    "passed": bool(row.get(c.name)),
                }
            )
        passed = [i["passed"] for i in items]
        matched = bool(items) and (any(passed) if level.combine == "any" else all(passed))
        levels.append(
            {
                "code": level.code,
                "label": rules.label(level, level.code),
                "combine": level.combine,
                "fallback": level.fallback,
                "manual_only": not items and not level.fallback,
                "matched": matched,
                "chosen": level.code == chosen,
                "clause": rules.clause_for(scheme.code, level.code),
                "criteria": items,
            }
        )
    return {
        "scheme": scheme.code,
        "scheme_label": rules.label(scheme, scheme.code),
        "level": chosen,
        "level_label": rules.level_label(scheme, chosen),
        "by_fallback": bool(chosen) and not any(lv["matched"] and lv["chosen"] for lv in levels),
        "levels": levels,
        "year": context.year,
        "policy_version": pol.version,
        "clause": rules.clause_for(scheme.code),
        "category_clause": rules.CATEGORY_CLAUSE,
        "computed_at": timezone.now().isoformat(),
    }


# ------------------------------------------------------------------------------ every customer

UPSERT = """
INSERT INTO {table} (customer_id, unit_id, scheme, proposed_level, proposed_at, explanation, policy_version, clause,
                     level, reason, source, confirmed_by_id, confirmed_at)
SELECT p.id, p.unit_id, %s, p.gx_level, %s, '{{}}', %s, %s, '', '', '', NULL, NULL
FROM ({select}) p WHERE true
ON CONFLICT (customer_id) DO UPDATE SET
    unit_id = excluded.unit_id,
    proposed_level = excluded.proposed_level,
    proposed_at = CASE WHEN {table}.proposed_level = excluded.proposed_level THEN {table}.proposed_at ELSE excluded.proposed_at END,
    explanation = CASE WHEN {table}.proposed_level = excluded.proposed_level THEN {table}.explanation ELSE excluded.explanation END,
    policy_version = excluded.policy_version,
    clause = excluded.clause,
    level = CASE WHEN {table}.scheme = excluded.scheme THEN {table}.level ELSE '' END,
    scheme = excluded.scheme
WHERE {table}.proposed_level <> excluded.proposed_level OR {table}.unit_id <> excluded.unit_id
   OR {table}.scheme <> excluded.scheme OR {table}.policy_version <> excluded.policy_version
"""


@dataclass
class RunResult:
    year: int
    policy_version: int
    written: int = 0  # rows inserted or changed
    seconds: float = 0.0
    per_scheme: dict[str, int] = field(default_factory=dict)


def _scheme_changes(scheme, categories, now, version) -> int:
    """Customers whose category now falls under another scheme lose their confirmed grade (a
    level of another scheme means nothing); each such change is logged. Rare: only rows whose
    scheme differs are read."""
    from .models import CustomerGrade, GradeChange, GradeSource

    stale = list(
        CustomerGrade.objects.filter(customer__category__in=categories, customer__merged_into__isnull=True)
        .exclude(scheme=scheme.code)
        .exclude(level="")
        .values("customer_id", "unit_id", "scheme", "level", "proposed_level")
    )
    GradeChange.objects.bulk_create(
        [
            GradeChange(
                customer_id=row["customer_id"],
                unit_id=row["unit_id"],
                scheme=row["scheme"],
                from_level=row["level"],
                to_level="",
                proposed_level=row["proposed_level"],
                source=GradeSource.SCHEME_CHANGED,
                reason=_("The customer's category is now graded by the scheme %(scheme)s.") % {"scheme": scheme.code},
                at=now,
                policy_version=version,
                clause=rules.CATEGORY_CLAUSE,
            )
            for row in stale
        ]
    )
    return len(stale)


def run(*, year: int | None = None, pol=None) -> RunResult:
    """Proposes a grade for every live customer: one set-based statement per scheme."""
    from .models import CustomerGrade

    pol = pol or rules.policy()
    grading = pol.grading
    context = registry.EvalContext(year or reference_year())
    now = timezone.now()
    result = RunResult(year=context.year, policy_version=pol.version)
    started = time.perf_counter()
    table = connection.ops.quote_name(CustomerGrade._meta.db_table)
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = '256MB'")
        # Merged records are no customers of their own any more.
        cur.execute(
            f"DELETE FROM {table} WHERE customer_id IN (SELECT id FROM {connection.ops.quote_name('customers_customer')} "
            "WHERE merged_into_id IS NOT NULL)"
        )
        for scheme in grading.schemes:
            categories = grading.categories_of(scheme.code)
            if not categories:
                continue
            _scheme_changes(scheme, categories, now, pol.version)
            compiled = compile_scheme(scheme, context)
            qs = (
                _customers()
                .filter(category__in=categories)
                .alias(**compiled.fields_expressions())
                .annotate(gx_level=compiled.level_case)
                .values("id", "unit_id", "gx_level")
                .order_by()
            )
            select, params = qs.query.sql_with_params()
            sql = UPSERT.format(table=table, select=select)
            stamp = connection.ops.adapt_datetimefield_value(now)
            # The parameters in statement order: scheme, proposed_at, version, clause, then the SELECT's.
            cur.execute(sql, [scheme.code, stamp, pol.version, rules.clause_for(scheme.code), *params])
            written = max(cur.rowcount, 0)
            result.per_scheme[scheme.code] = written
            result.written += written
    result.seconds = time.perf_counter() - started
    return result


def propose_one(customer, *, pol=None) -> tuple[str, dict]:
    """(proposed level, explanation) for one customer, computed now."""
    explanation = explain(customer, pol=pol)
    return explanation["level"], explanation
