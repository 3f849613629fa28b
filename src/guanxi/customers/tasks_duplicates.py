"""The archive scan (seed 001 §5.2.2, F-CUS-6): every month the customer service department
checks the archive for duplicate, fictitious (虚拟) and mis-assigned (乱挂) records.

`scan()` finds them with set-based SQL (GROUP BY … HAVING COUNT > 1 and filtered queries, never
a Python loop over customers) and keeps one DuplicateFinding per thing found, identified by a
key: running it again refreshes `last_seen_at` instead of adding rows, and open findings no
longer detected are resolved as "gone". A finding someone dismissed stays dismissed as long as
the same records match.

The periodic job runs daily and scans on the policy's day of the month
(`deadlines.duplicate_scan_day_of_month`; on a shorter month's last day); the duplicates page
has a button to scan at once.
"""

from __future__ import annotations

import calendar
import hashlib
import itertools
import logging
from collections import defaultdict
from datetime import timedelta

from celery import shared_task
from django.db import connection, transaction
from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Value
from django.db.models.functions import Mod, StrIndex, Substr, Upper
from django.db.models.lookups import StartsWith
from django.utils import timezone

from guanxi.core import audit, context
from guanxi.core.periodic import crontab, periodic

log = logging.getLogger(__name__)

CLAUSE = "deadlines.duplicate_scan_day_of_month"
# Names made of these words look like test or made-up records.
TEST_WORDS = ("测试", "test", "虚拟", "xxx", "假客户", "演示", "demo客户")
# A record younger than this is not yet called fictitious for lacking contacts (it is still
# being filled in; the filing and completeness checks chase it meanwhile).
FICTITIOUS_GRACE_DAYS = 30

# Reason codes (DuplicateFinding.reason holds them comma-separated).
R_CREDIT_CODE = "credit_code"
R_PHONE = "phone"
R_NAME = "name"
R_TEST_NAME = "test_name"
R_NO_CONTACT = "no_contact"
R_INVALID_CREDIT_CODE = "invalid_credit_code"
R_OWNER_INACTIVE = "owner_inactive"
R_OWNER_OUTSIDE_UNIT = "owner_outside_unit"

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


def _key(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


# ---------------------------------------------------------------- duplicates


def _groups(rows) -> list[list[int]]:
    """rows: (group value, customer id) ordered by value → lists of 2+ customer ids."""
    out = []
    for _value, members in itertools.groupby(rows, key=lambda r: r[0]):
        ids = sorted({pk for _v, pk in members})
        if len(ids) > 1:
            out.append(ids)
    return out


def _grouped_by(field: str) -> list[list[int]]:
    from .models import Customer

    live = Customer.objects.live().exclude(**{field: ""})
    values = live.values(field).annotate(n=Count("id")).filter(n__gt=1).values(field)
    rows = live.filter(**{f"{field}__in": values}).order_by(field, "id").values_list(field, "id")
    return _groups(rows.iterator(chunk_size=5000))


def _phone_groups() -> list[list[int]]:
    """Customers sharing a number: a customer's phone key or a contact's mobile."""
    from .models import Contact, Customer

    cu, co = Customer._meta.db_table, Contact._meta.db_table
    sql = f"""
        WITH u AS (
            SELECT phone_key AS k, id AS cid FROM {cu} WHERE phone_key <> '' AND merged_into_id IS NULL
            UNION
            SELECT c.mobile AS k, c.customer_id AS cid FROM {co} c JOIN {cu} x ON x.id = c.customer_id
            WHERE c.mobile <> '' AND x.merged_into_id IS NULL
        )
        -- A window count, not a self-join of the CTE: a CTE has no index or statistics, so the
        -- join could become a nested loop over every pair of numbers.
        , counted AS (SELECT k, cid, COUNT(*) OVER (PARTITION BY k) AS n FROM u)
        SELECT k, cid FROM counted WHERE n > 1
        ORDER BY k, cid
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return _groups(iter(cursor.fetchall()))


def duplicate_findings() -> dict[str, tuple[str, list[int]]]:
    """key → (reasons, customer ids) for each set of customers matching each other."""
    by_ids: dict[tuple[int, ...], set[str]] = defaultdict(set)
    for reason, groups in (
        (R_CREDIT_CODE, _grouped_by("credit_code")),
        (R_NAME, _grouped_by("name_key")),
        (R_PHONE, _phone_groups()),
    ):
        for ids in groups:
            by_ids[tuple(ids)].add(reason)
    order = (R_CREDIT_CODE, R_PHONE, R_NAME)
    return {_key("duplicate", *ids): (",".join(r for r in order if r in reasons), list(ids)) for ids, reasons in by_ids.items()}


# ---------------------------------------------------------------- fictitious-looking


def with_invalid_credit_code(qs):
    """Customers of `qs` whose non-empty credit code is malformed or fails its check character
    (GB 32100-2015), computed in SQL: the weight of character i (0-based) of the first 17 is
    3^i mod 31, and the 18th is (31 - sum mod 31) mod 31."""
    code = Upper("credit_code")
    total = None
    for i in range(17):
        term = (StrIndex(Value(CREDIT_CODE_CHARS), Substr(code, i + 1, 1)) - 1) * pow(3, i, 31)
        total = term if total is None else total + term
    expected = ExpressionWrapper(Mod(31 - Mod(total, 31), 31), output_field=IntegerField())
    actual = ExpressionWrapper(StrIndex(Value(CREDIT_CODE_CHARS), Substr(code, 18, 1)) - 1, output_field=IntegerField())
    return (
        qs.exclude(credit_code="")
        .alias(cc_expected=expected, cc_actual=actual)
        .filter(~Q(credit_code__regex=CREDIT_CODE_PATTERN) | ~Q(cc_expected=F("cc_actual")))
    )


def fictitious_findings(now=None) -> dict[str, tuple[str, list[int]]]:
    from .models import Contact, Customer

    now = now or timezone.now()
    live = Customer.objects.live()
    reasons: dict[int, set[str]] = defaultdict(set)
    words = Q()
    for word in TEST_WORDS:
        words |= Q(name__icontains=word)
    for pk in live.filter(words | Q(name_key__regex=r"^[0-9]*$")).values_list("pk", flat=True).iterator(chunk_size=5000):
        reasons[pk].add(R_TEST_NAME)
    no_contact = live.filter(phone="", created_at__lt=now - timedelta(days=FICTITIOUS_GRACE_DAYS)).exclude(
        Exists(Contact.objects.filter(customer_id=OuterRef("pk")))
    )
    for pk in no_contact.values_list("pk", flat=True).iterator(chunk_size=5000):
        reasons[pk].add(R_NO_CONTACT)
    for pk in with_invalid_credit_code(live).values_list("pk", flat=True).iterator(chunk_size=5000):
        reasons[pk].add(R_INVALID_CREDIT_CODE)
    order = (R_TEST_NAME, R_INVALID_CREDIT_CODE, R_NO_CONTACT)
    return {_key("fictitious", pk): (",".join(r for r in order if r in rs), [pk]) for pk, rs in reasons.items()}


# ---------------------------------------------------------------- mis-assigned


def misassigned_findings(today=None) -> dict[str, tuple[str, list[int]]]:
    """Owner deactivated, or owner without a current position in the owning unit's branch (the
    unit itself, a unit below it or above it)."""
    from guanxi.accounts.models import Position

    from .models import Customer

    today = today or timezone.localdate()
    live = Customer.objects.live().filter(owner__isnull=False)
    reasons: dict[int, set[str]] = defaultdict(set)
    for pk in live.filter(owner__is_active=False).values_list("pk", flat=True).iterator(chunk_size=5000):
        reasons[pk].add(R_OWNER_INACTIVE)
    # The owner works in the owning unit, below it, or above it (a manager owning a team's
    # customer); a unit on another branch is mis-assigned.
    same_branch = Q(unit__path__startswith=OuterRef("unit__path")) | Q(StartsWith(OuterRef("unit__path"), F("unit__path")))
    in_tree = (
        Position.objects.filter(same_branch, user_id=OuterRef("owner_id"))
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )
    outside = live.filter(owner__is_active=True).exclude(Exists(in_tree))
    for pk in outside.values_list("pk", flat=True).iterator(chunk_size=5000):
        reasons[pk].add(R_OWNER_OUTSIDE_UNIT)
    order = (R_OWNER_INACTIVE, R_OWNER_OUTSIDE_UNIT)
    return {_key("misassigned", pk): (",".join(r for r in order if r in rs), [pk]) for pk, rs in reasons.items()}


# ---------------------------------------------------------------- the scan


def _policy():
    from guanxi.policy import services as policy

    return policy.current()


def _store(kind: str, found: dict[str, tuple[str, list[int]]], now, version: int) -> dict[str, int]:
    """Creates new findings, refreshes the ones seen again, resolves open ones not found."""
    from simple_history.utils import bulk_create_with_history

    from .models import DuplicateFinding, FindingResolution

    through = DuplicateFinding.customers.through
    existing: dict[str, tuple[int, str, bool]] = {}
    keys = list(found)
    for start in range(0, len(keys), 2000):
        for pk, key, reason, resolved in DuplicateFinding.objects.filter(kind=kind, key__in=keys[start : start + 2000]).values_list(
            "pk", "key", "reason", "resolved_at"
        ):
            existing[key] = (pk, reason, resolved is not None)
    new = [k for k in keys if k not in existing]
    ctx = context.current()
    stamp = {
        "history_source": ctx.source,
        "history_request_id": ctx.request_id,
        "history_task_id": ctx.task_id,
        "history_ip": ctx.ip,
        "history_user_id": ctx.actor_id,
    }
    created = bulk_create_with_history(
        [
            DuplicateFinding(
                kind=kind,
                key=k,
                reason=found[k][0],
                detail={"reasons": found[k][0].split(",")},
                detected_at=now,
                last_seen_at=now,
                policy_version=version,
                clause=CLAUSE,
            )
            for k in new
        ],
        DuplicateFinding,
        batch_size=1000,
        custom_historical_attrs=stamp,
    )
    if created and created[0].pk is None:  # backends that do not return ids
        ids = dict(DuplicateFinding.objects.filter(kind=kind, key__in=new).values_list("key", "pk"))
    else:
        ids = {f.key: f.pk for f in created}
    through.objects.bulk_create([through(duplicatefinding_id=ids[k], customer_id=cid) for k in new for cid in found[k][1]], batch_size=5000)
    seen = [pk for k, (pk, _r, _res) in existing.items()]
    for start in range(0, len(seen), 2000):
        DuplicateFinding.objects.filter(pk__in=seen[start : start + 2000]).update(last_seen_at=now)
    # Open findings whose reasons changed get the new reasons (with a history row).
    for k, (pk, reason, resolved) in existing.items():
        if not resolved and reason != found[k][0]:
            finding = DuplicateFinding.objects.get(pk=pk)
            finding.reason, finding.detail = found[k][0], {"reasons": found[k][0].split(",")}
            finding.save(update_fields=["reason", "detail"])
    gone = DuplicateFinding.objects.open().filter(kind=kind, last_seen_at__lt=now)
    n_gone = 0
    for finding in gone.iterator(chunk_size=1000):
        finding.resolved_at, finding.resolution = now, FindingResolution.GONE
        finding.save(update_fields=["resolved_at", "resolution"])
        n_gone += 1
    return {"found": len(found), "new": len(new), "gone": n_gone}


@transaction.atomic
def scan(now=None) -> dict[str, dict[str, int]]:
    """Runs the whole archive scan once; returns counts per kind. Idempotent."""
    from .models import FindingKind

    now = now or timezone.now()
    version = _policy().version
    result = {
        FindingKind.DUPLICATE.value: _store(FindingKind.DUPLICATE, duplicate_findings(), now, version),
        FindingKind.FICTITIOUS.value: _store(FindingKind.FICTITIOUS, fictitious_findings(now), now, version),
        FindingKind.MISASSIGNED.value: _store(FindingKind.MISASSIGNED, misassigned_findings(timezone.localdate(now)), now, version),
    }
    audit.record("customer.archive_scanned", data={"result": result, "policy_version": version, "clause": CLAUSE})
    return result


def is_scan_day(today, day_of_month: int) -> bool:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.day == min(day_of_month, last)


@periodic(crontab(hour=2, minute=30))
@shared_task(name="customers.scan_archive")
def scan_archive(force: bool = False) -> dict | None:
    """Daily at 02:30: on the policy's scan day (or when forced) scan the archive."""
    today = timezone.localdate()
    if not force and not is_scan_day(today, _policy().deadlines.duplicate_scan_day_of_month):
        return None
    result = scan()
    log.info("archive scan: %s", result)
    return result


__all__ = ["CLAUSE", "TEST_WORDS", "is_scan_day", "scan", "scan_archive", "with_invalid_credit_code"]
