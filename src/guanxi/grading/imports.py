"""Import of yearly business figures from xlsx / csv (issue 4 item 2).

The upload is read with customers.xlsx (size, content, zip-bomb and XML checks). Columns are
recognised by their titles (Chinese or English): the customer — by id (客户编号), unified
social credit code (统一社会信用代码) or exact name (客户名称) —, the year (年度) and the
figures (销售额, 回款额, 收款额, 逾期次数). Every row is checked; when any row is bad, the
import reports *every* bad row with its spreadsheet row number and saves nothing. Otherwise
each (customer, year) is created or updated, in one transaction, and audited once.

Only customers the importing user may change business figures of are found (others read as
"not found", never revealing that they exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import DomainError
from guanxi.customers import xlsx

from . import services
from .models import BusinessFigure

MAX_ROWS = 50_000

HEADERS = {
    "customer_id": ("客户编号", "客户id", "customer id", "customer_id", "id"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit code", "credit_code"),
    "name": ("客户名称", "客户", "名称", "customer", "customer name", "name"),
    "year": ("年度", "年份", "year"),
    "sales": ("销售额", "销售额(元)", "销售额（元）", "sales"),
    "payments": ("回款额", "回款", "回款额(元)", "回款额（元）", "payments"),
    "collection": ("收款额", "收费额", "收款额(元)", "收款额（元）", "collection"),
    "overdue_payments": ("逾期次数", "逾期付款次数", "滞期付款次数", "overdue", "overdue payments", "overdue_payments"),
    "note": ("备注", "note"),
}


def _key(text: str) -> str:
    return "".join(str(text).split()).lower()


_LOOKUP = {_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}


def match_header(text: str) -> str | None:
    return _LOOKUP.get(_key(text))


class ImportInvalid(DomainError):
    """Rows that cannot be imported: `errors` is [(row number, message)]; nothing was saved."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(
            _("%(count)s rows cannot be imported; nothing was saved.") % {"count": len(errors)},
            field="file",
            code="invalid_rows",
            params={"errors": errors},
        )
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    rows: int = 0
    errors: list = field(default_factory=list)


def _customers_for(user, keys: dict[str, set]):
    """{(kind, value): [customer ids]} for the ids, credit codes and names in the file, within
    the user's scope for changing business figures."""
    from guanxi.accounts.access import principal_for
    from guanxi.customers.models import Customer
    from guanxi.customers.normalize import name_key

    principal = principal_for(user)
    level = principal.scope_level(BusinessFigure, "add") if principal else None
    if level is None:
        return {}
    qs = Customer.objects.filter(merged_into__isnull=True)
    if level != "all":
        qs = qs.filter(Customer.scope_q(principal, level))
    found: dict[tuple[str, str], list[int]] = {}
    ids = {int(v) for v in keys["customer_id"] if v.isdigit()}
    for pk in qs.filter(pk__in=ids).values_list("pk", flat=True):
        found.setdefault(("customer_id", str(pk)), []).append(pk)
    for pk, code in qs.filter(credit_code__in=keys["credit_code"]).values_list("pk", "credit_code"):
        found.setdefault(("credit_code", code), []).append(pk)
    by_key = {name_key(n): n for n in keys["name"]}
    for pk, key in qs.filter(name_key__in=list(by_key)).values_list("pk", "name_key"):
        found.setdefault(("name", by_key[key]), []).append(pk)
    return found


def read(fileobj, name: str = ""):
    table = xlsx.read_table(fileobj, name, header_matcher=lambda text: match_header(text) is not None, max_rows=MAX_ROWS)
    columns = {}
    for i, title in enumerate(table.headers):
        key = match_header(title)
        if key and key not in columns:
            columns[key] = i
    if "year" not in columns or not ({"customer_id", "credit_code", "name"} & set(columns)):
        raise xlsx.FileRejected(_("The sheet needs a year column (年度) and a customer column (客户名称, 统一社会信用代码 or 客户编号)."))
    return table, columns


@transaction.atomic
def import_figures(user, fileobj, name: str = "") -> ImportResult:
    """Checks every row, then saves all or nothing (ImportInvalid lists every bad row)."""
    table, columns = read(fileobj, name)

    def cell(cells, key):
        i = columns.get(key)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    keys = {"customer_id": set(), "credit_code": set(), "name": set()}
    for _n, cells in table.rows:
        for kind in keys:
            value = cell(cells, kind)
            if value:
                keys[kind].add(value.upper() if kind == "credit_code" else value)
    found = _customers_for(user, keys)
    errors: list[tuple[int, str]] = []
    parsed: dict[tuple[int, int], tuple[int, dict]] = {}
    for number, cells in table.rows:
        ident = None
        for kind in ("customer_id", "credit_code", "name"):
            value = cell(cells, kind)
            if value:
                ident = (kind, value.upper() if kind == "credit_code" else value)
                break
        if ident is None:
            errors.append((number, _("No customer given.")))
            continue
        matches = found.get(ident, [])
        if not matches:
            errors.append((number, _("Customer not found: %(value)s.") % {"value": ident[1]}))
            continue
        if len(set(matches)) > 1:
            errors.append(
                (number, _("Several customers are called %(value)s: give the credit code or the customer id.") % {"value": ident[1]})
            )
            continue
        try:
            year = services._year(cell(cells, "year"))
            values = services.clean_figure({k: cell(cells, k) for k in ("sales", "payments", "collection", "overdue_payments", "note")})
        except DomainError as exc:
            errors.append((number, str(exc)))
            continue
        key = (matches[0], year)
        if key in parsed:
            errors.append((number, _("The same customer and year are already in row %(row)s.") % {"row": parsed[key][0]}))
            continue
        parsed[key] = (number, values)
    if not table.rows:
        errors.append((table.header_row, _("The sheet has no rows below the header.")))
    if errors:
        raise ImportInvalid(errors)
    existing = {
        (f.customer_id, f.year): f
        for f in BusinessFigure.objects.select_for_update().filter(
            customer_id__in={c for c, _y in parsed}, year__in={y for _c, y in parsed}
        )
    }
    now = timezone.now()
    result = ImportResult(rows=len(parsed))
    new, changed = [], []
    for (customer_id, year), (_number, values) in parsed.items():
        figure = existing.get((customer_id, year))
        if figure is None:
            new.append(BusinessFigure(customer_id=customer_id, year=year, updated_at=now, **values))
        else:
            for k, v in values.items():
                setattr(figure, k, v)
            figure.updated_at = now
            changed.append(figure)
    # Through save() for the field history of changed rows; new rows in bulk.
    for figure in changed:
        figure.save()
    BusinessFigure.objects.bulk_create(new, batch_size=2000)
    result.created, result.updated = len(new), len(changed)
    audit.record(
        "grading.figures_imported",
        actor=user,
        data={"file": name[:200], "rows": result.rows, "created": result.created, "updated": result.updated},
    )
    return result
