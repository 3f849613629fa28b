"""Merging two customer records (F-CUS-6): one is kept, the other is folded into it.

`merge_customers(actor=, keep=, remove=, field_choices=)`:
- needs the permission `customers.merge_customer` and both records in the actor's scope for
  "change" (otherwise NotAllowed / "not found");
- locks both rows (in id order, so two merges cannot deadlock) and works in one transaction;
- moves every record linked to the removed customer onto the kept one — contacts, departments,
  team members, files, tags and whatever later apps link to Customer — found generically
  through the model's reverse relations. A linked row that would break a unique constraint on
  the kept customer (the same team member on both) stays on the removed record and is counted;
- copies the fields chosen from the removed record (`field_choices`: field → "remove"); fills
  custom fields the kept record lacks; keeps the earlier first-contact date and a filing;
- marks the removed record `merged_into` the kept one (it leaves every list through
  `Customer.objects.live()`), keeps both records and both field histories, resolves the open
  archive findings about the removed record, and audits `customer.merged` with the counts.
"""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import DomainError, NotAllowed

from .models import STATIC_FIELDS

PERMISSION = "customers.merge_customer"

# Fields a user may take from the removed record, in the order the merge page shows them.
MERGE_FIELDS = (
    *STATIC_FIELDS,
    "owner",
    "unit",
)
KEEP, REMOVE = "keep", "remove"


def _is_historical(model) -> bool:
    return hasattr(model, "history_type") and hasattr(model, "instance_type")


def _skipped(model) -> bool:
    """Relations that must not move: field-history tables, and the archive findings (they stay
    about the records they were found on)."""
    from .models import DuplicateFinding

    auto = getattr(model._meta, "auto_created", None)
    return _is_historical(model) or model is DuplicateFinding or auto is DuplicateFinding


def linked_relations():
    """Reverse foreign keys to Customer (including the hidden ones of many-to-many tables, e.g.
    tags), except field history and findings: everything that belongs to a customer."""
    from .models import Customer

    out = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        if rel.many_to_many or not isinstance(rel.field, models.ForeignKey):
            continue  # many-to-many: moved through its own table's foreign keys
        if _skipped(rel.related_model):
            continue
        out.append(rel)
    return out


def _unique_sets(model, fname: str) -> list[tuple[list[str], Q | None]]:
    """(other fields, condition) of each unique rule that includes `fname`: unique_together,
    unique constraints (conditional ones too, e.g. "one open task per customer"), unique=True."""
    sets: list[tuple[list[str], Q | None]] = [(list(s), None) for s in model._meta.unique_together]
    for c in model._meta.constraints:
        if isinstance(c, models.UniqueConstraint) and c.fields and not c.expressions:
            sets.append((list(c.fields), c.condition))
    if model._meta.get_field(fname).unique:
        sets.append(([fname], None))
    return [([f for f in fields if f != fname], cond) for fields, cond in sets if fname in fields]


def _has_history(model) -> bool:
    return bool(getattr(model._meta, "simple_history_manager_attribute", None))


def _move(rel, keep, remove) -> tuple[int, int]:
    """Moves the rows of one relation from `remove` to `keep`: (moved, left on removed)."""
    model = rel.related_model
    fname = rel.field.name
    attname = rel.field.attname
    rows = model._base_manager.filter(**{fname: remove})
    left = 0
    for others, condition in _unique_sets(model, fname):
        clash = model._base_manager.filter(**{fname: keep})
        candidates = rows
        if condition is not None:
            clash, candidates = clash.filter(condition), rows.filter(condition)
        for other in others:
            other_att = model._meta.get_field(other).attname
            clash = clash.filter(**{other_att: OuterRef(other_att)})
        blocked = candidates.filter(Exists(clash))
        left += blocked.count()
        rows = rows.exclude(pk__in=blocked.values("pk"))
    if _has_history(model):
        objs = list(rows.order_by("pk"))
        for obj in objs:
            setattr(obj, attname, keep.pk)
            obj.save(update_fields=[fname])
        moved = len(objs)
    else:
        moved = rows.update(**{attname: keep.pk})
    return moved, left


def _relation_label(rel) -> str:
    model = rel.related_model
    auto = getattr(model._meta, "auto_created", None)
    if auto:  # a many-to-many table: name it by the field, e.g. "customers.customer.tags"
        for f in auto._meta.many_to_many:
            if f.remote_field.through is model:
                return f"{auto._meta.label_lower}.{f.name}"
    if rel.field.name != "customer":
        return f"{model._meta.label_lower}.{rel.field.name}"
    return model._meta.label_lower


def _refresh_keys(customer) -> None:
    try:
        from .services import refresh_keys
    except ImportError:  # the records service not there yet: same keys from normalize
        from . import normalize

        customer.name_key = normalize.name_key(customer.name)
        customer.trade_key = normalize.trade_key(customer.name)
        customer.pinyin, customer.initials = normalize.pinyin_keys(customer.name)
        customer.phone_key = normalize.phone_key(customer.phone)
    else:
        refresh_keys(customer)


def _after_save(customer) -> None:
    try:
        from . import completeness
    except ImportError:  # the completeness feature is optional here
        return
    refresh = getattr(completeness, "refresh", None)
    if refresh is not None:
        refresh(customer)


def _apply_fields(keep, remove, field_choices: dict | None) -> list[str]:
    taken = []
    for name, side in (field_choices or {}).items():
        if side not in (KEEP, REMOVE):
            raise DomainError(_("Choose “keep” or “remove” for each field."), field=name)
        if name not in MERGE_FIELDS:
            raise DomainError(_("The field “%(field)s” cannot be chosen in a merge.") % {"field": name}, field=name)
        if side == REMOVE:
            attname = keep._meta.get_field(name).attname
            setattr(keep, attname, getattr(remove, attname))
            taken.append(name)
    # Custom fields the kept record lacks are filled from the removed one.
    custom = dict(remove.custom_data or {})
    custom.update({k: v for k, v in (keep.custom_data or {}).items() if v not in (None, "", [])})
    keep.custom_data = custom
    # The first contact is the earlier one; a filing on either record counts.
    dates = [d for d in (keep.first_contact_date, remove.first_contact_date) if d]
    keep.first_contact_date = min(dates) if dates else None
    if not keep.filed_at and remove.filed_at:
        keep.filed_at, keep.filing_deadline = remove.filed_at, remove.filing_deadline
    elif not keep.filed_at:  # the earlier first contact started the clock: its deadline holds
        keep.filing_deadline = min((d for d in (keep.filing_deadline, remove.filing_deadline) if d), default=None)
    keep.is_key = keep.is_key or remove.is_key
    return taken


def _check_allowed(actor, keep_pk, remove_pk) -> None:
    from .models import Customer

    if not actor.has_perm(PERMISSION):
        raise NotAllowed(_("You may not merge customers."))
    visible = set(Customer.objects.restrict(actor, "change").filter(pk__in=[keep_pk, remove_pk]).values_list("pk", flat=True))
    if visible != {keep_pk, remove_pk}:
        raise NotAllowed(_("You may merge only customers you are allowed to change."), code="not_found")


@transaction.atomic
def merge_customers(*, actor, keep, remove, field_choices: dict | None = None):
    """Merges `remove` into `keep` (Customer objects or ids); returns the kept customer."""
    from .models import Customer, DuplicateFinding, FindingResolution

    keep_pk = getattr(keep, "pk", keep)
    remove_pk = getattr(remove, "pk", remove)
    if keep_pk == remove_pk:
        raise DomainError(_("Choose two different customers to merge."))
    _check_allowed(actor, keep_pk, remove_pk)
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[keep_pk, remove_pk]).order_by("pk")}
    if len(locked) != 2:
        raise DomainError(_("One of the customers no longer exists."))
    keep, remove = locked[keep_pk], locked[remove_pk]
    if keep.merged_into_id or remove.merged_into_id:
        raise DomainError(_("This customer has already been merged into another one."), code="already_merged")

    moved: dict[str, int] = {}
    left: dict[str, int] = {}
    for rel in linked_relations():
        n_moved, n_left = _move(rel, keep, remove)
        label = _relation_label(rel)
        if n_moved:
            moved[label] = moved.get(label, 0) + n_moved
        if n_left:
            left[label] = left.get(label, 0) + n_left

    taken = _apply_fields(keep, remove, field_choices)
    _refresh_keys(keep)
    keep.version += 1
    keep._change_reason = f"merged #{remove.pk}"
    keep.save()
    remove.merged_into = keep
    remove.version += 1
    remove._change_reason = f"merged into #{keep.pk}"
    remove.save(update_fields=["merged_into", "version", "updated_at"])
    _after_save(keep)

    now = timezone.now()
    resolved = DuplicateFinding.objects.open().filter(customers=remove).distinct()
    n_resolved = 0
    for finding in resolved:
        finding.resolved_at, finding.resolved_by_id, finding.resolution = now, actor.pk, FindingResolution.MERGED
        finding.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        n_resolved += 1

    audit.record(
        "customer.merged",
        subject=keep,
        actor=actor,
        data={
            "kept": keep.pk,
            "removed": remove.pk,
            "removed_name": remove.name,
            "moved": moved,
            "left_on_removed": left,
            "fields_from_removed": taken,
            "findings_resolved": n_resolved,
        },
    )
    return keep


def compare(keep, remove) -> list[dict]:
    """Side-by-side rows for the merge page: field, label, both displayed values, and which side
    is proposed (the removed record's value when the kept one is empty)."""
    rows = []
    for name in MERGE_FIELDS:
        field = keep._meta.get_field(name)
        a, b = getattr(keep, field.attname), getattr(remove, field.attname)
        empty = (None, "", [], {})
        rows.append(
            {
                "name": name,
                "label": field.verbose_name,
                "keep": _display(keep, field),
                "remove": _display(remove, field),
                "differs": a != b,
                "proposed": REMOVE if a in empty and b not in empty else KEEP,
            }
        )
    return rows


def _display(obj, field) -> str:
    if field.choices:
        return str(getattr(obj, f"get_{field.name}_display")() or "")
    value = getattr(obj, field.name)
    return "" if value is None else str(value)


__all__ = ["MERGE_FIELDS", "PERMISSION", "compare", "linked_relations", "merge_customers"]
