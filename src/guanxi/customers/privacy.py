"""Personal data of contacts (F-ORG-5, F-SEC-3): masking, revealing (audited), consent, and the
data subject's rights: export of their data, correction, erasure (anonymisation).

- A contact's personal fields (the policy's security.personal_data_fields: by default mobile,
  ID number, address, birthday, family background) are shown masked to everybody
  (138****5678). A user holding `customers.view_personal_contact` may reveal one value at a
  time; each reveal writes a `personal_data.viewed` audit event (contact, field; never the
  value).
- Consent per contact: purpose, lawful basis, notice version, date given, withdrawal.
- Export for the data subject (JSON or xlsx, `personal_data.exported`), correction
  (`personal_data.corrected`), erasure with `customers.erase_contact` (`personal_data.erased`);
  each answers the person's open request of that kind (privacy_requests.py). Erasure:
  the identifying fields are blanked, the name becomes "已删除联系人 #id", and the contact's
  field-history rows keep their dates and authors but no longer the values (on PostgreSQL the
  append-only trigger lets history rows be updated only inside core.appendonly.erasure()).

Callers pass objects already restricted to the user's scope (views use
`Contact.objects.restrict(user, action)`); the functions here check the extra permissions.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core import audit
from guanxi.core.errors import DomainError, NotAllowed

from .models import Consent, Contact

VIEW_PERSONAL = "customers.view_personal_contact"
ERASE_CONTACT = "customers.erase_contact"

# Contact fields that can hold personal information. Which of them are treated as such — masked
# for everybody, revealed one value at a time, audited — is the policy's choice
# (security.personal_data_fields, see personal_fields()).
PERSONAL_FIELDS: tuple[str, ...] = ("mobile", "phone", "email", "id_number", "address", "birthday", "family")
# The policy's names where they differ from the contact's fields ("wechat": no such field yet).
_POLICY_NAMES = {"family_background": "family"}
# How each personal field is masked.
FIELD_KINDS = {
    "mobile": "mobile",
    "phone": "phone",
    "email": "email",
    "id_number": "id_number",
    "address": "address",
    "birthday": "birthday",
    "family": "family",
}
# What an erasure blanks: everything that identifies or describes the person, whatever the
# policy masks. Title, decision role and department stay (they describe the customer's org).
ERASED_FIELDS: tuple[str, ...] = (*PERSONAL_FIELDS, "experience", "hobbies", "needs")
# What a correction may change.
CORRECTABLE_FIELDS: tuple[str, ...] = ("name", *PERSONAL_FIELDS)


def personal_fields(policy=None) -> tuple[str, ...]:
    """The contact fields the policy treats as personal information, in the contact's order."""
    from guanxi.policy.services import current

    named = {_POLICY_NAMES.get(name, name) for name in (policy or current()).security.personal_data_fields}
    return tuple(field for field in PERSONAL_FIELDS if field in named)


ERASED_NAME = "已删除联系人 #{pk}"


class LawfulBasis:
    """Lawful bases for processing personal information (PIPL art. 13)."""

    CHOICES = (
        ("consent", _("Consent of the person")),
        ("contract", _("Necessary for a contract with the person")),
        ("employment", _("Necessary for human-resources management")),
        ("legal_obligation", _("Legal duty or obligation")),
        ("emergency", _("Public health emergency or protection of life and property")),
        ("public_interest", _("News reporting or supervision in the public interest")),
        ("published", _("Information the person has made public")),
        ("other_law", _("Other circumstances provided by law")),
    )

    @classmethod
    def label(cls, code: str) -> str:
        return str(dict(cls.CHOICES).get(code, code))


def register_permissions() -> None:
    """Registers the extra permission codes of this feature (called from CustomersConfig.ready())."""
    from guanxi.core.permissions import EXTRA, register

    if VIEW_PERSONAL not in EXTRA:  # CustomersConfig may have registered it with its own label
        register(VIEW_PERSONAL, _("Contacts: see personal data unmasked (mobile, ID number, address, birthday, family)"))
    register(ERASE_CONTACT, _("Contacts: erase personal data (anonymise at the person's request)"))


def can_see_personal(user) -> bool:
    from guanxi.accounts.access import has_perm

    return has_perm(user, VIEW_PERSONAL)


def can_erase(user) -> bool:
    from guanxi.accounts.access import has_perm

    return has_perm(user, ERASE_CONTACT)


# ---------------------------------------------------------------------------------------------
# Masking

STARS = "******"
_CITY = re.compile(
    r"^\s*(?P<province>[^\s\d]{1,8}?(?:省|自治区|特别行政区))?"
    r"(?P<city>[^\s\d区县路街道巷弄号楼室]{1,10}?(?:市|自治州|地区|盟))?"
)
_ID_SHAPE = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
_ADDRESS_HINT = re.compile(r"[省市区县镇乡村路街道巷弄号楼室]")


def _digits(value: str) -> str:
    digits = re.sub(r"\D", "", value.translate(_FULLWIDTH))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


_FULLWIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}


def _mask_mobile(value: str) -> str:
    digits = _digits(value)
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_landline(value: str) -> str:
    digits = _digits(value)
    if len(digits) == 11 and digits.startswith("1"):
        return _mask_mobile(digits)
    if digits.startswith("0") and len(digits) >= 9:
        area_len = 3 if digits[1] in "12" else 4
        area, rest = digits[:area_len], digits[area_len:]
        return f"{area}-****{rest[-4:]}" if len(rest) > 4 else f"{area}-****"
    return f"****{digits[-4:]}" if len(digits) > 6 else "****"


def _mask_id_number(value: str) -> str:
    v = value.strip().upper()
    if len(v) < 8:
        return STARS
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def _mask_address(value: str) -> str:
    m = _CITY.match(value)
    kept = ((m.group("province") or "") + (m.group("city") or "")) if m else ""
    return f"{kept.strip()}****" if kept else STARS


def _mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return STARS
    return f"{local[:1]}***@{domain}"


def mask(value: Any, kind: str) -> str:
    """The masked form of a personal value; "" for an empty value (nothing to hide).

    kind: mobile (138****5678), landline/phone (010-****5678), id_number (110***********1234),
    address (keeps the province and city: 浙江省杭州市****), birthday (****-**-**), email
    (z***@example.com), family/background/text and anything else (******)."""
    if value is None or value == "":
        return ""
    if kind == "birthday" or isinstance(value, dt.date):
        return "****-**-**"
    value = str(value)
    if not value.strip():
        return ""
    if kind == "mobile":
        return _mask_mobile(value)
    if kind in ("landline", "phone"):
        return _mask_landline(value)
    if kind == "id_number":
        return _mask_id_number(value)
    if kind == "address":
        return _mask_address(value)
    if kind == "email":
        return _mask_email(value)
    return STARS


def guess_kind(value: Any) -> str:
    """The masking kind for a bare value (the template filter does not know the field)."""
    if isinstance(value, dt.date):
        return "birthday"
    text = str(value or "").strip()
    compact = re.sub(r"[\s\-()+]", "", text.translate(_FULLWIDTH))
    if _ID_SHAPE.match(compact) and not compact.startswith("0"):
        return "id_number"
    if compact.isdigit():
        digits = _digits(compact)
        if len(digits) == 11 and digits.startswith("1"):
            return "mobile"
        return "landline"
    if "@" in text and " " not in text:
        return "email"
    if _ADDRESS_HINT.search(text):
        return "address"
    return "text"


def field_value(contact: Contact, field: str) -> str:
    """The full value of a contact field as text (dates in ISO form)."""
    value = getattr(contact, field)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def masked_value(contact: Contact, field: str) -> str:
    return mask(getattr(contact, field), FIELD_KINDS.get(field, "text"))


def _check_field(field: str) -> None:
    if field not in personal_fields():
        raise DomainError(_("This is not a personal field of a contact."), field="field", code="invalid_field")


def masked_contact(contact: Contact, user, *, reveal: bool = False) -> dict:
    """The contact as a dict (for the API, exports and templates) with the personal fields
    masked. With reveal=True and the right to see personal data, the full values are returned
    instead and one `personal_data.viewed` event lists the fields shown."""
    show = reveal and can_see_personal(user)
    data: dict[str, Any] = {
        "id": contact.pk,
        "customer": contact.customer_id,
        "department": contact.department_id,
        "name": contact.name,
        "title": contact.title,
        "phone": contact.phone,
        "email": contact.email,
        "decision_role": contact.decision_role,
        "experience": contact.experience,
        "hobbies": contact.hobbies,
        "needs": contact.needs,
        "is_primary": contact.is_primary,
        "erased": contact.erased_at is not None,
    }
    fields = personal_fields()
    for field in PERSONAL_FIELDS:  # those the policy does not count as personal are plain
        data[field] = field_value(contact, field) if show or field not in fields else masked_value(contact, field)
    data["masked"] = not show
    if show:
        shown = [f for f in fields if data[f]]
        if shown:
            audit.record(
                "personal_data.viewed",
                subject=contact,
                actor=user,
                data={"contact": contact.pk, "customer": contact.customer_id, "fields": shown},
            )
    return data


def mask_representation(data: dict, user=None) -> dict:
    """Masks the personal keys of an already serialised contact (e.g. a DRF representation)."""
    for field in personal_fields():
        if field in data:
            data[field] = mask(data[field], FIELD_KINDS[field])
    return data


# ---------------------------------------------------------------------------------------------
# Reveal


@transaction.atomic
def reveal(contact: Contact, field: str, *, actor) -> str:
    """The full value of one personal field; writes `personal_data.viewed`. The caller has
    already restricted `contact` to the actor's scope."""
    _check_field(field)
    if not can_see_personal(actor):
        raise NotAllowed(_("You may not see personal information."), code="no_permission")
    value = field_value(contact, field)
    audit.record(
        "personal_data.viewed",
        subject=contact,
        actor=actor,
        data={"contact": contact.pk, "customer": contact.customer_id, "field": field},
    )
    return value


# ---------------------------------------------------------------------------------------------
# Consent


@transaction.atomic
def add_consent(contact: Contact, *, actor, purpose: str, lawful_basis: str, notice_version: str, given_at: dt.date) -> Consent:
    if contact.erased_at:
        raise DomainError(_("This contact has been erased."), code="erased")
    purpose = (purpose or "").strip()
    notice_version = (notice_version or "").strip()
    if not purpose:
        raise DomainError(_("State the purpose of the collection."), field="purpose", code="required")
    if lawful_basis not in dict(LawfulBasis.CHOICES):
        raise DomainError(_("Choose a lawful basis from the list."), field="lawful_basis", code="invalid")
    if not notice_version:
        raise DomainError(_("State the version of the privacy notice the person was given."), field="notice_version", code="required")
    if given_at is None:
        raise DomainError(_("State the date the consent was given."), field="given_at", code="required")
    if given_at > timezone.localdate():
        raise DomainError(_("The date of consent cannot be in the future."), field="given_at", code="future")
    consent = Consent.objects.create(
        contact=contact, purpose=purpose, lawful_basis=lawful_basis, notice_version=notice_version, given_at=given_at
    )
    audit.record(
        "personal_data.consent_given",
        subject=contact,
        actor=actor,
        data={
            "contact": contact.pk,
            "consent": consent.pk,
            "purpose": purpose,
            "lawful_basis": lawful_basis,
            "notice_version": notice_version,
            "given_at": given_at.isoformat(),
        },
    )
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, actor, when: dt.date | None = None) -> Consent:
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at:
        raise DomainError(_("This consent has already been withdrawn."), code="withdrawn")
    when = when or timezone.localdate()
    if when < consent.given_at:
        raise DomainError(_("A consent cannot be withdrawn before it was given."), field="withdrawn_at", code="invalid")
    if when > timezone.localdate():
        raise DomainError(_("The date of withdrawal cannot be in the future."), field="withdrawn_at", code="future")
    consent.withdrawn_at = when
    consent.save(update_fields=["withdrawn_at"])
    audit.record(
        "personal_data.consent_withdrawn",
        subject=consent.contact,
        actor=actor,
        data={"contact": consent.contact_id, "consent": consent.pk, "purpose": consent.purpose, "withdrawn_at": when.isoformat()},
    )
    _answers(consent.contact, "withdrawal", actor)
    return consent


def active_consents(contact: Contact):
    return contact.consents.filter(withdrawn_at__isnull=True)


# ---------------------------------------------------------------------------------------------
# Export for the data subject


def subject_data(contact: Contact) -> dict:
    """Everything the archive holds about the person, for a data-subject request."""
    fields = [
        "name",
        "title",
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
    ]
    return {
        "contact": {
            "id": contact.pk,
            **{f: (contact.is_primary if f == "is_primary" else field_value(contact, f)) for f in fields},
            "decision_role_label": contact.get_decision_role_display() if contact.decision_role else "",
            "customer": contact.customer.name,
            "department": contact.department.name if contact.department_id else "",
        },
        "field_labels": {f: str(Contact._meta.get_field(f).verbose_name) for f in fields},
        "consents": [
            {
                "purpose": c.purpose,
                "lawful_basis": c.lawful_basis,
                "lawful_basis_label": LawfulBasis.label(c.lawful_basis),
                "notice_version": c.notice_version,
                "given_at": c.given_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
            for c in contact.consents.order_by("given_at", "pk")
        ],
        "changes": [
            {"date": timezone.localtime(h.history_date).isoformat(), "kind": h.history_type}
            for h in contact.history.order_by("history_date", "history_id")
        ],
        "exported_at": timezone.localtime().isoformat(),
    }


@transaction.atomic
def export_subject_data(contact: Contact, *, actor, fmt: str = "json") -> tuple[str, bytes, str]:
    """(filename, content, content type) of the contact's data; writes `personal_data.exported`."""
    if not can_see_personal(actor):
        raise NotAllowed(_("You may not see personal information."), code="no_permission")
    if fmt not in ("json", "xlsx"):
        raise DomainError(_("Choose JSON or xlsx."), field="format", code="invalid")
    if contact.erased_at:
        raise DomainError(_("This contact has been erased; there is no personal data left to export."), code="erased")
    data = subject_data(contact)
    if fmt == "json":
        import json

        content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        ctype = "application/json; charset=utf-8"
    else:
        content = _subject_xlsx(data)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit.record(
        "personal_data.exported",
        subject=contact,
        actor=actor,
        data={"contact": contact.pk, "customer": contact.customer_id, "format": fmt},
    )
    _answers(contact, "export", actor)
    return f"contact-{contact.pk}.{fmt}", content, ctype


def _answers(contact: Contact, action: str, actor) -> None:
    from .privacy_requests import answered_by

    answered_by(contact, action, actor=actor)


def _cell(value) -> Any:
    """Formula-injection safe cell value."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _subject_xlsx(data: dict) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Personal data"))[:31]
    ws.append([str(_("Field")), str(_("Value"))])
    labels = data["field_labels"]
    for key, value in data["contact"].items():
        if key in ("id", "decision_role"):
            continue
        label = labels.get(key) or {
            "customer": str(_("customer")),
            "department": str(_("department")),
            "decision_role_label": str(_("decision role")),
        }.get(key, key)
        ws.append([_cell(label), _cell(value if not isinstance(value, bool) else (str(_("Yes")) if value else str(_("No"))))])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 60
    cs = wb.create_sheet(str(_("Consents"))[:31])
    cs.append([str(_("purpose")), str(_("lawful basis")), str(_("notice version")), str(_("date given")), str(_("withdrawn"))])
    for c in data["consents"]:
        cs.append([_cell(c["purpose"]), _cell(c["lawful_basis_label"]), _cell(c["notice_version"]), c["given_at"], c["withdrawn_at"] or ""])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Correction

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def validate_id_number(value: str) -> str:
    """A mainland resident ID number (GB 11643-1999: 18 characters with check digit, or the old
    15 digits); returns it normalised (upper-case X, full-width digits accepted)."""
    v = re.sub(r"\s", "", value.translate(_FULLWIDTH)).upper().replace("Ｘ", "X")
    if re.fullmatch(r"\d{15}", v):
        return v
    if not re.fullmatch(r"\d{17}[\dX]", v):
        raise DomainError(_("An ID number has 18 characters (or 15 digits for an old card)."), field="id_number", code="invalid")
    total = sum(int(d) * w for d, w in zip(v[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != v[-1]:
        raise DomainError(_("This ID number is not valid: its check digit does not match."), field="id_number", code="invalid")
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise DomainError(_("This ID number does not contain a valid date of birth."), field="id_number", code="invalid") from None
    return v


def _normalise(field: str, value):
    """Validates one corrected value (A1's validators when present, else a local check)."""
    from django.core.exceptions import ValidationError

    if field in ("birthday",):
        if value and value > timezone.localdate():
            raise DomainError(_("A birthday cannot be in the future."), field=field, code="invalid")
        return value or None
    value = (value or "").strip()
    if not value:
        return ""
    try:
        from . import validators
    except ImportError:
        validators = None
    if field == "id_number":
        fn = getattr(validators, "validate_id_number", None) if validators else None
        if fn is None:
            return validate_id_number(value)
        try:
            return fn(value)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field=field, code="invalid") from None
    if field in ("mobile", "phone"):
        fn = getattr(validators, f"normalize_{field}", None) if validators else None
        if fn is not None:
            try:
                return fn(value)
            except ValidationError as exc:
                raise DomainError(" ".join(exc.messages), field=field, code="invalid") from None
        if field == "mobile":
            digits = _digits(value)
            if not _MOBILE.match(digits):
                raise DomainError(_("Enter a mainland mobile number of 11 digits starting with 1."), field=field, code="invalid")
            return digits
    return value


@transaction.atomic
def correct_contact(contact: Contact, *, actor, data: dict, reason: str = "") -> list[str]:
    """Corrects the contact's personal details at the person's request; returns the fields
    changed and writes `personal_data.corrected` (field names only, no values)."""
    if not can_see_personal(actor):
        raise NotAllowed(_("You may not see personal information."), code="no_permission")
    given, contact = contact, Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at:
        raise DomainError(_("This contact has been erased."), code="erased")
    changed = []
    for field, raw in data.items():
        if field not in CORRECTABLE_FIELDS:
            raise DomainError(_("This field cannot be corrected here."), field=field, code="invalid_field")
        current = getattr(contact, field)
        if field == "birthday" and raw == current:
            continue
        if field != "birthday" and (raw or "").strip() == (current or ""):
            continue
        value = _normalise(field, raw)
        if field == "name" and not value:
            raise DomainError(_("A contact needs a name."), field="name", code="required")
        if getattr(contact, field) != value:
            setattr(contact, field, value)
            changed.append(field)
    if not changed:
        return []
    contact._change_reason = (reason or "")[:100] or None
    contact.save()
    audit.record(
        "personal_data.corrected",
        subject=contact,
        actor=actor,
        data={"contact": contact.pk, "customer": contact.customer_id, "fields": changed, "reason": reason or ""},
    )
    _answers(contact, "correction", actor)
    given.refresh_from_db()
    return changed


# ---------------------------------------------------------------------------------------------
# Erasure


def _blank(field: str):
    return None if field == "birthday" else ""


@transaction.atomic
def erase_contact(contact: Contact, *, actor, reason: str) -> Contact:
    """Anonymises the contact at the person's request (F-SEC-3): identifying fields blanked,
    name replaced, erased_at set; their field-history rows keep who changed what and when, but
    no longer the values. Consents stay (they record the lawful basis of past processing)."""
    if not can_erase(actor):
        raise NotAllowed(_("You may not erase personal data."), code="no_permission")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("State the reason for the erasure (for example the person's request and its date)."), field="reason")
    given, contact = contact, Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at:
        raise DomainError(_("This contact has already been erased."), code="erased")
    anonymous = ERASED_NAME.format(pk=contact.pk)
    blanks = {f: _blank(f) for f in ERASED_FIELDS}
    for field, value in blanks.items():
        setattr(contact, field, value)
    contact.name = anonymous
    contact.erased_at = timezone.now()
    contact._change_reason = None
    contact.save()

    from guanxi.core.appendonly import erasure

    history_model = Contact.history.model
    with erasure():
        rows = history_model.objects.filter(id=contact.pk).update(name=anonymous, history_change_reason=None, **blanks)

    audit.record(
        "personal_data.erased",
        subject=contact,
        actor=actor,
        data={
            "contact": contact.pk,
            "customer": contact.customer_id,
            "reason": reason,
            "fields": ["name", *ERASED_FIELDS],
            "history_rows": rows,
        },
    )
    _answers(contact, "erasure", actor)
    given.refresh_from_db()
    return contact
