"""Customer archive records: every write to customers, their departments, contacts, team members
and tags is one function here, atomic and audited (F-CUS-1, F-CUS-2, F-CUS-6, F-CUS-11).

- `create_customer` validates and normalises the data (credit code check digit, mainland
  phone numbers, custom fields of the category), checks duplicates across the whole database
  (customers.duplicates, `DuplicateFound` unless `confirm_duplicates=True`), creates the
  departments and contacts given inline, maintains the search keys and then lets completeness
  and filing (customers.completeness / customers.filing) update the record.
- `update_customer` is optimistic: the caller passes the version it read; a stale version is
  refused with core.errors.Conflict and nothing is saved. Each save raises the version.
- Inline lists (contacts, departments) on update: an item with "id" changes that row, one
  without creates a row, one with "id" and "delete": true removes it; rows not mentioned stay.
- Audit data holds field names, never personal values (they may have to be erased, F-SEC-3).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from importlib import import_module

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guanxi.accounts.models import OrgUnit, Position, Region, User
from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError, NotAllowed

from . import customfields
from .models import (
    STATIC_FIELDS,
    Category,
    Contact,
    Customer,
    CustomerDepartment,
    CustomerFile,
    CustomerMember,
    DecisionRole,
    MemberAccess,
    Nature,
    Scale,
    Source,
    SpecialKind,
    Status,
    Tag,
)
from .normalize import fold, name_key, phone_key, pinyin_keys, trade_key
from .validators import normalize_mobile, normalize_phone, validate_credit_code, validate_id_number

CUSTOMER_FIELDS = (
    *STATIC_FIELDS,
    "is_key",
    "custom_data",
    "owner",
    "unit",
    "first_contact_date",
)
CONTACT_FIELDS = (
    "name",
    "title",
    "department",
    "phone",
    "mobile",
    "email",
    "decision_role",
    "birthday",
    "id_number",
    "address",
    "experience",
    "family",
    "hobbies",
    "needs",
    "is_primary",
)
DEPARTMENT_FIELDS = ("name", "business_info", "communication_info", "background_info")
CHOICES = {
    "category": Category,
    "special_kind": SpecialKind,
    "scale": Scale,
    "nature": Nature,
    "source": Source,
    "status": Status,
}
STALE = _("The record was changed by someone else after you opened it. Reload it and enter your changes again.")


# ---------------------------------------------------------------- optional collaborators


def _optional(module: str, name: str):
    """A function of a sibling feature module, or None while that feature does not exist."""
    try:
        mod = import_module(f"guanxi.customers.{module}")
    except ImportError:
        return None
    return getattr(mod, name, None)


class DuplicateFoundFallback(Conflict):
    """Used only while customers.duplicates does not exist yet (its DuplicateFound replaces it)."""

    def __init__(self, hits, message=None):
        super().__init__(message or _("Possible duplicates of this customer exist."), code="duplicate", field="name")
        self.hits = hits


def duplicate_error_class():
    cls = _optional("duplicates", "DuplicateFound")
    return cls or DuplicateFoundFallback


def _find_duplicates(data: dict, *, exclude_pk=None, contacts=()) -> list:
    finder = _optional("duplicates", "find_duplicates")
    if finder is not None:
        return list(finder(data, exclude_pk=exclude_pk, contacts=contacts))
    return _fallback_duplicates(data, exclude_pk=exclude_pk, contacts=contacts)


def _fallback_duplicates(data: dict, *, exclude_pk=None, contacts=()) -> list[dict]:
    """Exact matches on credit code, phone key, name key and contact mobile (whole database)."""
    reasons: dict[int, list[str]] = {}

    def add(ids, reason):
        for pk in ids:
            if pk != exclude_pk:
                reasons.setdefault(pk, []).append(reason)

    base = Customer.objects.filter(merged_into__isnull=True)
    if data.get("credit_code"):
        add(base.filter(credit_code=data["credit_code"]).values_list("pk", flat=True)[:20], "credit_code")
    if data.get("phone") and phone_key(data["phone"]):
        add(base.filter(phone_key=phone_key(data["phone"])).values_list("pk", flat=True)[:20], "phone")
    key = name_key(data.get("name"))
    if key:
        add(base.filter(name_key=key).values_list("pk", flat=True)[:20], "name")
    mobiles = [c.get("mobile") for c in contacts or () if c.get("mobile")]
    if mobiles:
        add(Contact.objects.filter(mobile__in=mobiles).values_list("customer_id", flat=True)[:20], "mobile")
    rows = Customer.objects.filter(pk__in=list(reasons)).select_related("owner")
    return [
        {
            "customer_id": c.pk,
            "name": c.name,
            "owner": str(c.owner) if c.owner_id else "",
            "reasons": reasons[c.pk],
            "blacklisted": c.status == Status.BLACKLISTED,
        }
        for c in rows
    ]


def _after_save(customer: Customer, *, created: bool) -> None:
    refresh = _optional("completeness", "refresh")
    if refresh is not None:
        refresh(customer)
    if created:
        on_created = _optional("filing", "on_created")
        if on_created is not None:
            on_created(customer)


# ---------------------------------------------------------------- cleaning


def _invalid(exc: ValidationError, field: str) -> DomainError:
    return DomainError(" ".join(str(m) for m in exc.messages), field=field, code=getattr(exc, "code", None) or "invalid")


def _text(data: dict, field: str, max_length: int) -> str:
    value = data.get(field)
    text = "" if value is None else str(value).strip()
    if len(text) > max_length:
        raise DomainError(
            _("At most %(max)d characters are allowed here (%(count)d given).") % {"max": max_length, "count": len(text)}, field=field
        )
    return text


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "是"}
    return bool(value)


def _date(value, field: str):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        parsed = parse_date(str(value).strip().replace("/", "-"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise DomainError(_("Enter a valid date (YYYY-MM-DD)."), field=field)
    return parsed


def _instance(model, value, field: str):
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        return model._base_manager.get(pk=int(value))
    except (model.DoesNotExist, TypeError, ValueError) as exc:
        raise DomainError(_("The chosen %(what)s does not exist.") % {"what": model._meta.verbose_name}, field=field) from exc


def _choice(value, choices, field: str, *, blank: bool = True) -> str:
    value = "" if value is None else str(value).strip()
    if not value and blank:
        return ""
    if value not in choices.values:
        raise DomainError(_("“%(value)s” is not one of the available choices.") % {"value": value}, field=field)
    return value


def clean_customer_data(data: dict, *, instance: Customer | None = None) -> dict:
    """Validated, normalised values of the customer fields present in `data` (for an update
    only those; for a create all, with defaults). Raises DomainError naming the field."""
    unknown = set(data) - set(CUSTOMER_FIELDS) - {"tags"}
    if unknown:
        raise DomainError(_("These fields cannot be set here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    out: dict = {}
    present = set(data) if instance is not None else set(CUSTOMER_FIELDS)
    lengths = {f.name: f.max_length for f in Customer._meta.concrete_fields if f.max_length}
    for field in present & set(CUSTOMER_FIELDS):
        value = data.get(field)
        if field == "name":
            name = " ".join(fold(value).split())
            if not name:
                raise DomainError(_("The customer name is required."), field="name")
            if len(name) > 200:
                raise DomainError(_("The customer name may have at most 200 characters."), field="name")
            out[field] = name
        elif field == "credit_code":
            if value in (None, "") or not str(value).strip():
                out[field] = ""
            else:
                try:
                    out[field] = validate_credit_code(value)
                except ValidationError as exc:
                    raise _invalid(exc, field) from exc
        elif field in ("phone", "fax"):
            if value in (None, "") or not str(value).strip():
                out[field] = ""
            else:
                try:
                    out[field] = normalize_phone(value)
                except ValidationError as exc:
                    raise _invalid(exc, field) from exc
        elif field == "email":
            email = fold(value).lower()
            if email:
                try:
                    validate_email(email)
                except ValidationError as exc:
                    raise DomainError(_("Enter a valid email address."), field="email") from exc
            out[field] = email
        elif field == "website":
            site = fold(value)
            if site:
                candidate = site if "://" in site else f"http://{site}"
                try:
                    URLValidator(schemes=["http", "https"])(candidate)
                except ValidationError as exc:
                    raise DomainError(_("Enter a valid web address."), field="website") from exc
                if len(site) > 200:
                    raise DomainError(_("The web address is too long."), field="website")
            out[field] = site
        elif field == "registered_capital":
            if value in (None, ""):
                out[field] = None
            else:
                try:
                    amount = Decimal(str(value).replace(",", "").strip())
                except InvalidOperation as exc:
                    raise DomainError(_("Enter the registered capital as an amount in yuan."), field=field) from exc
                if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
                    raise DomainError(_("Enter the registered capital as an amount in yuan."), field=field)
                out[field] = amount.quantize(Decimal("0.01"))
        elif field in CHOICES:
            blank = field not in ("category", "status")
            if not blank and value in (None, ""):
                value = Category.DIRECT if field == "category" else Status.POTENTIAL
            out[field] = _choice(value, CHOICES[field], field, blank=blank)
        elif field == "is_key":
            out[field] = _bool(value)
        elif field == "region":
            out[field] = _instance(Region, value, field)
        elif field == "owner":
            out[field] = _instance(User, value, field)
        elif field == "unit":
            out[field] = _instance(OrgUnit, value, field)
        elif field == "first_contact_date":
            out[field] = _date(value, field)
        elif field == "custom_data":
            out[field] = value if isinstance(value, dict) else (value or {})
        else:
            out[field] = _text(data, field, lengths.get(field, 10_000) if field in lengths else 10_000)

    category = out.get("category", instance.category if instance else Category.DIRECT)
    if "special_kind" in out or "category" in out:
        kind = out.get("special_kind", instance.special_kind if instance else "")
        if category != Category.SPECIAL:
            if "special_kind" in data and data.get("special_kind"):
                raise DomainError(_("A special kind applies only to special customers."), field="special_kind")
            out["special_kind"] = ""
        else:
            out["special_kind"] = kind
    if "custom_data" in out or "category" in out:
        raw = out.get("custom_data")
        if raw is None:
            raw = customfields.keep_known(category, instance.custom_data if instance else {})
        out["custom_data"] = customfields.clean(category, raw)
    if "owner" in out and out["owner"] is not None and not out["owner"].is_active:
        raise DomainError(_("A deactivated user cannot own customers."), field="owner")
    return out


def clean_contact_data(data: dict, *, customer: Customer, instance: Contact | None = None, departments: dict | None = None) -> dict:
    known = set(CONTACT_FIELDS) | {"department_name", "id", "delete"}
    unknown = set(data) - known
    if unknown:
        raise DomainError(_("These contact fields cannot be set here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    present = set(data) if instance is not None else set(CONTACT_FIELDS)
    out: dict = {}
    lengths = {f.name: f.max_length for f in Contact._meta.concrete_fields if f.max_length}
    for field in present & set(CONTACT_FIELDS):
        value = data.get(field)
        if field == "name":
            name = " ".join(fold(value).split())
            if not name:
                raise DomainError(_("The contact's name is required."), field="name")
            if len(name) > 60:
                raise DomainError(_("A contact's name may have at most 60 characters."), field="name")
            out[field] = name
        elif field == "mobile":
            try:
                out[field] = normalize_mobile(value) if value not in (None, "") and str(value).strip() else ""
            except ValidationError as exc:
                raise _invalid(exc, field) from exc
        elif field == "phone":
            try:
                out[field] = normalize_phone(value) if value not in (None, "") and str(value).strip() else ""
            except ValidationError as exc:
                raise _invalid(exc, field) from exc
        elif field == "id_number":
            try:
                out[field] = validate_id_number(value) if value not in (None, "") and str(value).strip() else ""
            except ValidationError as exc:
                raise _invalid(exc, field) from exc
        elif field == "email":
            email = fold(value).lower()
            if email:
                try:
                    validate_email(email)
                except ValidationError as exc:
                    raise DomainError(_("Enter a valid email address."), field="email") from exc
            out[field] = email
        elif field == "decision_role":
            out[field] = _choice(value, DecisionRole, field)
        elif field == "birthday":
            birthday = _date(value, field)
            if birthday and birthday > timezone.localdate():
                raise DomainError(_("A birthday cannot be in the future."), field=field)
            out[field] = birthday
        elif field == "is_primary":
            out[field] = _bool(value)
        elif field == "department":
            department = _instance(CustomerDepartment, value, field)
            if department is None and data.get("department_name") and departments is not None:
                department = departments.get(str(data["department_name"]).strip())
            if department is not None and customer.pk and department.customer_id != customer.pk:
                raise DomainError(_("The department belongs to another customer."), field=field)
            out[field] = department
        else:
            out[field] = _text(data, field, lengths.get(field, 10_000) if field in lengths else 10_000)
    if "department" not in out and data.get("department_name") and departments is not None:
        out["department"] = departments.get(str(data["department_name"]).strip())
    return out


def _prefixed(exc: DomainError, prefix: str, index: int) -> DomainError:
    field = f"{prefix}.{index}.{exc.field}" if exc.field else f"{prefix}.{index}"
    message = _("%(what)s %(number)d: %(message)s") % {
        "what": _("Contact") if prefix == "contacts" else _("Department"),
        "number": index + 1,
        "message": exc.message,
    }
    return type(exc)(message, field=field, code=exc.code, params={**exc.params, "index": index})


# ---------------------------------------------------------------- keys and helpers


def refresh_keys(customer: Customer, *, save: bool = False) -> bool:
    """Recomputes the search and duplicate keys (name_key, trade_key, pinyin, initials, phone_key); with
    save=True writes them with one UPDATE (no history row, version unchanged). Returns
    whether a key changed."""
    full, initials = pinyin_keys(customer.name)
    keys = {
        "name_key": name_key(customer.name),
        "trade_key": trade_key(customer.name),
        "pinyin": full,
        "initials": initials,
        "phone_key": phone_key(customer.phone),
    }
    changed = {k: v for k, v in keys.items() if getattr(customer, k) != v}
    for k, v in changed.items():
        setattr(customer, k, v)
    if save and changed and customer.pk:
        Customer.objects.filter(pk=customer.pk).update(**changed)
    return bool(changed)


def primary_unit(user) -> OrgUnit | None:
    if user is None:
        return None
    today = timezone.localdate()
    positions = Position.objects.filter(user=user, unit__is_active=True).select_related("unit").order_by("-is_primary", "pk")
    for pos in positions:
        if pos.is_current(today):
            return pos.unit
    return None


def may_change(user, customer: Customer) -> bool:
    """Whether `user` may change `customer` (the permission and the record in the change scope).
    Kept on the customer object per user, so the page and its panels ask the database once."""
    memo = customer.__dict__.setdefault("_may_change", {})
    if user.pk not in memo:
        memo[user.pk] = (
            user.has_perm("customers.change_customer") and Customer.objects.restrict(user, "change").filter(pk=customer.pk).exists()
        )
    return memo[user.pk]


def _check_scope(customer: Customer, actor, action: str, message) -> None:
    """The saved customer must stay within the actor's scope for `action` (no actor: a
    command or task, which acts for the whole company)."""
    if actor is None:
        return
    if not Customer.objects.restrict(actor, action).filter(pk=customer.pk).exists():
        raise NotAllowed(message, code="out_of_scope")


def staff_in_contact(customer: Customer) -> list[User]:
    """Company staff in contact with the customer: its owner and current team members (active
    users, each once) (F-CUS-2, seed 000 §六)."""
    people: dict[int, User] = {}
    if customer.owner_id and customer.owner.is_active:
        people[customer.owner_id] = customer.owner
    for member in CustomerMember.objects.current().filter(customer=customer, user__is_active=True).select_related("user"):
        people.setdefault(member.user_id, member.user)
    return list(people.values())


KEY_CUSTOMER_CLAUSE = "deadlines.key_customer_min_contacts"


def key_customer_warning(customer: Customer, *, policy=None):
    """The warning to show on a key customer with fewer company staff in contact than the
    policy asks (seed 002 §1.6.3, seed 000 §六), naming the clause; or None."""
    from guanxi.policy.services import current
    from guanxi.policy.sources import cite_clause

    if not customer.is_key:
        return None
    policy = policy or current()
    needed = policy.deadlines.key_customer_min_contacts
    count = len(staff_in_contact(customer))
    if count >= needed:
        return None
    return ngettext(
        "Key customer: at least %(min)d company staff must be in contact with it, but %(count)d is. Add a team member "
        "(policy version %(version)s, %(source)s).",
        "Key customer: at least %(min)d company staff must be in contact with it, but %(count)d are. Add a team member "
        "(policy version %(version)s, %(source)s).",
        count,
    ) % {"min": needed, "count": count, "version": policy.version, "source": cite_clause(KEY_CUSTOMER_CLAUSE)}


# ---------------------------------------------------------------- customers


def _save_departments(customer: Customer, items, *, create_only: bool = False) -> dict[str, CustomerDepartment]:
    """Applies inline department items; returns name → department of the customer."""
    for index, item in enumerate(items or ()):
        try:
            if item.get("id") and not create_only:
                department = CustomerDepartment.objects.filter(customer=customer, pk=item["id"]).first()
                if department is None:
                    raise DomainError(_("This department does not belong to the customer."), field="id")
                if _bool(item.get("delete")):
                    department.delete()
                    continue
                fields = {f: _text(item, f, 80 if f == "name" else 10_000) for f in DEPARTMENT_FIELDS if f in item}
                if "name" in fields and not fields["name"]:
                    raise DomainError(_("A department needs a name."), field="name")
                if any(getattr(department, f) != v for f, v in fields.items()):
                    for f, v in fields.items():
                        setattr(department, f, v)
                    department.save()
                continue
            if _bool(item.get("delete")):
                continue
            fields = {f: _text(item, f, 80 if f == "name" else 10_000) for f in DEPARTMENT_FIELDS}
            if not fields["name"]:
                raise DomainError(_("A department needs a name."), field="name")
            if CustomerDepartment.objects.filter(customer=customer, name=fields["name"]).exists():
                raise DomainError(_("The customer already has a department of this name."), field="name")
            CustomerDepartment.objects.create(customer=customer, **fields)
        except DomainError as exc:
            raise _prefixed(exc, "departments", index) from exc
    return {d.name: d for d in CustomerDepartment.objects.filter(customer=customer)}


def _save_contacts(customer: Customer, items, departments: dict, *, create_only: bool = False) -> list[str]:
    """Applies inline contact items; returns the audit verbs done."""
    done = []
    for index, item in enumerate(items or ()):
        try:
            if item.get("id") and not create_only:
                contact = Contact.objects.filter(customer=customer, pk=item["id"]).first()
                if contact is None:
                    raise DomainError(_("This contact does not belong to the customer."), field="id")
                if _bool(item.get("delete")):
                    _remove_contact(contact)
                    done.append("removed")
                    continue
                if _update_contact(contact, item, departments=departments):
                    done.append("updated")
                continue
            if _bool(item.get("delete")):
                continue
            _add_contact(customer, item, departments=departments)
            done.append("created")
        except DomainError as exc:
            raise _prefixed(exc, "contacts", index) from exc
    return done


def _apply_tags(customer: Customer, tags) -> bool:
    wanted: list[Tag] = []
    for tag in tags or ():
        if isinstance(tag, Tag):
            wanted.append(tag)
            continue
        if isinstance(tag, int) or (isinstance(tag, str) and tag.isdigit()):
            found = Tag.objects.filter(pk=int(tag)).first()
            if found is None:
                raise DomainError(_("The chosen tag does not exist."), field="tags")
            wanted.append(found)
            continue
        label = " ".join(fold(str(tag)).split())
        if not label:
            continue
        if len(label) > 40:
            raise DomainError(_("A tag may have at most 40 characters."), field="tags")
        wanted.append(Tag.objects.get_or_create(name=label)[0])
    before = set(customer.tags.values_list("pk", flat=True))
    after = {t.pk for t in wanted}
    if before == after:
        return False
    customer.tags.set(wanted)
    return True


@transaction.atomic
def create_customer(
    *,
    actor=None,
    data: dict,
    contacts=(),
    departments=(),
    check_duplicates: bool = True,
    confirm_duplicates: bool = False,
) -> Customer:
    """Creates a customer with its departments, contacts and tags. Duplicates found anywhere
    in the database raise DuplicateFound (with `.hits`) unless confirm_duplicates."""
    values = clean_customer_data(data)
    contacts = list(contacts or ())
    departments = list(departments or ())
    if values.get("owner") is None and actor is not None and "owner" not in data:
        values["owner"] = actor
    if values.get("unit") is None:
        values["unit"] = primary_unit(values.get("owner")) or primary_unit(actor)
        if values["unit"] is None:
            raise DomainError(_("Choose the unit that owns the customer."), field="unit")
    if check_duplicates and not confirm_duplicates:
        hits = _find_duplicates(values, contacts=contacts)
        if hits:
            raise duplicate_error_class()(hits)
    customer = Customer(**values, created_by=actor if actor is not None else None)
    refresh_keys(customer)
    customer.save()
    _check_scope(customer, actor, "add", _("You may not create a customer outside your data scope."))
    if "tags" in data:
        _apply_tags(customer, data.get("tags"))
    department_map = _save_departments(customer, departments, create_only=True)
    _save_contacts(customer, contacts, department_map, create_only=True)
    audit.record(
        "customer.created",
        subject=customer,
        actor=actor,
        data={"name": customer.name, "contacts": len(contacts), "duplicates_confirmed": bool(confirm_duplicates)},
    )
    _after_save(customer, created=True)
    return customer


@transaction.atomic
def update_customer(
    customer: Customer,
    *,
    actor=None,
    data: dict,
    expected_version: int | None,
    contacts=None,
    departments=None,
    check_duplicates: bool = False,
    confirm_duplicates: bool = False,
) -> Customer:
    """Changes the customer if nobody saved it since `expected_version` was read (else
    Conflict, nothing saved). Only the fields in `data` change."""
    if expected_version is None:
        raise DomainError(_("The version of the record you edited is missing."), field="version", code="version_required")
    try:
        expected_version = int(expected_version)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("The version of the record you edited is missing."), field="version", code="version_required") from exc
    fresh = Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if fresh is None:
        raise Conflict(_("This customer no longer exists."), code="gone")
    if fresh.merged_into_id:
        raise Conflict(_("This customer was merged into another record and can no longer be changed."), code="merged")
    if fresh.version != expected_version:
        raise Conflict(STALE, code="stale", field="version")
    values = clean_customer_data(data, instance=fresh)
    if "unit" in values and values["unit"] is None:
        raise DomainError(_("Choose the unit that owns the customer."), field="unit")
    changed = [f for f, v in values.items() if getattr(fresh, f) != v]
    if check_duplicates and not confirm_duplicates and {"name", "credit_code", "phone"} & set(changed):
        probe = {**{f: getattr(fresh, f) for f in ("name", "credit_code", "phone")}, **values}
        hits = _find_duplicates(probe, exclude_pk=fresh.pk, contacts=contacts or ())
        if hits:
            raise duplicate_error_class()(hits)
    tags_changed = _apply_tags(fresh, data.get("tags")) if "tags" in data else False
    department_map = _save_departments(fresh, departments) if departments is not None else None
    contact_changes = []
    if contacts is not None:
        department_map = department_map or {d.name: d for d in fresh.departments.all()}
        contact_changes = _save_contacts(fresh, contacts, department_map)
    touched = bool(changed or tags_changed or departments or contact_changes)
    if not touched:
        _sync(customer, fresh)
        return customer
    # The conditional UPDATE is the guard: a concurrent save of the same version loses here.
    bumped = Customer.objects.filter(pk=fresh.pk, version=expected_version).update(version=expected_version + 1)
    if bumped != 1:
        raise Conflict(STALE, code="stale", field="version")
    for f, v in values.items():
        setattr(fresh, f, v)
    fresh.version = expected_version + 1
    refresh_keys(fresh)
    fresh.save()
    if "owner" in changed or "unit" in changed:
        _check_scope(fresh, actor, "change", _("You cannot move a customer out of your data scope here; ask for a transfer instead."))
    audit.record(
        "customer.updated",
        subject=fresh,
        actor=actor,
        data={
            "fields": sorted(changed),
            "tags": tags_changed,
            "contacts": contact_changes,
            "version": fresh.version,
        },
    )
    _after_save(fresh, created=False)
    if changed:
        from . import filing

        # A filed record whose key fields changed must have the change reported (F-CUS-4).
        filing.on_changed(fresh, changed)
    _sync(customer, fresh)
    return customer


def _sync(target: Customer, source: Customer) -> None:
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    if hasattr(target, "_prefetched_objects_cache"):
        target._prefetched_objects_cache = {}


@transaction.atomic
def delete_customer(customer: Customer, *, actor=None) -> None:
    name, pk = customer.name, customer.pk
    audit.record("customer.deleted", subject=customer, actor=actor, data={"name": name})
    try:
        with transaction.atomic():
            customer.delete()
    except ProtectedError as exc:
        raise DomainError(
            _("This customer cannot be deleted because other records refer to it; mark it as lost instead."), code="protected"
        ) from exc
    customer.pk = pk


# ---------------------------------------------------------------- departments


@transaction.atomic
def add_department(customer: Customer, *, actor=None, data: dict) -> CustomerDepartment:
    before = set(customer.departments.values_list("pk", flat=True))
    _save_departments(customer, [data], create_only=True)
    department = customer.departments.exclude(pk__in=before).get()
    audit.record("customer.department_added", subject=customer, actor=actor, data={"department": department.name})
    return department


@transaction.atomic
def update_department(department: CustomerDepartment, *, actor=None, data: dict) -> CustomerDepartment:
    _save_departments(department.customer, [{**data, "id": department.pk}])
    department.refresh_from_db()
    audit.record("customer.department_updated", subject=department.customer, actor=actor, data={"department": department.name})
    return department


@transaction.atomic
def remove_department(department: CustomerDepartment, *, actor=None) -> None:
    customer = department.customer
    audit.record("customer.department_removed", subject=customer, actor=actor, data={"department": department.name})
    department.delete()


# ---------------------------------------------------------------- contacts


def _add_contact(customer: Customer, data: dict, *, departments: dict | None = None) -> Contact:
    values = clean_contact_data(data, customer=customer, departments=departments)
    contact = Contact(customer=customer, **values)
    contact.save()
    if contact.is_primary:
        _only_primary(contact)
    return contact


def _update_contact(contact: Contact, data: dict, *, departments: dict | None = None) -> bool:
    if contact.erased_at:
        raise DomainError(_("The personal data of this contact was erased; it cannot be changed."), code="erased")
    values = clean_contact_data(data, customer=contact.customer, instance=contact, departments=departments)
    changed = [f for f, v in values.items() if getattr(contact, f) != v]
    if not changed:
        return False
    for f in changed:
        setattr(contact, f, values[f])
    contact.save()
    if "is_primary" in changed and contact.is_primary:
        _only_primary(contact)
    return True


def _only_primary(contact: Contact) -> None:
    for other in Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk):
        other.is_primary = False
        other.save(update_fields=["is_primary"])


def _remove_contact(contact: Contact) -> None:
    contact.delete()


@transaction.atomic
def add_contact(customer: Customer, *, actor=None, data: dict) -> Contact:
    departments = {d.name: d for d in customer.departments.all()}
    contact = _add_contact(customer, data, departments=departments)
    audit.record("contact.created", subject=contact, actor=actor, data={"customer": customer.pk})
    return contact


@transaction.atomic
def update_contact(contact: Contact, *, actor=None, data: dict) -> Contact:
    departments = {d.name: d for d in contact.customer.departments.all()}
    before = {f: getattr(contact, f) for f in CONTACT_FIELDS if f != "department"} | {"department": contact.department_id}
    if _update_contact(contact, data, departments=departments):
        after = {f: getattr(contact, f) for f in CONTACT_FIELDS if f != "department"} | {"department": contact.department_id}
        audit.record(
            "contact.updated",
            subject=contact,
            actor=actor,
            data={"customer": contact.customer_id, "fields": sorted(f for f in after if after[f] != before[f])},
        )
    return contact


@transaction.atomic
def remove_contact(contact: Contact, *, actor=None) -> None:
    pk = contact.pk
    audit.record("contact.removed", subject=contact, actor=actor, data={"customer": contact.customer_id})
    _remove_contact(contact)
    contact.pk = pk


# ---------------------------------------------------------------- team members and tags


@transaction.atomic
def add_member(customer: Customer, user: User, *, actor=None, access: str = MemberAccess.READ, until=None) -> CustomerMember:
    """Adds (or changes) a team member 协作人 of the customer (F-ORG-2)."""
    if not user.is_active:
        raise DomainError(_("A deactivated user cannot become a team member."), field="user")
    if customer.owner_id == user.pk:
        raise DomainError(_("The owner is already in charge of this customer."), field="user")
    access = _choice(access, MemberAccess, "access", blank=False)
    until = _date(until, "until")
    if until and until < timezone.localdate():
        raise DomainError(_("The end date lies in the past."), field="until")
    member, created = CustomerMember.objects.get_or_create(customer=customer, user=user, defaults={"access": access, "until": until})
    if not created and (member.access != access or member.until != until):
        member.access, member.until = access, until
        member.save()
    audit.record(
        "customer.member_added",
        subject=customer,
        actor=actor,
        data={"user": user.pk, "access": access, "until": until.isoformat() if until else None},
    )
    return member


@transaction.atomic
def remove_member(customer: Customer, user: User, *, actor=None) -> None:
    member = CustomerMember.objects.filter(customer=customer, user=user).first()
    if member is None:
        raise DomainError(_("This user is not a team member of the customer."), field="user")
    member.delete()
    audit.record("customer.member_removed", subject=customer, actor=actor, data={"user": user.pk})


@transaction.atomic
def set_tags(customer: Customer, tags, *, actor=None) -> bool:
    """Replaces the customer's tags (Tag objects, ids or names; new names create tags)."""
    changed = _apply_tags(customer, tags)
    if changed:
        audit.record(
            "customer.tags_changed", subject=customer, actor=actor, data={"tags": sorted(customer.tags.values_list("name", flat=True))}
        )
    return changed


@transaction.atomic
def add_tags(customers, tags, *, actor=None) -> int:
    """Adds tags to many customers (bulk action); returns how many customers got a new tag."""
    wanted = [t if isinstance(t, Tag) else Tag.objects.get_or_create(name=" ".join(fold(str(t)).split()))[0] for t in tags if t]
    count = 0
    for customer in customers:
        have = set(customer.tags.values_list("pk", flat=True))
        new = [t for t in wanted if t.pk not in have]
        if new:
            customer.tags.add(*new)
            audit.record("customer.tags_changed", subject=customer, actor=actor, data={"added": [t.name for t in new]})
            count += 1
    return count


# ---------------------------------------------------------------- files


@transaction.atomic
def attach_file(customer: Customer, *, actor=None, upload, field_key: str = "", name: str = "") -> CustomerFile:
    """Stores a photo or file of the customer; for a custom file field its id is added to the
    field's value."""
    if field_key:
        definition = customer.category and customfields.definitions(customer.category)
        keys = {d.key: d for d in definition or []}
        if field_key not in keys or keys[field_key].field_type != "file":
            raise DomainError(_("This category has no such photo or file field."), field="field_key")
    record = CustomerFile.objects.create(
        customer=customer, field_key=field_key, file=upload, name=name or getattr(upload, "name", ""), uploaded_by=actor
    )
    if field_key:
        data = dict(customer.custom_data or {})
        data[field_key] = [*list(data.get(field_key) or []), record.pk]
        Customer.objects.filter(pk=customer.pk).update(custom_data=data)
        customer.custom_data = data
    audit.record("customer.file_attached", subject=customer, actor=actor, data={"file": record.pk, "field": field_key})
    return record
