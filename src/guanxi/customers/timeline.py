"""One timeline per customer (F-CUS-3): field changes and contacts here; later apps (visits,
complaints, orders, …) add their own sources.

A source is a function `source(customer, *, user=None, limit=50) -> iterable of TimelineItem`
registered with `register(source)` (usable as a decorator, typically from the app's
AppConfig.ready()). `timeline(customer, user=user)` merges all sources, newest first.

Sources must only return what anyone who may view the customer may see; personal contact
values (F-ORG-5) are never part of an item (field names only).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.history import entries

from .models import Contact, Customer

logger = logging.getLogger(__name__)


@dataclass
class TimelineItem:
    when: datetime.datetime
    kind: str  # e.g. "change", "contact", "visit", "complaint", "order"
    title: str
    body: str = ""
    url: str = ""
    actor: str = ""
    icon: str = ""  # a Tabler icon name ("ti-pencil"), optional


Source = Callable[..., Iterable[TimelineItem]]
SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Adds a source (once); returns it, so it can decorate the function."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def unregister(source: Source) -> None:
    if source in SOURCES:
        SOURCES.remove(source)


def timeline(customer: Customer, *, user=None, limit: int = 50, kinds: Iterable[str] | None = None) -> list[TimelineItem]:
    """Items of every registered source, newest first, at most `limit`. A failing source is
    logged and left out rather than breaking the customer page."""
    wanted = set(kinds) if kinds else None
    items: list[TimelineItem] = []
    for source in list(SOURCES):
        try:
            produced = list(source(customer, user=user, limit=limit))
        except Exception:  # a broken extension must not take the page down
            logger.exception("timeline source %r failed for customer %s", source, customer.pk)
            continue
        items += [i for i in produced if wanted is None or i.kind in wanted]
    items.sort(key=lambda i: _aware(i.when), reverse=True)
    return items[:limit]


def _aware(when) -> datetime.datetime:
    if isinstance(when, datetime.datetime):
        return when if timezone.is_aware(when) else timezone.make_aware(when)
    if isinstance(when, datetime.date):
        return timezone.make_aware(datetime.datetime.combine(when, datetime.time.max))
    return timezone.make_aware(datetime.datetime.min.replace(year=1970))


def _who(record) -> str:
    user = getattr(record, "history_user", None)
    return str(user) if user is not None else ""


def _value(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def field_changes(customer: Customer, *, user=None, limit: int = 50) -> list[TimelineItem]:
    """Creation and each change of the customer's fields (field history, F-CUS-7)."""
    out = []
    for entry in entries(customer, limit=limit):
        rec = entry.record
        if entry.kind == "created":
            title, body = _("Customer created"), ""
        elif entry.kind == "deleted":
            title, body = _("Customer deleted"), ""
        else:
            changes = [c for c in entry.changes if c.field not in ("version", "completeness", "missing_fields")]
            if not changes:
                continue
            title = _("Changed: %(fields)s") % {"fields": ", ".join(c.label for c in changes)}
            body = "\n".join(f"{c.label}: {_value(c.old)} → {_value(c.new)}" for c in changes)
        out.append(TimelineItem(rec.history_date, "change", title, body, actor=_who(rec), icon="ti-pencil"))
    return out


def contact_changes(customer: Customer, *, user=None, limit: int = 50) -> list[TimelineItem]:
    """Contacts added, changed and removed (names of the changed fields only)."""
    records = list(
        Contact.history.filter(customer_id=customer.pk).select_related("history_user").order_by("-history_date", "-history_id")[: limit * 2]
    )
    # The previous version of each contact, to name the fields a change touched.
    by_contact: dict[int, list] = {}
    for rec in reversed(records):
        by_contact.setdefault(rec.id, []).append(rec)
    out = []
    labels = {f.name: str(f.verbose_name) for f in Contact._meta.fields}
    skip = {"id", "customer"}
    for versions in by_contact.values():
        previous = None
        for rec in versions:
            if rec.history_type == "+":
                title, body = _("Contact added: %(name)s") % {"name": rec.name}, rec.title
            elif rec.history_type == "-":
                title, body = _("Contact removed: %(name)s") % {"name": rec.name}, ""
            else:
                fields = []
                if previous is not None:
                    fields = [labels.get(c.field, c.field) for c in rec.diff_against(previous).changes if c.field not in skip]
                if previous is not None and not fields:
                    previous = rec
                    continue
                title = _("Contact changed: %(name)s") % {"name": rec.name}
                body = ", ".join(fields)
            out.append(TimelineItem(rec.history_date, "contact", title, body, actor=_who(rec), icon="ti-address-book"))
            previous = rec
    return out


register(field_changes)
register(contact_changes)
