"""Template helpers of the page shell and the generic object templates: `{% load guanxi %}`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms, template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import QueryDict
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()

EMPTY = "—"


# --- fields and values -----------------------------------------------------------------------


def _opts(obj):
    if isinstance(obj, models.options.Options):
        return obj
    return getattr(obj, "_meta", None)


@register.filter
def field_label(obj, name: str) -> str:
    """Verbose name of a field (`{{ model_opts|field_label:"date" }}` or of an instance);
    a related path "unit__name" gives the last field's name."""
    opts = _opts(obj)
    parts = name.split("__")
    last = parts[-1]
    if opts is not None:
        try:
            for part in parts[:-1]:
                opts = opts.get_field(part).related_model._meta
            return capfirst(str(opts.get_field(last).verbose_name))
        except (FieldDoesNotExist, AttributeError):
            pass
        prop = getattr(opts.model, last, None)
        label = getattr(prop, "short_description", None) or getattr(getattr(prop, "fget", None), "short_description", None)
        if label:
            return capfirst(str(label))
    return capfirst(last.replace("_", " "))


@register.filter
def verbose_name(obj, plural: bool = False) -> str:
    """The model's verbose name (`{{ object|verbose_name }}`, `{{ model_opts|verbose_name:True }}`)."""
    opts = _opts(obj)
    if opts is None:
        return ""
    return capfirst(str(opts.verbose_name_plural if plural else opts.verbose_name))


@register.filter
def attr(obj, name: str):
    """obj.name, following "a__b" paths; a choice field gives its display value."""
    for part in name.split("__"):
        if obj is None:
            return None
        display = getattr(obj, f"get_{part}_display", None)
        obj = display() if callable(display) else getattr(obj, part, None)
        if callable(obj) and not isinstance(obj, models.Manager):
            obj = obj()
    return obj


def display(value):
    """A value as a person reads it (HTML-safe)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        if value:
            return format_html(
                '<i class="ti ti-check text-success" aria-hidden="true"></i><span class="visually-hidden">{}</span>', _("Yes")
            )
        return format_html('<i class="ti ti-minus text-secondary" aria-hidden="true"></i><span class="visually-hidden">{}</span>', _("No"))
    if isinstance(value, dt.datetime):
        return formats.localize(timezone.localtime(value) if timezone.is_aware(value) else value)
    if isinstance(value, Decimal):  # an amount: grouped by thousands
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if isinstance(value, dt.date | float | int):
        return formats.localize(value, use_l10n=True)
    if isinstance(value, models.Manager):
        return ", ".join(str(v) for v in value.all()[:20]) or EMPTY
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value) or EMPTY
    return str(value)


@register.filter(name="display")
def display_filter(value):
    return display(value)


@register.simple_tag
def cell(obj, name: str):
    return display(attr(obj, name))


@register.simple_tag
def detail_fields(obj, names=None) -> list[tuple[str, object]]:
    """(label, display value) for the fields a detail page shows: `names` if given, else every
    editable concrete field (never passwords or hashes)."""
    opts = obj._meta
    if not names:
        names = [
            f.name
            for f in opts.concrete_fields
            if f.editable and not f.primary_key and f.name not in {"password"} and not f.name.endswith("_hash")
        ]
    return [(field_label(opts, n), display(attr(obj, n))) for n in names]


# --- lists -----------------------------------------------------------------------------------


# Paging parameters a new sort starts over from (numbered pages and keyset pages).
PAGING = ("page", "after", "before", "start")


@register.simple_tag(takes_context=True)
def sort_header(context, name: str, label=None):
    """A column header (`label`, by default the field's name); a link that sorts by it when the
    view declares it sortable: ascending first, then the other way round, the current direction
    marked (aria-sort). The filters stay; paging starts over."""
    opts = context.get("model_opts")
    if label is None:
        label = field_label(opts, name) if opts is not None else capfirst(name)
    if name not in getattr(context.get("view"), "sortable", ()):
        return conditional_escape(label)
    current = context.get("sort") or ""
    direction = "asc" if current == name else "desc" if current == f"-{name}" else ""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query["sort"] = f"-{name}" if direction == "asc" else name
    for key in PAGING:
        query.pop(key, None)
    css = f"table-sort {direction}" if direction else "table-sort"
    aria = {"asc": ' aria-sort="ascending"', "desc": ' aria-sort="descending"'}.get(direction, "")
    return format_html('<a href="?{}" class="{}"{}>{}</a>', query.urlencode(), css, mark_safe(aria), label)  # noqa: S308 (a constant)


@register.simple_tag(takes_context=True)
def page_url(context, page: int) -> str:
    """?<current filters and sort>&page=N (the list view passes `querystring` without page)."""
    qs = context.get("querystring") or ""
    return f"?{qs}&page={page}" if qs else f"?page={page}"


@register.simple_tag
def page_range(page_obj):
    """Page numbers around the current page, with ellipses (… == paginator.ELLIPSIS)."""
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1))


@register.simple_tag(takes_context=True)
def view_url(context, kind: str, obj=None) -> str:
    """URL of a related page a view may declare: `add_url`, `edit_url`, `delete_url` in the
    context, or `<kind>_url_name` on the view (reversed with obj.pk when given), but only if
    the user holds the matching permission. Empty when there is none."""
    explicit = context.get(f"{kind}_url")
    if explicit:
        return explicit
    view = context.get("view")
    url_name = getattr(view, f"{kind}_url_name", None)
    if not url_name:
        return ""
    model = getattr(view, "model", None)
    request = context.get("request")
    if model is not None and request is not None:
        from guanxi.core.querysets import permission_code

        if not request.user.has_perm(permission_code(model, {"edit": "change"}.get(kind, kind))):
            return ""
    try:
        return reverse(url_name, args=[obj.pk] if obj is not None else [])
    except NoReverseMatch:
        return ""


@register.simple_tag
def url_or_empty(name: str, *args) -> str:
    """{% url %} that yields "" instead of failing when the page does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def nav_menu(context) -> str:
    """The sidebar's entries for the signed-in user (core.navigation.menu_html)."""
    from guanxi.core.navigation import menu_html

    return menu_html(context["request"])


# --- history ---------------------------------------------------------------------------------


@register.simple_tag
def history_entries(obj, limit: int = 20):
    if obj is None or not hasattr(obj, "history"):
        return []
    from guanxi.core.history import entries

    try:
        return entries(obj, limit=limit)
    except Exception:
        return []


@register.simple_tag(takes_context=True)
def audit_events_url(context, obj) -> str:
    """Link to the audit log filtered to this object, for users who may read the log."""
    request = context.get("request")
    if obj is None or request is None or not request.user.has_perm("core.view_auditevent"):
        return ""
    from django.contrib.contenttypes.models import ContentType
    from django.utils.http import urlencode

    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return reverse("audit:list") + "?" + urlencode({"subject_type": ct.pk, "subject_id": obj.pk})


# --- forms -----------------------------------------------------------------------------------


def _widget_kind(widget) -> str:
    if isinstance(widget, forms.HiddenInput | forms.MultipleHiddenInput):
        return "hidden"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "choices"
    if isinstance(widget, forms.Select | forms.SelectMultiple | forms.NullBooleanSelect):
        return "select"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    return "input"


def _field_html(field, kind: str, widget) -> str:
    """A field's wrapper (label, widget, errors, help) around its rendered widget, built in
    Python: forms with many fields (the customer list's filters) spent more on a wrapper
    template than on the widgets. Radio and checkbox lists use core/_field.html."""
    label = conditional_escape(field.label)
    required = " required" if field.field.required else ""
    help_html = f'<div class="form-hint" id="{field.auto_id}_help">{field.help_text}</div>' if field.help_text else ""
    if kind == "checkbox":
        errors = "".join(f'<div class="invalid-feedback d-block">{conditional_escape(e)}</div>' for e in field.errors)
        invalid = " is-invalid" if field.errors else ""
        return (
            f'\n<div class="mb-3">\n  <label class="form-check{invalid}">\n    {widget}\n'
            f'    <span class="form-check-label{required}">{label}</span>\n  </label>\n  {help_html}\n  {errors}\n</div>\n'
        )
    errors = "".join(f'<div class="invalid-feedback">{conditional_escape(e)}</div>' for e in field.errors)
    return (
        f'\n<div class="mb-3">\n  <label class="form-label{required}" for="{field.id_for_label}">{label}</label>\n'
        f"  {widget}\n  {errors}\n  {help_html}\n</div>\n"
    )


@register.simple_tag
def bs_field(field, **attrs):
    """A form field in Bootstrap 5 markup: label, widget with the right classes (is-invalid on
    error), help text and the field's errors. Extra keyword arguments become widget attributes."""
    widget = field.field.widget
    kind = _widget_kind(widget)
    css = {"checkbox": "form-check-input", "choices": "form-check-input", "select": "form-select", "hidden": ""}.get(kind, "form-control")
    existing = widget.attrs.get("class", "")
    classes = " ".join(c for c in (existing, css, "is-invalid" if field.errors else "") if c)
    widget_attrs = {**({"class": classes} if classes else {}), **attrs}
    if field.errors:
        widget_attrs["aria-invalid"] = "true"
    if field.help_text:
        widget_attrs["aria-describedby"] = f"{field.auto_id}_help"
    if kind == "choices":
        return get_template("core/_field.html").render({"field": field, "options": list(field.subwidgets)})
    rendered = field.as_widget(attrs=widget_attrs)
    if kind == "hidden":
        return rendered + "\n"
    return mark_safe(_field_html(field, kind, rendered))  # noqa: S308 (label and errors escaped; help text is trusted markup, as in the template)


@register.filter
def message_class(tags: str) -> str:
    """Django message level → Tabler alert colour."""
    for tag, css in (("error", "danger"), ("warning", "warning"), ("success", "success"), ("info", "info"), ("debug", "secondary")):
        if tag in (tags or ""):
            return css
    return "info"


@register.filter
def message_icon(tags: str) -> str:
    for tag, icon in (("error", "ti-alert-circle"), ("warning", "ti-alert-triangle"), ("success", "ti-check"), ("info", "ti-info-circle")):
        if tag in (tags or ""):
            return icon
    return "ti-info-circle"
