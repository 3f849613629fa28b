"""Customer search (F-CUS-10): name, full pinyin, pinyin initials ("hxgt" finds 华新钢铁),
phone, contact mobile, credit code, contact name — always within the user's data scope.

Speed at a million customers: every branch is an equality or prefix match on an indexed key
column maintained on save (services.refresh_keys): name_key, pinyin, initials, phone_key,
credit_code, and contact name/mobile. (On PostgreSQL Django adds a *_like pattern index to
each indexed CharField, so `startswith` is an index range scan.) Substring matches inside a
name or its pinyin run only on PostgreSQL, with the pg_trgm GIN indexes of migration
0004_search_indexes, and only for queries long enough to give trigrams; on SQLite (the small
embedded default) they run as plain LIKE.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q

from .models import Contact, Customer
from .normalize import fold, has_han, name_key, phone_key, pinyin_keys, query_digits
from .validators import clean_credit_code

CONTACT_HITS_MAX = 500  # contact matches turned into customer ids (keeps the IN list short)
_PHONE_LIKE = re.compile(r"^[\d\s\-+()（）转#]+$")
_LETTERS = re.compile(r"^[a-z][a-z\s']*$")
_CODE_LIKE = re.compile(r"^(?=.*\d)[0-9A-Z]{6,18}$")


def _trigram_ready() -> bool:
    return connection.vendor == "postgresql"


def _text(q: str | None) -> str:
    return " ".join(fold(q).split())


def search_q(q: str | None) -> Q | None:
    """The filter for query `q` on Customer, or None when `q` is empty."""
    cond = quick_q(q)
    inside = han_inside_q(q)
    return cond | inside if cond is not None and inside is not None else cond


def han_inside_q(q: str | None) -> Q | None:
    """Chinese text of two characters anywhere in the name ("钢铁", or "钢铁集团" whose suffix the
    name key drops), which the name key's trigrams cannot find: the trigram index on the
    pinyin finds the candidates, the name itself confirms them (no homophones). Only then:
    a longer pinyin holds trigrams such as "ang" that most names share, and reading their
    index entries cost more than the rest of the search. None when it does not apply."""
    text = _text(q)
    if not has_han(text):
        return None
    if not _trigram_ready():
        return Q(name__contains=text)
    key = name_key(text) or text.lower()
    spelled = pinyin_keys(text)[0]
    if len(spelled) >= 3 and len(key) < 3:
        return Q(pinyin__contains=spelled) & Q(name__contains=text)
    return None


def quick_q(q: str | None, via_contacts: set[int] | None = None) -> Q | None:
    """search_q without han_inside_q. The ids of customers found through a contact's name or
    mobile are added to `via_contacts` when given."""
    text = _text(q)
    if not text:
        return None
    cond = Q(pk__in=[])  # grows by OR
    lower = text.lower()
    substring_ok = not _trigram_ready()

    # Credit code: the whole code, or its beginning.
    code = clean_credit_code(text)
    if _CODE_LIKE.match(code):
        cond |= Q(credit_code=code) if len(code) == 18 else Q(credit_code__startswith=code)

    # Phone numbers: customer phone key, contact mobile.
    digits = query_digits(text)
    if _PHONE_LIKE.match(text) and len(digits) >= 7:
        key = phone_key(text)
        if key:
            cond |= Q(phone_key=key)
            if len(key) == 11 and key.startswith("1"):
                cond |= _contact_ids(Contact.objects.filter(mobile=key), via_contacts)
        else:
            cond |= Q(phone_key__startswith=digits)
            if digits.startswith("1"):
                cond |= _contact_ids(Contact.objects.filter(mobile__startswith=digits), via_contacts)

    # Pinyin and initials (letters only): prefix of the full pinyin or of the initials.
    compact = lower.replace(" ", "").replace("'", "")
    if _LETTERS.match(lower):
        cond |= Q(initials__startswith=compact) | Q(pinyin__startswith=compact)
        if len(compact) >= 4 or substring_ok:
            cond |= Q(pinyin__contains=compact)

    # Names: the normalised name key, its beginning or (long enough) any part of it.
    key = name_key(text) or lower
    if key and not (digits and len(digits) == len(key) and len(key) >= 7):
        cond |= Q(name_key__startswith=key)
        if len(key) >= 3 or substring_ok:
            cond |= Q(name_key__contains=key)
    # Contact names: equal or beginning with the query.
    if has_han(text) or _LETTERS.match(lower):
        cond |= _contact_ids(Contact.objects.filter(Q(name=text) | Q(name__startswith=text)), via_contacts)
    return cond


def _contact_ids(contacts, via_contacts: set[int] | None = None) -> Q:
    # Evaluated here: a short literal id list lets the database combine index scans (an
    # IN (subquery) inside an OR would force a scan of every customer).
    ids = list(contacts.order_by().values_list("customer_id", flat=True).distinct()[:CONTACT_HITS_MAX])
    if via_contacts is not None:
        via_contacts.update(ids)
    return Q(pk__in=ids)


def apply(queryset, q: str | None):
    """`queryset` (Customer, already restricted) narrowed to the matches of `q`."""
    cond = search_q(q)
    if cond is None:
        return queryset
    return queryset.filter(cond)


# Matches gathered without an order before the newest are picked in Python (see hit_ids()).
CANDIDATES_MAX = 1000


def search(user, q: str | None, *, limit: int | None = None):
    """Live customers matching `q` that `user` may view, newest first; empty for an empty
    query. Without `limit` a queryset to slice or paginate; with it, a list of at most `limit`
    (see hit_ids)."""
    if not limit:
        base = Customer.objects.restrict(user, "view").live()
        return base.filter(search_q(q)).select_related("owner", "unit").order_by("-id") if _text(q) else base.none()
    ids = hit_ids(user, q, limit)
    return list(Customer.objects.filter(pk__in=ids).select_related("owner").order_by("-id")) if ids else []


def hit_ids(user, q: str | None, limit: int, via_contacts: set[int] | None = None) -> list[int]:
    """Ids of the newest `limit` live customers matching `q` that `user` may view, newest first.

    "ORDER BY id DESC LIMIT n" tempts PostgreSQL to walk the primary key backwards until n
    rows pass the OR of the search conditions, which is quick when many customers match and
    reads a hundred thousand rows when a few hundred do (a contact's common name). So the
    matching ids are read first, unordered, through the conditions' indexes; only when there
    are more than CANDIDATES_MAX of them does the ordered query run, and then it finds its
    rows early.

    Two Chinese characters anywhere in a name are left out at first: their trigram candidates
    can cost 40 ms for a common pinyin such as "fengfeng", and a two-character person's name
    (冯峰) already fills the list from its contacts. Only when the other branches find fewer
    than `limit` customers does it look inside names too.

    `via_contacts` (when given) receives the ids of customers found through a contact."""
    if not _text(q):
        return []
    base = Customer.objects.restrict(user, "view").live()
    cond = quick_q(q, via_contacts)
    ids = _candidate_ids(base, cond)
    inside = han_inside_q(q) if len(ids) < limit else None
    if inside is not None:
        cond |= inside
        ids = _candidate_ids(base, cond)
    if len(ids) > CANDIDATES_MAX:
        return list(base.filter(cond).order_by("-id").values_list("pk", flat=True)[:limit])
    return sorted(ids, reverse=True)[:limit]


def _candidate_ids(base, cond) -> list[int]:
    return list(base.filter(cond).order_by().values_list("pk", flat=True)[: CANDIDATES_MAX + 1])


def matching_contacts(user, q: str | None, customer_ids) -> dict[int, tuple[str, str]]:
    """For hits found through a contact: customer id → (the contact's name, masked mobile) of
    the first contact whose name or mobile matches `q`, among the contacts `user` may view."""
    from .privacy import masked_value, personal_fields

    text = _text(q)
    if not customer_ids or not text or not user.has_perm("customers.view_contact"):
        return {}
    cond = Q(name=text) | Q(name__startswith=text)
    digits = query_digits(text)
    if _PHONE_LIKE.match(text) and len(digits) >= 7:
        cond = Q(mobile__startswith=phone_key(text) or digits)
    contacts = Contact.objects.restrict(user, "view").filter(cond, customer_id__in=list(customer_ids), erased_at__isnull=True)
    found: dict[int, tuple[str, str]] = {}
    hide_mobile = "mobile" in personal_fields()
    for contact in contacts.order_by("customer_id", "-is_primary", "name", "pk").only("customer_id", "name", "mobile"):
        found.setdefault(contact.customer_id, (contact.name, masked_value(contact, "mobile") if hide_mobile else contact.mobile))
    return found
