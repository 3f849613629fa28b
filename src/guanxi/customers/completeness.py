"""Completeness of a customer record (F-CUS-5).

The policy lists the required fields per category (`customers.required_fields`, see
guanxi.policy.schema.customers for the field keys); custom fields of the category marked
required count too. `refresh(customer)` stores the score (0–100, the share of required fields
filled in) and the keys of the missing fields on the record; services call it after every save.
`refresh_queryset(qs)` does the same for many records with a fixed number of queries per batch.
Completing a record resolves its open return tasks for missing fields (the weekly check,
guanxi.customers.filing); a record sent back as not filed to the standard stays sent back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.policy import services as policy_services

from .models import Contact, Customer, CustomerDepartment, CustomerFile, CustomFieldDef, FieldType, ReturnReason, ReturnTask

CLAUSE = "customers.required_fields"
CUSTOM_PREFIX = "custom."

COMPUTED_LABELS = {
    "contacts": _("Contacts"),
    "contact_phone": _("A contact's phone or mobile"),
    "departments": _("Customer departments"),
    "tags": _("Tags"),
}


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass
class _Defs:
    """Custom field definitions per category, loaded once per refresh or batch."""

    by_category: dict[str, dict[str, CustomFieldDef]] = field(default_factory=dict)

    def get(self, category: str) -> dict[str, CustomFieldDef]:
        if category not in self.by_category:
            self.by_category[category] = {d.key: d for d in CustomFieldDef.objects.filter(category=category)}
        return self.by_category[category]


def required_keys(category: str, *, policy=None, defs: _Defs | None = None) -> list[str]:
    """The field keys a complete record of `category` holds: the policy's list (custom keys only
    where the category defines that custom field) plus the category's required custom fields."""
    policy = policy_services.given_or_current(policy)
    defs = defs or _Defs()
    custom = defs.get(category)
    keys = []
    for key in policy.customers.required_fields.get(category, []):
        if key.startswith(CUSTOM_PREFIX) and key[len(CUSTOM_PREFIX) :] not in custom:
            continue  # the category does not define this custom field (yet): nothing to fill in
        keys.append(key)
    for key, d in custom.items():
        ckey = CUSTOM_PREFIX + key
        if d.required and ckey not in keys:
            keys.append(ckey)
    return keys


@dataclass
class _Facts:
    """What the related tables say about a batch of customers."""

    with_contacts: set[int] = field(default_factory=set)
    with_contact_phone: set[int] = field(default_factory=set)
    with_departments: set[int] = field(default_factory=set)
    with_tags: set[int] = field(default_factory=set)
    files: set[tuple[int, str]] = field(default_factory=set)

    @classmethod
    def load(cls, ids: list[int], needed: set[str]) -> _Facts:
        facts = cls()
        if not ids:
            return facts
        live = Contact.objects.filter(customer_id__in=ids, erased_at__isnull=True)
        if "contacts" in needed:
            facts.with_contacts = set(live.values_list("customer_id", flat=True).order_by().distinct())
        if "contact_phone" in needed:
            facts.with_contact_phone = set(
                live.filter(~Q(mobile="") | ~Q(phone="")).values_list("customer_id", flat=True).order_by().distinct()
            )
        if "departments" in needed:
            facts.with_departments = set(
                CustomerDepartment.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True).order_by().distinct()
            )
        if "tags" in needed:
            facts.with_tags = set(
                Customer.tags.through.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True).order_by().distinct()
            )
        if "files" in needed:
            facts.files = set(
                CustomerFile.objects.filter(customer_id__in=ids).exclude(field_key="").values_list("customer_id", "field_key")
            )
        return facts


def _needed(keys: Iterable[str], custom: dict[str, CustomFieldDef]) -> set[str]:
    out = set()
    for key in keys:
        if key in COMPUTED_LABELS:
            out.add(key)
        elif key.startswith(CUSTOM_PREFIX):
            d = custom.get(key[len(CUSTOM_PREFIX) :])
            if d is not None and d.field_type == FieldType.FILE:
                out.add("files")
    return out


def _present(customer: Customer, key: str, facts: _Facts, custom: dict[str, CustomFieldDef]) -> bool:
    pk = customer.pk
    if key == "contacts":
        return pk in facts.with_contacts
    if key == "contact_phone":
        return pk in facts.with_contact_phone
    if key == "departments":
        return pk in facts.with_departments
    if key == "tags":
        return pk in facts.with_tags
    if key.startswith(CUSTOM_PREFIX):
        name = key[len(CUSTOM_PREFIX) :]
        d = custom.get(name)
        if d is not None and d.field_type == FieldType.FILE and (pk, name) in facts.files:
            return True
        return not _empty((customer.custom_data or {}).get(name))
    try:
        attname = Customer._meta.get_field(key).attname
    except Exception:  # a key the policy schema allows but the model lost: treat as missing
        return False
    return not _empty(getattr(customer, attname, None))


def compute(customer: Customer, keys: list[str], facts: _Facts, custom: dict[str, CustomFieldDef]) -> tuple[int, list[str]]:
    """(score 0–100, missing keys in policy order) for one record."""
    if not keys:
        return 100, []
    missing = [k for k in keys if not _present(customer, k, facts, custom)]
    score = round(100 * (len(keys) - len(missing)) / len(keys))
    if missing and score == 100:
        score = 99  # never show 100 % while something is missing
    return score, missing


def _resolve_tasks(customer_ids: Iterable[int]) -> int:
    """Closes the open return tasks of records that are now complete (field history kept). Only
    tasks for an incomplete record: one sent back as not filed to the standard is not fixed by
    filling in fields; its unit marks it corrected (guanxi.customers.filing.resolve_task)."""
    now = timezone.now()
    n = 0
    open_tasks = ReturnTask.objects.filter(customer_id__in=list(customer_ids), resolved_at__isnull=True, reason=ReturnReason.INCOMPLETE)
    for task in open_tasks:
        task.resolved_at = now
        task.save(update_fields=["resolved_at"])
        n += 1
    return n


def refresh(customer: Customer, *, policy=None, save: bool = True) -> tuple[int, list[str]]:
    """Recomputes `customer.completeness` and `customer.missing_fields` (stored without touching
    the record's version or its field history: both are derived values)."""
    policy = policy_services.given_or_current(policy)
    defs = _Defs()
    keys = required_keys(customer.category, policy=policy, defs=defs)
    custom = defs.get(customer.category)
    facts = _Facts.load([customer.pk], _needed(keys, custom)) if customer.pk else _Facts()
    score, missing = compute(customer, keys, facts, custom)
    changed = score != customer.completeness or missing != list(customer.missing_fields or [])
    customer.completeness, customer.missing_fields = score, missing
    if save and customer.pk:
        if changed:
            Customer.objects.filter(pk=customer.pk).update(completeness=score, missing_fields=missing)
        if not missing:
            _resolve_tasks([customer.pk])  # one query; the stored list may be older than this instance
    return score, missing


def refresh_queryset(queryset, *, policy=None, batch_size: int = 1000) -> int:
    """Recomputes completeness for every record of `queryset`, a batch at a time; returns how
    many records changed. Records becoming complete get their open return tasks resolved."""
    policy = policy_services.given_or_current(policy)
    defs = _Defs()
    changed_total = 0
    last_pk = 0
    base = queryset.order_by("pk").only("pk", "category", "custom_data", "completeness", "missing_fields", *_model_fields(policy))
    while True:
        batch = list(base.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        keys_by_cat = {c.category: required_keys(c.category, policy=policy, defs=defs) for c in batch}
        needed: set[str] = set()
        for cat, keys in keys_by_cat.items():
            needed |= _needed(keys, defs.get(cat))
        facts = _Facts.load([c.pk for c in batch], needed)
        changed, completed = [], []
        for c in batch:
            before = (c.completeness, list(c.missing_fields or []))
            score, missing = compute(c, keys_by_cat[c.category], facts, defs.get(c.category))
            if (score, missing) != before:
                c.completeness, c.missing_fields = score, missing
                changed.append(c)
                if before[1] and not missing:
                    completed.append(c.pk)
        if changed:
            Customer.objects.bulk_update(changed, ["completeness", "missing_fields"])
            changed_total += len(changed)
        if completed:
            _resolve_tasks(completed)
    return changed_total


def _model_fields(policy) -> set[str]:
    names = {f.name for f in Customer._meta.concrete_fields}
    out = set()
    for keys in policy.customers.required_fields.values():
        out |= {k for k in keys if k in names}
    return out


# ---------------------------------------------------------------- display


def field_label(key: str, category: str | None = None, *, defs: _Defs | None = None) -> str:
    """The label of a required-field key, in the user's language."""
    if key in COMPUTED_LABELS:
        return str(COMPUTED_LABELS[key])
    if key.startswith(CUSTOM_PREFIX):
        name = key[len(CUSTOM_PREFIX) :]
        if category:
            d = (defs or _Defs()).get(category).get(name)
            if d is not None:
                return d.label
        return name
    try:
        return str(Customer._meta.get_field(key).verbose_name)
    except Exception:
        return key


def missing_labels(customer: Customer, *, defs: _Defs | None = None) -> list[str]:
    defs = defs or _Defs()
    return [field_label(k, customer.category, defs=defs) for k in customer.missing_fields or []]


def is_complete(customer: Customer) -> bool:
    return not customer.missing_fields


__all__ = [
    "CLAUSE",
    "compute",
    "field_label",
    "is_complete",
    "missing_labels",
    "refresh",
    "refresh_queryset",
    "required_keys",
]
