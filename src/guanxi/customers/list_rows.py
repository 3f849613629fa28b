"""The rows of the customer list: read as plain values and built in Python.

The list is the archive's busiest page. Through the ORM and the template engine its 50 rows
cost several times the page's queries (a model instance per customer, owner, unit, region and
tag; some thirty template nodes per row), so the rows are read as tuples (`PageRows`) and the
table body is built here with the same markup; every value is escaped. Labels and the detail
URL are resolved once per page, not per row.
"""

from __future__ import annotations

import functools

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from guanxi.core import ahead
from guanxi.core.form_renderer import esc as escape

from .filing import filing_status, today
from .models import Category, SpecialKind, Status
from .templatetags.customers import _FILING_CSS, _FILING_LABELS, _STATUS_CSS, completeness_css

_ID_PLACEHOLDER = 987654321


def _attrs(columns) -> tuple[str, ...]:
    return tuple(c.replace("__", "_") for c in columns)


class Row:
    """One customer as plain values: its class's COLUMNS as attributes (owner__username as
    owner_username), then its tag names where the class has TAGS."""

    __slots__ = ()
    COLUMNS: tuple[str, ...] = ()
    TAGS = False

    def __init__(self, values: tuple):
        for attr, value in zip(self.__slots__, values, strict=False):
            setattr(self, attr, value)

    @property
    def owner_display(self) -> str:
        return self.owner_full_name or self.owner_username or ""


class ListRow(Row):
    """A row of the customer list (the table below and filing_status)."""

    COLUMNS = (
        "pk",
        "name",
        "credit_code",
        "is_key",
        "category",
        "special_kind",
        "status",
        "filed_at",
        "filing_deadline",
        "change_report_deadline",
        "completeness",
        "created_at",
        "owner_id",
        "owner__full_name",
        "owner__username",
        "unit_id",
        "unit__name",
        "region_id",
        "region__name",
    )
    TAGS = True
    __slots__ = (*_attrs(COLUMNS), "tag_names")

    def __init__(self, values: tuple):
        self.tag_names = []
        super().__init__(values)


class HitRow(Row):
    """A search hit (render_hits)."""

    COLUMNS = ("pk", "name", "credit_code", "phone", "is_key", "category", "status", "owner_id", "owner__full_name", "owner__username")
    __slots__ = _attrs(COLUMNS)


def ids_sql(ordered_qs, limit: int, offset: int = 0) -> tuple[str, tuple]:
    """The statement of one page's ids: scope, filters and sort on the customer table alone, so
    the planner can stop after `limit` index entries."""
    return ordered_qs.values_list("id", flat=True)[offset : offset + limit].query.sql_with_params()


def merged_ids_sql(querysets: list, order: str, limit: int) -> tuple[str, list]:
    """The first `limit` ids in `order` ("id" or "-id") of the union of
    `querysets`, each read on its own index up to `limit` (with an OR of them in one query the
    planner walks the primary key and filters, which reads most of the table for a rep whose
    customers are old)."""
    quote = connection.ops.quote_name
    parts, params = [], []
    for n, qs in enumerate(querysets):
        sql, part_params = ids_sql(qs.order_by(order), limit)
        parts.append(f"SELECT {quote('id')} FROM ({sql}) AS branch{n}")  # SQLite takes no LIMIT in a UNION's parts
        params.extend(part_params)
    direction = "DESC" if order.startswith("-") else "ASC"
    return f"SELECT {quote('id')} FROM ({' UNION '.join(parts)}) AS page ORDER BY {quote('id')} {direction} LIMIT %s", [*params, limit]


def fenced_ids_sql(querysets: list, order: tuple[str, ...], limit: int, offset: int = 0) -> tuple[str, list]:
    """PostgreSQL: the statement of one page's ids of the union of `querysets` in `order`
    (field names, "-" for descending), every matching row read first on the WHERE's own index
    and then sorted. The subquery (a UNION, or OFFSET 0) is not merged into the outer query, so
    the planner cannot walk the sort column's index instead; that walk assumes the matches are
    spread evenly along it, and reads most of the table when they are not (a rep's old
    customers)."""
    names = list(dict.fromkeys(["id", *(field.lstrip("-") for field in order)]))
    parts, params = [], []
    for qs in querysets:
        sql, part_params = qs.order_by().values_list(*names).query.sql_with_params()
        parts.append(sql)
        params.extend(part_params)
    inner = " UNION ".join(f"({sql})" for sql in parts) if len(parts) > 1 else f"{parts[0]} OFFSET 0"
    quote = connection.ops.quote_name
    sort = ", ".join(f"{quote(field.lstrip('-'))} {'DESC' if field.startswith('-') else 'ASC'}" for field in order)
    return f"SELECT {quote('id')} FROM ({inner}) AS page ORDER BY {sort} LIMIT %s OFFSET %s", [*params, limit, offset]


class PageRows:
    """The rows of one page, whose ids are chosen by a statement (ids_sql, merged_ids_sql,
    fenced_ids_sql). On PostgreSQL ids and rows are one statement, sent at once and read on
    first use (core.ahead), so the database works while the page shell renders."""

    def __init__(self, sql: str, params, kind: type[Row] = ListRow):
        self.kind = kind
        self._rows = None
        if connection.vendor == "postgresql":
            self._pending = ahead.send(_page_sql(kind, sql), list(params))
        else:
            self._pending = None
            self._ids_statement = (sql, params)

    def rows(self) -> list:
        if self._rows is None:
            if self._pending is not None:
                self._rows = [self.kind(values) for values in self._pending.fetchall()]
            else:
                with connection.cursor() as cursor:
                    cursor.execute(*self._ids_statement)
                    self._rows = rows_for_ids([row[0] for row in cursor.fetchall()], self.kind)
        return self._rows


def rows_for_ids(ids: list[int], kind: type[Row] = ListRow) -> list:
    """The rows (of class `kind`) of these customers, in this order."""
    if not ids:
        return []
    rows = _rows_postgres(ids, kind) if connection.vendor == "postgresql" else _rows_orm(ids, kind)
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def _rows_orm(ids: list[int], kind: type[Row]) -> list:
    from .models import Customer

    by_id = {values[0]: kind(values) for values in Customer.objects.filter(pk__in=ids).values_list(*kind.COLUMNS)}
    if kind.TAGS:
        tags = Customer.tags.through.objects.filter(customer_id__in=ids).order_by("tag__name").values_list("customer_id", "tag__name")
        for customer_id, tag_name in tags:
            by_id[customer_id].tag_names.append(tag_name)
    return list(by_id.values())


def _rows_postgres(ids: list[int], kind: type[Row]) -> list:
    # The same rows as _rows_orm in one statement (tag names as an array); written out because
    # building and compiling the ORM queries cost as much as running them.
    with connection.cursor() as cursor:
        cursor.execute(_postgres_sql(kind), [ids])
        return [kind(values) for values in cursor.fetchall()]


@functools.cache
def _postgres_sql(kind: type[Row]) -> str:
    columns, joins = _select_sql(kind)
    return f"SELECT {columns} FROM {_table('Customer')} c{joins} WHERE c.{_column('Customer', 'id')} = ANY(%s)"


def _page_sql(kind: type[Row], ids: str) -> str:
    """The rows of the ids that statement `ids` returns, in its order."""
    columns, joins = _select_sql(kind)
    page = f"unnest(ARRAY({ids})) WITH ORDINALITY AS page(id, n)"
    return f"SELECT {columns} FROM {page} JOIN {_table('Customer')} c ON c.{_column('Customer', 'id')} = page.id{joins} ORDER BY page.n"


def _model(name: str):
    from guanxi.accounts.models import OrgUnit, Region, User

    from .models import Customer, Tag

    return {"Customer": Customer, "Tag": Tag, "User": User, "OrgUnit": OrgUnit, "Region": Region}[name]


def _column(model, field: str) -> str:
    model = _model(model) if isinstance(model, str) else model
    return connection.ops.quote_name(model._meta.get_field(field).column)


def _table(model) -> str:
    model = _model(model) if isinstance(model, str) else model
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _select_sql(kind: type[Row]) -> tuple[str, str]:
    """(kind's columns on customer c and its relations, their LEFT JOINs); the tag names come
    as an array."""
    Customer, Tag = _model("Customer"), _model("Tag")
    relations = {"owner": ("o", _model("User")), "unit": ("u", _model("OrgUnit")), "region": ("r", _model("Region"))}
    joined = {}
    selected = []
    for name in kind.COLUMNS:
        head, _sep, tail = name.partition("__")
        if tail:
            alias, model = joined[head] = relations[head]
            selected.append(f"{alias}.{_column(model, tail)}")
        else:
            selected.append(f"c.{_column(Customer, 'id' if name == 'pk' else name)}")
    if kind.TAGS:
        through = Customer.tags.through
        selected.append(
            f"ARRAY(SELECT t.{_column(Tag, 'name')} FROM {_table(through)} ct JOIN {_table(Tag)} t ON t.{_column(Tag, 'id')} = "
            f"ct.{_column(through, 'tag')} WHERE ct.{_column(through, 'customer')} = c.{_column(Customer, 'id')} ORDER BY t.{_column(Tag, 'name')})"
        )
    joins = "".join(
        f" LEFT JOIN {_table(model)} {alias} ON {alias}.{_column(model, 'id')} = c.{_column(Customer, field)}"
        for field, (alias, model) in joined.items()
    )
    return ", ".join(selected), joins


EMPTY = "—"
NO_TAGS = f'<span class="text-secondary">{EMPTY}</span>'


def _labels(choices) -> dict[str, str]:
    return {value: escape(str(label)) for value, label in choices.choices}


def _badge(css: str, label: str) -> str:
    return f'<span class="badge {css}">{label}</span>' if label else ""


def _status_badge(status: str, labels: dict[str, str]) -> str:
    return _badge(_STATUS_CSS.get(status, "bg-secondary-lt"), labels.get(status, escape(status)))


def _detail_url_parts() -> tuple[str, str]:
    head, tail = reverse("customers:detail", args=[_ID_PLACEHOLDER]).split(str(_ID_PLACEHOLDER))
    return head, tail


def render_rows(customers, *, selectable: bool) -> SafeString:
    """The <tr> elements of `customers` (ListRow, from PageRows)."""
    url_head, url_tail = _detail_url_parts()
    categories, kinds, statuses = _labels(Category), _labels(SpecialKind), _labels(Status)
    filing_labels = {state: escape(str(label)) for state, label in _FILING_LABELS.items()}
    t_key = escape(gettext("Key customer"))
    t_completeness = escape(gettext("Completeness"))
    t_select = escape(gettext("Select"))
    on = today()
    out: list[str] = []
    for c in customers:
        name = escape(c.name)
        cells = ["<tr>"]
        if selectable:
            cells.append(
                f'<td><input type="checkbox" name="ids" value="{c.pk}" class="form-check-input m-0 align-middle" '
                f'data-row-select aria-label="{t_select} {name}"></td>'
            )
        key = f'<i class="ti ti-star-filled text-yellow ms-1" title="{t_key}" aria-label="{t_key}"></i>' if c.is_key else ""
        code = f'<div class="small text-secondary">{escape(c.credit_code)}</div>' if c.credit_code else ""
        cells.append(f'<td><a href="{url_head}{c.pk}{url_tail}">{name}</a>{key}{code}</td>')
        kind = f'<div class="small text-secondary">{kinds.get(c.special_kind, escape(c.special_kind))}</div>' if c.special_kind else ""
        cells.append(f"<td>{categories.get(c.category, escape(c.category))}{kind}</td>")
        cells.append(f"<td>{_status_badge(c.status, statuses)}</td>")
        owner = escape(c.owner_display) if c.owner_id else EMPTY
        unit = escape(c.unit_name) if c.unit_id else ""
        cells.append(f'<td class="text-nowrap">{owner}<div class="small text-secondary">{unit}</div></td>')
        cells.append(f"<td>{escape(c.region_name) if c.region_id else EMPTY}</td>")
        tags = "".join(f'<span class="badge bg-blue-lt me-1">{escape(name)}</span>' for name in c.tag_names)
        cells.append(f"<td>{tags or NO_TAGS}</td>")
        state = filing_status(c, on)
        deadline = ""
        if c.filing_deadline and not c.filed_at:
            deadline = f'<div class="small text-secondary">{c.filing_deadline:%Y-%m-%d}</div>'
        filing = _badge(_FILING_CSS.get(state, "bg-secondary-lt"), filing_labels.get(state, ""))
        cells.append(f'<td class="text-nowrap">{filing}{deadline}</td>')
        pct = int(c.completeness or 0)
        cells.append(
            '<td style="min-width: 7rem"><div class="d-flex align-items-center gap-2">'
            f'<div class="progress progress-sm flex-fill" role="progressbar" aria-valuenow="{pct}" aria-valuemin="0" '
            f'aria-valuemax="100" aria-label="{t_completeness}"><div class="progress-bar {completeness_css(pct)}" '
            f'style="width: {pct}%"></div></div><span class="small">{pct}%</span></div></td>'
        )
        created = f"{timezone.localtime(c.created_at):%Y-%m-%d}" if c.created_at else ""
        cells.append(f'<td class="text-secondary text-nowrap">{created}</td></tr>')
        out.append("".join(cells))
    return mark_safe("\n".join(out))  # noqa: S308 (every value above is escaped)


def render_hits(customers, contacts: dict[int, tuple[str, str]] | None = None) -> SafeString:
    """The search hits of `customers` (HitRow, from rows_for_ids): the header box's drop-down
    and the search page list them with name, category, credit code, phone, owner and status,
    and the matching contact (name, masked mobile) of those in `contacts` (customer id →)."""
    url_head, url_tail = _detail_url_parts()
    categories, statuses = _labels(Category), _labels(Status)
    t_key = escape(gettext("Key customer"))
    contacts = contacts or {}
    out = ['<div class="list-group list-group-flush">']
    for c in customers:
        key = f' <i class="ti ti-star-filled text-yellow" aria-label="{t_key}"></i>' if c.is_key else ""
        details = categories.get(c.category, escape(c.category))
        for value in (c.credit_code, c.phone):
            if value:
                details += f" · {escape(value)}"
        if c.pk in contacts:
            name, mobile = contacts[c.pk]
            person = gettext("Contact: %(name)s") % {"name": name} + (f" · {mobile}" if mobile else "")
            details += f'<div><i class="ti ti-user me-1" aria-hidden="true"></i>{escape(person)}</div>'
        status = _status_badge(c.status, statuses)
        out.append(
            f'<a href="{url_head}{c.pk}{url_tail}" class="list-group-item list-group-item-action d-flex align-items-center">'
            f"<div><div><strong>{escape(c.name)}</strong>{key}</div>"
            f'<div class="small text-secondary">{details}</div></div>'
            f'<div class="ms-auto text-end small text-secondary">{escape(c.owner_display)}<div>{status}</div></div></a>'
        )
    out.append("</div>")
    return mark_safe("\n".join(out))  # noqa: S308 (every value above is escaped)
