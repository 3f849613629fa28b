"""Duplicate check 查重 (F-CUS-6): does a customer like this one already exist?

`find_duplicates(data)` looks across the whole database, whatever the asking user's scope:
a rep must learn that a customer is already someone else's. A hit therefore carries only what
may be shown to anybody — the customer's id, name, owner's name, why it matched and whether it
is blacklisted — never other details of a record the user may not see.

Matching (each an indexed lookup, so one check stays within a few milliseconds at 1M rows):
- the same unified social credit code;
- the same phone key (digits of a mainland number) between the new record's phone / mobile /
  contacts' numbers and an existing customer's phone or a contact's mobile;
- the same name key (normalised: full/half width, case, spaces, punctuation, company suffixes);
- a similar name: one name key containing the other (names of 4 characters or more), and on
  PostgreSQL with a pg_trgm index on name_key, trigram similarity.

Merged records (merged_into set) are never hits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guanxi.core.errors import DomainError

# Reasons, in the order they are shown.
CREDIT_CODE = "credit_code"
PHONE = "phone"
MOBILE = "mobile"
NAME = "name"
SIMILAR_NAME = "similar_name"
REASONS = (CREDIT_CODE, PHONE, MOBILE, NAME, SIMILAR_NAME)
REASON_LABELS = {
    CREDIT_CODE: _("same unified social credit code"),
    PHONE: _("same phone number"),
    MOBILE: _("same mobile number"),
    NAME: _("same name"),
    SIMILAR_NAME: _("similar name"),
}

MAX_HITS = 20

# Other apps mark hits (e.g. the blacklist): fn(customer ids) -> {id: [label, …]}, registered in
# their AppConfig.ready(); one query for all ids, so the check stays fast.
HIT_FLAGS: dict[str, Callable[[list[int]], dict[int, list[str]]]] = {}


def register_hit_flags(key: str, fn: Callable[[list[int]], dict[int, list[str]]]) -> None:
    HIT_FLAGS[key] = fn


def hit_flags(ids: Iterable[int]) -> dict[int, list[str]]:
    """{customer id: labels} from every registered flag function (a failing one is left out)."""
    ids = list(ids)
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    for key, fn in HIT_FLAGS.items():
        try:
            for pk, labels in fn(ids).items():
                out.setdefault(pk, []).extend(str(label) for label in labels)
        except Exception:  # an extension's bug must not break the duplicate check
            logging.getLogger(__name__).exception("duplicate hit flags %r failed", key)
    return out


MIN_CONTAINMENT_LENGTH = 4  # names shorter than this only match exactly
SIMILARITY = 0.6  # trigram similarity for a "similar name" on PostgreSQL


@dataclass(frozen=True)
class Hit:
    """A possible duplicate. Only these fields: nothing else of an out-of-scope record leaks."""

    id: int
    name: str
    owner: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    blacklisted: bool = False
    flags: tuple[str, ...] = field(default_factory=tuple)  # e.g. "Company blacklist" (HIT_FLAGS)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reasons]

    @property
    def strong(self) -> bool:
        """Matched on an identifier (credit code, phone) or the exact normalised name."""
        return any(r != SIMILAR_NAME for r in self.reasons)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "reasons": list(self.reasons),
            "blacklisted": self.blacklisted,
            "flags": list(self.flags),
        }


class DuplicateFound(DomainError):
    """Raised by the create/update/import services when possible duplicates exist and the caller
    did not confirm them. `.hits` lists them."""

    status = 409

    def __init__(self, hits: list[Hit], message=None):
        names = "、".join(h.name for h in hits[:3])
        if message is None:
            message = ngettext(
                "A similar customer already exists: %(names)s.",
                "%(count)d similar customers already exist: %(names)s.",
                len(hits),
            ) % {"count": len(hits), "names": names}
        super().__init__(message, field="name", code="duplicate", params={"hits": [h.as_dict() for h in hits]})
        self.hits = hits


# ---------------------------------------------------------------- normalisation helpers


def _normalize():
    from . import normalize

    return normalize


def name_key(name: str) -> str:
    return _normalize().name_key(name or "") if name else ""


def phone_key(raw: str) -> str:
    if not raw:
        return ""
    try:
        return _normalize().phone_key(raw) or ""
    except Exception:
        return ""


def credit_code_key(code: str) -> str:
    """The credit code as stored: half width, upper case, no spaces or dashes."""
    if not code:
        return ""
    from .validators import clean_credit_code

    return clean_credit_code(str(code))


def _phone_keys(data: dict, contacts: Iterable[dict]) -> dict[str, str]:
    """phone key -> reason (mobile wins over phone when a number appears as both)."""
    keys: dict[str, str] = {}

    def add(raw, reason):
        key = phone_key(raw)
        if len(key) >= 7 and keys.get(key) != MOBILE:
            keys[key] = reason

    add(data.get("phone"), PHONE)
    add(data.get("mobile"), MOBILE)
    for contact in contacts or ():
        if not contact:
            continue
        add(contact.get("phone"), PHONE)
        add(contact.get("mobile"), MOBILE)
    return keys


# ---------------------------------------------------------------- similar names


_TRGM_INDEXED: bool | None = None


def trigram_available() -> bool:
    """PostgreSQL with a pg_trgm (GIN or GiST) index on customers_customer.name_key."""
    global _TRGM_INDEXED
    if connection.vendor != "postgresql":
        return False
    if _TRGM_INDEXED is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE tablename = 'customers_customer' AND indexdef LIKE %s LIMIT 1",
                ["%name_key%trgm_ops%"],
            )
            _TRGM_INDEXED = cursor.fetchone() is not None
    return _TRGM_INDEXED


def _substrings(key: str, minimum: int) -> set[str]:
    """Every substring of `key` at least `minimum` long (bounded: keys are short)."""
    key = key[:30]
    return {key[i:j] for i in range(len(key)) for j in range(i + minimum, len(key) + 1)}


def _similar_name_ids(qs, key: str, limit: int) -> list[int]:
    ids: list[int] = []
    if len(key) < MIN_CONTAINMENT_LENGTH:
        return ids
    # An existing name contained in the new one: an indexed IN over the new name's substrings.
    parts = _substrings(key, MIN_CONTAINMENT_LENGTH) - {key}
    if parts:
        ids += list(qs.filter(name_key__in=parts).order_by().values_list("pk", flat=True)[:limit])
    # The new name contained in an existing one, or trigram-similar: needs a trigram index on
    # PostgreSQL (a LIKE '%…%' scan is fine on the small embedded SQLite database).
    if trigram_available():
        # One condition on the table itself (not `id IN (subquery)`): the planner answers it with
        # the trigram index at a million rows and cannot pick a per-row subplan on a fresh table.
        similar = qs.extra(
            where=[
                "(customers_customer.name_key LIKE %s OR (customers_customer.name_key %% %s AND similarity(customers_customer.name_key, %s) >= %s))"
            ],
            params=[f"%{_like_escape(key)}%", key, key, SIMILARITY],
        ).exclude(name_key=key)
        ids += list(similar.order_by().values_list("pk", flat=True)[:limit])
    elif connection.vendor != "postgresql":
        ids += list(qs.filter(name_key__contains=key).exclude(name_key=key).order_by().values_list("pk", flat=True)[:limit])
    return ids


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------- the check


def find_duplicates(data: dict, *, exclude_pk=None, contacts: Iterable[dict] = (), limit: int = MAX_HITS) -> list[Hit]:
    """Possible duplicates of a customer described by `data` (form or API field names: name,
    credit_code, phone, mobile) and its `contacts` (dicts with mobile / phone), across the whole
    database. Strongest matches first; at most `limit`."""
    from .models import Contact, Customer, Status

    data = data or {}
    qs = Customer.objects.live()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    found: dict[int, set[str]] = {}

    def note(ids, reason):
        for pk in ids:
            found.setdefault(pk, set()).add(reason)

    code = credit_code_key(data.get("credit_code", ""))
    if code:
        note(qs.filter(credit_code=code).values_list("pk", flat=True)[:limit], CREDIT_CODE)

    phones = _phone_keys(data, contacts)
    if phones:
        for pk, key in qs.filter(phone_key__in=phones).values_list("pk", "phone_key")[:limit]:
            note([pk], phones[key])
        mobiles = [k for k in phones if len(k) == 11 and k.startswith("1")]
        if mobiles:
            rows = (
                Contact.objects.filter(mobile__in=mobiles, customer__in=qs.values("pk"))
                .values_list("customer_id", "mobile")
                .distinct()[:limit]
            )
            for pk, mobile in rows:
                note([pk], phones.get(mobile, MOBILE))

    key = name_key(data.get("name", ""))
    if key:
        note(qs.filter(name_key=key).values_list("pk", flat=True)[:limit], NAME)
        similar = [pk for pk in _similar_name_ids(qs, key, limit) if NAME not in found.get(pk, ())]
        note(similar, SIMILAR_NAME)

    if not found:
        return []
    rows = Customer.objects.filter(pk__in=list(found)).values_list("pk", "name", "status", "owner__full_name", "owner__username")
    flags = hit_flags(found)
    hits = [
        Hit(
            id=pk,
            name=name,
            owner=full_name or username or "",
            reasons=tuple(r for r in REASONS if r in found[pk]),
            blacklisted=status == Status.BLACKLISTED,
            flags=tuple(flags.get(pk, ())),
        )
        for pk, name, status, full_name, username in rows
    ]
    hits.sort(key=lambda h: (min(REASONS.index(r) for r in h.reasons), -len(h.reasons), h.id))
    return hits[:limit]


def check(data: dict, *, exclude_pk=None, contacts: Iterable[dict] = (), confirm: bool = False) -> list[Hit]:
    """For services: raise DuplicateFound when there are hits and `confirm` is false; returns the
    hits (for an audit note) when confirmed."""
    hits = find_duplicates(data, exclude_pk=exclude_pk, contacts=contacts)
    if hits and not confirm:
        raise DuplicateFound(hits)
    return hits


# ---------------------------------------------------------------- archive findings


def dismiss_finding(*, actor, finding, comment: str = ""):
    """Marks an open archive finding as "not a problem"; it stays dismissed while the scan keeps
    finding the same records."""
    from django.db import transaction
    from django.utils import timezone

    from guanxi.core import audit
    from guanxi.core.errors import NotAllowed

    from .models import DuplicateFinding, FindingResolution

    if not (actor.has_perm("customers.merge_customer") or actor.has_perm("customers.archive_customer")):
        raise NotAllowed(_("You may not handle archive findings."))
    with transaction.atomic():
        finding = DuplicateFinding.objects.select_for_update().get(pk=finding.pk)
        if finding.resolved_at is not None:
            raise DomainError(_("This finding has already been resolved."), code="resolved")
        finding.resolved_at, finding.resolved_by, finding.resolution = timezone.now(), actor, FindingResolution.DISMISSED
        finding.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        audit.record(
            "customer.finding_dismissed",
            subject=finding,
            actor=actor,
            data={"kind": finding.kind, "reason": finding.reason, "comment": comment[:500]},
        )
    return finding


__all__ = ["REASON_LABELS", "DuplicateFound", "Hit", "check", "credit_code_key", "dismiss_finding", "find_duplicates"]
