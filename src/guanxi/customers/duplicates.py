"""Duplicate check 查重 (F-CUS-6): does a customer like this one already exist?

`find_duplicates(data)` looks across the whole database, whatever the asking user's scope:
a rep must learn that a customer is already someone else's. A hit therefore carries only what
may be shown to anybody — the customer's id, name, owner's name, why it matched and whether it
is blacklisted — never other details of a record the user may not see.

Matching (each a B-tree lookup, so one check stays within a few milliseconds at 1M rows; the
same on PostgreSQL and SQLite):
- the same unified social credit code;
- the same phone key (digits of a mainland number) between the new record's phone / mobile /
  contacts' numbers and an existing customer's phone or a contact's mobile;
- the same name key (normalised: full/half width, case, spaces, punctuation, company suffixes);
- a similar name:
  - the same trade name 字号 (`Customer.trade_key`, normalize.trade_key: the name without
    region, industry words and company form), e.g. 南京宏达新材料科技有限公司 and
    苏州宏达贸易有限公司 (both 宏达); the candidates most like the new name key come first;
  - an existing name key contained in the new one (keys of 4 characters or more: an IN over
    the new key's substrings), e.g. 华新钢铁 in 武汉华新钢铁.
  No trigram or LIKE '%…%' search here: on common trigrams (科技, 新材料) the pg_trgm index reads
  posting lists of hundreds of thousands of rows (over 100 ms). The archive scan
  (tasks_duplicates) groups by credit code, name key and phone, set-based.

Merged records (merged_into set) are never hits. After the lookups, one query reads the hits'
names, statuses and owners and one per registered flag function (HIT_FLAGS) marks them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Value, When
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


MIN_CONTAINMENT_LENGTH = 4  # name keys shorter than this are not looked for inside the new one
MIN_TRADE_KEY_LENGTH = 2  # a trade name of one character says nothing
TRADE_CANDIDATES = 100  # same-trade-name rows read and ranked by likeness to the new name


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


def trade_key(name: str) -> str:
    return _normalize().trade_key(name or "") if name else ""


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


def _substrings(key: str, minimum: int) -> set[str]:
    """Every substring of `key` at least `minimum` long (bounded: keys are short)."""
    key = key[:30]
    return {key[i:j] for i in range(len(key)) for j in range(i + minimum, len(key) + 1)}


def _likeness(key: str, other: str) -> tuple[int, int]:
    """Sort key, most alike first: characters in common, then the closer length (cheap: no
    edit distance over a hundred candidates)."""
    return (-len(set(key) & set(other)), abs(len(other) - len(key)))


def _name_matches(qs, key: str, trade: str, limit: int) -> tuple[list[int], list[int]]:
    """(ids with the same name key, ids with a similar name, most alike first) in two indexed
    queries: one IN over the name key and its substrings (an existing name contained in the
    new one, keys of 4 characters or more), the exact key sorted first; and one B-tree range of
    customer_trade_key_idx for the same trade name — a common one (宏达) has hundreds of rows at
    1M customers, so a bounded number is read and the names most like the new one are kept."""
    keys = {key}
    if len(key) >= MIN_CONTAINMENT_LENGTH:
        keys |= _substrings(key, MIN_CONTAINMENT_LENGTH)
    exact_first = Case(When(name_key=key, then=Value(0)), default=Value(1), output_field=IntegerField())
    same: list[int] = []
    similar: dict[int, str] = {}
    for pk, other in qs.filter(name_key__in=keys).order_by(exact_first).values_list("pk", "name_key")[: 2 * limit]:
        if other == key:
            same.append(pk)
        else:
            similar[pk] = other
    if len(trade) >= MIN_TRADE_KEY_LENGTH:
        rows = qs.filter(trade_key=trade).exclude(name_key=key).order_by().values_list("pk", "name_key")[:TRADE_CANDIDATES]
        similar.update(rows)
    ranked = sorted(similar.items(), key=lambda item: (*_likeness(key, item[1]), item[0]))
    return same[:limit], [pk for pk, _k in ranked[:limit]]


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
        note(qs.filter(credit_code=code).order_by().values_list("pk", flat=True)[:limit], CREDIT_CODE)

    phones = _phone_keys(data, contacts)
    if phones:
        for pk, key in qs.filter(phone_key__in=phones).order_by().values_list("pk", "phone_key")[:limit]:
            note([pk], phones[key])
        mobiles = [k for k in phones if len(k) == 11 and k.startswith("1")]
        if mobiles:
            rows = (
                Contact.objects.filter(mobile__in=mobiles, customer__in=qs.values("pk"))
                .order_by()
                .values_list("customer_id", "mobile")
                .distinct()[:limit]
            )
            for pk, mobile in rows:
                note([pk], phones.get(mobile, MOBILE))

    key = name_key(data.get("name", ""))
    similar: list[int] = []
    if key:
        same, similar = _name_matches(qs, key, trade_key(data.get("name", "")), limit)
        note(same, NAME)
        note(similar, SIMILAR_NAME)

    if not found:
        return []
    # Strongest first; similar names in their likeness order, the rest by id. The order needs
    # only the reasons, so just the shown hits are read: one query, and one per flag function.
    rank = {pk: i for i, pk in enumerate(similar)}
    reasons = {pk: tuple(r for r in REASONS if r in found[pk]) for pk in found}
    shown = sorted(found, key=lambda pk: (REASONS.index(reasons[pk][0]), -len(reasons[pk]), rank.get(pk, 0), pk))[:limit]
    rows = {
        row[0]: row
        for row in Customer.objects.filter(pk__in=shown)
        .order_by()
        .values_list("pk", "name", "status", "owner__full_name", "owner__username")
    }
    flags = hit_flags(rows)
    return [
        Hit(
            id=pk,
            name=name,
            owner=full_name or username or "",
            reasons=reasons[pk],
            blacklisted=status == Status.BLACKLISTED,
            flags=tuple(flags.get(pk, ())),
        )
        for pk, name, status, full_name, username in (rows[pk] for pk in shown if pk in rows)
    ]


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
