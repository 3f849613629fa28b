"""Template helpers of the customer pages: `{% load customers %}`.

- `{% template_exists "customers/filing/_panel.html" as has_panel %}`: include a fragment another
  feature ships only once it exists.
- `{% personal contact "mobile" %}`: a personal field through the privacy rules (F-ORG-5); until
  customers.privacy exists every personal value is masked.
- `{{ customer|filing_state }}` → "filed" | "due" | "late" | "" and `filing_badge`.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

register = template.Library()

EMPTY = "—"


@register.simple_tag
def template_exists(name: str) -> bool:
    try:
        get_template(name)
    except template.TemplateDoesNotExist:
        return False
    return True


@register.simple_tag
def url_if(name: str, *args) -> str:
    """{% url %} that gives "" when the page is not (yet) built."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- personal data -----------------------------------------------------------------------------


def mask_all(value) -> str:
    """Masks any personal value when no privacy rule is available: 138****5678 for numbers,
    the first character for text, nothing of dates."""
    if value in (None, ""):
        return EMPTY
    if isinstance(value, dt.date):
        return "****-**-**"
    text = str(value)
    if len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    return (text[:1] + "***") if text else EMPTY


@register.simple_tag(takes_context=True)
def personal(context, contact, field: str):
    """A personal field of a contact: helper D's `personal_field` (masked for everybody, with an
    audited reveal button for users holding the right), else masked whatever the rights."""
    value = getattr(contact, field, None)
    if value in (None, ""):
        return EMPTY
    try:
        from guanxi.customers.templatetags.privacy import personal_field
    except ImportError:
        return mask_all(value)
    return personal_field(context, contact, field)


# --- filing and status -------------------------------------------------------------------------


_FILING_CSS = {
    "filed": "bg-green-lt",
    "due": "bg-yellow-lt",
    "late": "bg-red-lt",
    "change_due": "bg-yellow-lt",
    "change_late": "bg-red-lt",
}
_FILING_LABELS = {
    "filed": gettext_lazy("Filed"),
    "due": gettext_lazy("Filing due"),
    "late": gettext_lazy("Filing late"),
    "change_due": gettext_lazy("Change report due"),
    "change_late": gettext_lazy("Change report late"),
}


@register.filter
def filing_state(customer) -> str:
    """filed | due | late | change_due | change_late (customers.filing's rule when present)."""
    try:
        from guanxi.customers.filing import filing_status
    except ImportError:
        filing_status = None
    if filing_status is not None:
        return filing_status(customer)
    if customer.filed_at:
        return "filed"
    if customer.filing_deadline and customer.filing_deadline < timezone.localdate():
        return "late"
    return "due"


def _badge(css: str, label) -> str:
    # Built in Python, not an included template: a list page shows two badges per row.
    return format_html('<span class="badge {}">{}</span>', css, label) if label else ""


@register.simple_tag
def filing_badge(customer):
    state = filing_state(customer)
    return _badge(_FILING_CSS.get(state, "bg-secondary-lt"), _FILING_LABELS.get(state, ""))


_STATUS_CSS = {"potential": "bg-azure-lt", "active": "bg-green-lt", "lost": "bg-secondary-lt", "blacklisted": "bg-dark text-white"}


@register.simple_tag
def status_badge(customer):
    return _badge(_STATUS_CSS.get(customer.status, "bg-secondary-lt"), customer.get_status_display())


@register.filter
def completeness_css(value) -> str:
    try:
        value = int(value)
    except (TypeError, ValueError):
        return "bg-secondary"
    if value >= 80:
        return "bg-green"
    if value >= 50:
        return "bg-yellow"
    return "bg-red"


@register.simple_tag(takes_context=True)
def query_with(context, **params) -> str:
    """The current query string with `params` replaced (None/"" removes a key)."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else {}
    for key, value in params.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def is_image(name) -> bool:
    return str(name or "").lower().rsplit(".", 1)[-1] in {"jpg", "jpeg", "png", "gif", "webp", "bmp"}


@register.simple_tag
def customer_rows(customers, selectable=False):
    """The customer list's table rows (built in Python: see customers.list_rows)."""
    from guanxi.customers.list_rows import render_rows

    return render_rows(customers, selectable=bool(selectable))
