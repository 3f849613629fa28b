"""Customer information handbook 客户信息手册 (SPEC F-CUS-9, seed 004 13.2).

One document per customer, as PDF (Chinese fonts embedded by WeasyPrint) and as xlsx, built from
a registry of sections. The archive ships the basic information, the customer's departments
(business, communication and background information, seed 004 13.2.2), the contacts grouped by
department (personal fields masked for users without the right, F-ORG-5), the company staff in
contact, and a history summary. Later apps add their own sections (visits and care records,
complaints, orders…) from their AppConfig.ready():

    from guanxi.customers.handbook import Table, register_section

    def visits(customer, user):
        rows = [[v.date, v.subject] for v in Visit.objects.restrict(user, "view").filter(customer=customer)]
        return Table([_("Date"), _("Subject")], rows, empty=_("No visits recorded."))

    register_section("visits", _("Visit and care records"), visits, order=50, permission="visits.view_visit")

A section function gets (customer, user) and returns a block (Fields, Table, Text), a list of
blocks, a dict ({"fields": [(label, value)…]}, {"columns": […], "rows": […]}, {"text": …}, each
with an optional "heading"; or {"blocks": […]}), a list of (label, value) pairs, or None when it
has nothing to show. Values stay typed (dates, Decimal, bool) until a renderer formats them.
The function must apply the data scope itself (restrict(user, "view")) for anything beyond the
customer record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from guanxi.core import audit

from .models import Contact, Customer, CustomerDepartment, CustomerFile, CustomerMember, CustomFieldDef, FieldType
from .privacy import FIELD_KINDS, can_see_personal, mask, personal_fields

EXPORT_PERMISSION = "customers.export_customer"
FORMATS = ("pdf", "xlsx")
HISTORY_ROWS = 30
WIDE_TABLE_COLUMNS = 6
HISTORY_SKIP_FIELDS = {"version", "completeness", "missing_fields"}


# --- blocks ------------------------------------------------------------------------------------


@dataclass
class Fields:
    """Label → value pairs (a two-column table)."""

    rows: list[tuple[Any, Any]]
    heading: Any = ""
    kind = "fields"


@dataclass
class Table:
    """A table with a header row; `empty` is shown when there are no rows."""

    columns: list[Any]
    rows: list[list[Any]]
    heading: Any = ""
    empty: Any = ""
    kind = "table"


@dataclass
class Text:
    text: Any
    heading: Any = ""
    kind = "text"


Block = Fields | Table | Text
SectionFn = Callable[[Customer, Any], Any]


@dataclass
class Section:
    key: str
    title: Any
    fn: SectionFn
    order: int = 100
    permission: str | None = None


@dataclass
class RenderedSection:
    key: str
    title: str
    blocks: list[Block]

    @property
    def is_empty(self) -> bool:
        return not self.blocks


@dataclass
class Handbook:
    customer: Customer
    user: Any
    company: str
    generated_at: dt.datetime
    personal_visible: bool
    sections: list[RenderedSection] = field(default_factory=list)


_SECTIONS: dict[str, Section] = {}


def register_section(key: str, title, fn: SectionFn | None = None, order: int = 100, *, permission: str | None = None):
    """Adds (or replaces) the section `key`. Sections are shown by `order`; a section with a
    `permission` appears only for users holding it. Usable as a decorator when `fn` is omitted."""

    def _register(func: SectionFn) -> SectionFn:
        _SECTIONS[key] = Section(key=key, title=title, fn=func, order=order, permission=permission)
        return func

    if fn is None:
        return _register
    _register(fn)
    return fn


def unregister_section(key: str) -> None:
    _SECTIONS.pop(key, None)


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def _normalise(result) -> list[Block]:
    """Whatever a section function returned, as a list of blocks."""
    if result is None:
        return []
    if isinstance(result, Fields | Table | Text):
        return [result]
    if isinstance(result, dict):
        heading = result.get("heading", "")
        if "blocks" in result:
            return [b for item in result["blocks"] for b in _normalise(item)]
        if "columns" in result:
            return [Table(list(result["columns"]), [list(r) for r in result.get("rows", [])], heading, result.get("empty", ""))]
        if "fields" in result:
            fields = result["fields"]
            rows = list(fields.items()) if isinstance(fields, dict) else [tuple(r) for r in fields]
            return [Fields(rows, heading)]
        if "text" in result:
            return [Text(result["text"], heading)]
        return [Fields(list(result.items()), heading)]
    if isinstance(result, list | tuple):
        items = list(result)
        if not items:
            return []
        if all(isinstance(i, Fields | Table | Text | dict) for i in items):
            return [b for item in items for b in _normalise(item)]
        return [Fields([tuple(i) for i in items])]
    return [Text(result)]


# --- values ------------------------------------------------------------------------------------


def display(value) -> str:
    """A value as text for the PDF (and for comparisons in tests)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple | set):
        return "、".join(display(v) for v in value if v not in (None, ""))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _truncate(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- shipped sections ------------------------------------------------------------------------------


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()


def _value(obj, name: str):
    f = obj._meta.get_field(name)
    if f.choices:
        return getattr(obj, f"get_{name}_display")() if getattr(obj, name) else ""
    return getattr(obj, name)


BASIC_FIELDS = (
    "name",
    "short_name",
    "credit_code",
    "category",
    "special_kind",
    "industry",
    "scale",
    "nature",
    "supervising_unit",
    "region",
    "address",
    "phone",
    "fax",
    "email",
    "website",
    "legal_representative",
    "registered_capital",
    "business_scope",
    "source",
    "status",
    "is_key",
)

FILING_FIELDS = ("first_contact_date", "filing_deadline", "filed_at", "change_report_deadline", "completeness")


def basic_section(customer: Customer, user) -> list[Block]:
    rows = [(_label(Customer, n), _value(customer, n)) for n in BASIC_FIELDS if n != "special_kind" or customer.special_kind]
    rows.append((_label(Customer, "tags"), [t.name for t in customer.tags.all()]))
    blocks: list[Block] = [Fields(rows)]
    blocks.append(Fields([(_label(Customer, n), _value(customer, n)) for n in FILING_FIELDS], heading=_("Filing and completeness")))
    custom = _custom_fields(customer)
    if custom:
        blocks.append(Fields(custom, heading=_("Custom fields")))
    return blocks


def _custom_fields(customer: Customer) -> list[tuple[Any, Any]]:
    data = customer.custom_data or {}
    defs = list(CustomFieldDef.objects.filter(category=customer.category))
    files: dict[str, list[str]] = {}
    if any(d.field_type == FieldType.FILE for d in defs):
        for f in CustomerFile.objects.filter(customer=customer).exclude(field_key=""):
            files.setdefault(f.field_key, []).append(str(f))
    rows = []
    for d in defs:
        if d.field_type == FieldType.FILE:
            value = files.get(d.key, [])
        else:
            value = data.get(d.key)
            if d.field_type == FieldType.MONEY and value not in (None, ""):
                with contextlib.suppress(ArithmeticError):
                    value = Decimal(str(value))
        rows.append((d.label, value))
    known = {d.key for d in defs}
    rows.extend((key, value) for key, value in data.items() if key not in known)
    return rows


def departments_section(customer: Customer, user) -> list[Block]:
    blocks: list[Block] = []
    departments = CustomerDepartment.objects.filter(customer=customer).order_by("name", "pk")
    counts = dict(
        Contact.objects.filter(customer=customer, erased_at__isnull=True, department__isnull=False)
        .values("department_id")
        .annotate(n=Count("pk"))
        .values_list("department_id", "n")
    )
    for dep in departments:
        blocks.append(
            Fields(
                [
                    (_label(CustomerDepartment, "business_info"), dep.business_info),
                    (_label(CustomerDepartment, "communication_info"), dep.communication_info),
                    (_label(CustomerDepartment, "background_info"), dep.background_info),
                    (_("Contacts"), counts.get(dep.pk, 0)),
                ],
                heading=dep.name,
            )
        )
    if not blocks:
        blocks.append(Text(_("No departments recorded.")))
    return blocks


CONTACT_COLUMNS = ("name", "title", "decision_role", "phone", "mobile", "email", "birthday", "hobbies", "needs")


def contacts_section(customer: Customer, user) -> list[Block]:
    visible = can_see_personal(user)
    personal = personal_fields()
    contacts = list(
        Contact.objects.filter(customer=customer, erased_at__isnull=True)
        .select_related("department")
        .order_by("department__name", "department_id", "-is_primary", "name", "pk")
    )
    columns = [_label(Contact, n) for n in CONTACT_COLUMNS]
    groups: dict[Any, list[Contact]] = {}
    for c in contacts:
        groups.setdefault(c.department, []).append(c)
    # Contacts without a department come last.
    ordered = [d for d in groups if d is not None] + ([None] if None in groups else [])
    blocks: list[Block] = []
    for dep in ordered:
        rows = []
        for c in groups[dep]:
            row = []
            for n in CONTACT_COLUMNS:
                value = _value(c, n)
                if n in personal and not visible:
                    value = mask(value, FIELD_KINDS[n])
                if n == "name" and c.is_primary:
                    value = f"{value} ({_t('primary contact')})"
                row.append(value)
            rows.append(row)
        blocks.append(Table(columns, rows, heading=dep.name if dep is not None else _("No department")))
    if not blocks:
        blocks.append(Text(_("No contacts recorded.")))
    return blocks


def team_section(customer: Customer, user) -> list[Block]:
    fields = [
        (_label(Customer, "owner"), customer.owner),
        (_label(Customer, "unit"), customer.unit),
        (_label(Customer, "created_by"), customer.created_by),
    ]
    members = CustomerMember.objects.current().filter(customer=customer).select_related("user").order_by("user__full_name", "pk")
    rows = [[m.user, m.get_access_display(), m.until] for m in members]
    table = Table(
        [_label(CustomerMember, "user"), _label(CustomerMember, "access"), _label(CustomerMember, "until")],
        rows,
        heading=_("Team members"),
        empty=_("No team members."),
    )
    return [Fields(fields), table]


def _history_value(model, name: str, value, cache: dict):
    if value in (None, ""):
        return ""
    try:
        f = model._meta.get_field(name)
    except Exception:
        return _truncate(display(value))
    if f.is_relation and f.related_model is not None:
        key = (f.related_model, value)
        if key not in cache:
            obj = f.related_model._default_manager.filter(pk=value).first()
            cache[key] = str(obj) if obj is not None else f"#{value}"
        return cache[key]
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    return _truncate(display(value))


def history_section(customer: Customer, user) -> list[Block]:
    from guanxi.core.history import entries

    contact_history = Contact.history.filter(customer_id=customer.pk)
    counts = [
        (_("Changes to the customer record"), customer.history.count()),
        (_("Changes to contacts"), contact_history.count()),
        (_("Changes to departments"), CustomerDepartment.history.filter(customer_id=customer.pk).count()),
        (_label(Customer, "created_at"), customer.created_at),
        (_("Last changed"), customer.history.order_by("-history_date").values_list("history_date", flat=True).first()),
    ]
    rows = []
    cache: dict = {}
    for entry in entries(customer, limit=HISTORY_ROWS):
        rec = entry.record
        who = str(rec.history_user) if rec.history_user_id else (rec.history_source or "")
        if entry.kind != "changed":
            kind = _t("Record created") if entry.kind == "created" else _t("Record deleted")
            rows.append([rec.history_date, who, kind, "", ""])
            continue
        for change in entry.changes:
            if change.field in HISTORY_SKIP_FIELDS:
                continue
            rows.append(
                [
                    rec.history_date,
                    who,
                    capfirst(str(change.label)),
                    _history_value(Customer, change.field, change.old, cache),
                    _history_value(Customer, change.field, change.new, cache),
                ]
            )
        if len(rows) >= HISTORY_ROWS:
            break
    table = Table(
        [_("When"), _("Who"), _("Field"), _("Before"), _("After")],
        rows[:HISTORY_ROWS],
        heading=_("Recent changes"),
        empty=_("No changes recorded."),
    )
    return [Fields(counts), table]


register_section("basic", _("Basic information"), basic_section, order=10)
register_section("departments", _("Customer departments"), departments_section, order=20)
register_section("contacts", _("Contacts by department"), contacts_section, order=30)
register_section("team", _("Owner and team members"), team_section, order=40)
register_section("history", _("History summary"), history_section, order=90)


# --- building and rendering ------------------------------------------------------------------


def _company_name(customer: Customer) -> str:
    from guanxi.accounts.models import OrgUnit, UnitKind

    unit = customer.unit
    ids = [*unit.ancestors_ids(), unit.pk]
    company = OrgUnit.objects.filter(pk__in=ids, kind=UnitKind.COMPANY).order_by("-depth").first()
    if company is None:
        company = OrgUnit.objects.filter(pk__in=ids).order_by("depth").first()
    return str(company or unit)


def build(customer: Customer, user) -> Handbook:
    """Every section the user may see, in order, as blocks."""
    hb = Handbook(
        customer=customer,
        user=user,
        company=_company_name(customer),
        generated_at=timezone.localtime(),
        personal_visible=can_see_personal(user),
    )
    for section in sections():
        if section.permission and not user.has_perm(section.permission):
            continue
        blocks = _normalise(section.fn(customer, user))
        hb.sections.append(RenderedSection(section.key, str(section.title), blocks))
    return hb


@dataclass
class _HtmlBlock:
    kind: str
    heading: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    text: str = ""
    empty: str = ""


def _html_block(block: Block) -> _HtmlBlock:
    heading = display(block.heading)
    if isinstance(block, Fields):
        return _HtmlBlock("fields", heading, rows=[[display(label), display(value)] for label, value in block.rows])
    if isinstance(block, Table):
        return _HtmlBlock(
            "table",
            heading,
            columns=[display(c) for c in block.columns],
            rows=[[display(v) for v in row] for row in block.rows],
            empty=display(block.empty) or _t("Nothing recorded."),
        )
    return _HtmlBlock("text", heading, text=display(block.text))


def render_html(hb: Handbook) -> str:
    sections = [
        {
            "key": s.key,
            "title": s.title,
            "blocks": [_html_block(b) for b in s.blocks],
            # Tables of many columns get a landscape page.
            "wide": any(isinstance(b, Table) and len(b.columns) > WIDE_TABLE_COLUMNS for b in s.blocks),
        }
        for s in hb.sections
    ]
    return render_to_string("customers/handbook/handbook.html", {"handbook": hb, "customer": hb.customer, "sections": sections})


def handbook_pdf(customer: Customer, user, hb: Handbook | None = None) -> bytes:
    from weasyprint import HTML  # imported here: loading it costs about a second

    hb = hb or build(customer, user)
    return HTML(string=render_html(hb)).write_pdf()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_value(value):
    """A value for an xlsx cell: numbers and dates stay typed; text never starts a formula."""
    if value is None:
        return None
    if isinstance(value, bool):
        return display(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    text = _ILLEGAL.sub("", display(value))
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def handbook_xlsx(customer: Customer, user, hb: Handbook | None = None) -> bytes:
    """One sheet per section: a title row, then each block (a heading row, then a label/value
    table or a table with its header row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    hb = hb or build(customer, user)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)
    header_fill = PatternFill("solid", fgColor="E8EEF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    used: set[str] = set()
    generated = hb.generated_at.strftime("%Y-%m-%d %H:%M")
    for section in hb.sections:
        ws = wb.create_sheet(_sheet_title(section.title, used))
        ws.append([cell_value(section.title)])
        ws.cell(row=1, column=1).font = title_font
        ws.append(
            [cell_value(f"{_t('Customer information handbook')} · {customer.name}"), None, cell_value(f"{_t('Generated')} {generated}")]
        )
        width = 2
        for block in section.blocks:
            ws.append([])
            if block.heading:
                ws.append([cell_value(block.heading)])
                ws.cell(row=ws.max_row, column=1).font = bold
            if isinstance(block, Fields):
                for label, value in block.rows:
                    ws.append([cell_value(label), cell_value(value)])
                    ws.cell(row=ws.max_row, column=1).font = bold
                    ws.cell(row=ws.max_row, column=2).alignment = wrap
            elif isinstance(block, Table):
                ws.append([cell_value(c) for c in block.columns])
                for cell in ws[ws.max_row]:
                    cell.font = bold
                    cell.fill = header_fill
                for row in block.rows:
                    ws.append([cell_value(v) for v in row])
                    for cell in ws[ws.max_row]:
                        cell.alignment = wrap
                if not block.rows:
                    ws.append([cell_value(block.empty or _t("Nothing recorded."))])
                width = max(width, len(block.columns))
            else:
                ws.append([cell_value(block.text)])
                ws.cell(row=ws.max_row, column=1).alignment = wrap
        for i in range(1, width + 1):
            letter = ws.cell(row=1, column=i).column_letter
            ws.column_dimensions[letter].width = 22 if width > 2 else (20 if i == 1 else 60)
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    if not wb.sheetnames:
        wb.create_sheet(_sheet_title(_t("Customer information handbook"), used))
    wb.properties.title = f"客户信息手册 {customer.name}"[:255]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download(customer: Customer, user, fmt: str) -> bytes:
    """The handbook in `fmt` (pdf | xlsx) for `user`, audited as handbook.downloaded. The caller
    has checked the export permission and the data scope."""
    if fmt not in FORMATS:
        from guanxi.core.errors import DomainError

        raise DomainError(_("Unknown handbook format."), field="format")
    hb = build(customer, user)
    content = handbook_pdf(customer, user, hb) if fmt == "pdf" else handbook_xlsx(customer, user, hb)
    audit.record(
        "handbook.downloaded",
        subject=customer,
        actor=user,
        data={
            "format": fmt,
            "sections": [s.key for s in hb.sections],
            "personal_data": hb.personal_visible,
            "bytes": len(content),
        },
    )
    return content


def customers_for(user):
    """Customers the user may export a handbook of: within both the view and the export scope."""
    return Customer.objects.restrict(user, "view").restrict(user, "export")
