"""Demo blacklists (registered with guanxi.core.demo, after the customer archive): the demo's
customers whose status is “blacklisted” become company entries in force (approved by the
marketing director, announced), and a few active or lost customers go on their selling
department's own list. Deterministic for a seed."""

from __future__ import annotations

import datetime as dt

from guanxi.core.demo import register

COMPANY_REASONS = [
    "货款逾期超过一年未付，经催收无果",
    "伪造提货单据，给公司造成重大损失",
    "恶意违约拒不履行购销合同",
    "以我公司名义对外招摇撞骗，损害公司声誉",
]
DEPARTMENT_REASONS = [
    "多次逾期未提货，占用库存",
    "付款严重不及时，本部门暂停合作",
    "提供虚假资质材料",
]
DEPARTMENT_ENTRIES = 3


@register(60, "blacklist.entries")
def build(rng, stdout=None) -> None:
    from simple_history.utils import bulk_create_with_history

    from guanxi.accounts.models import Position
    from guanxi.customers.models import Customer, Status

    from .models import BlacklistEntry, EntryStatus, Level

    director = Position.objects.filter(role__code="marketing_director", user__is_active=True).order_by("user_id").first()
    director_id = director.user_id if director else None
    entries = []
    blacklisted = list(Customer.objects.live().filter(status=Status.BLACKLISTED).order_by("pk"))
    for c in blacklisted:
        at = c.created_at + dt.timedelta(days=rng.randint(30, 400))
        e = BlacklistEntry(
            customer=c,
            level=Level.COMPANY,
            unit_id=c.unit_id,
            reason=rng.choice(COMPANY_REASONS),
            evidence="营销事业部核实：客户原因导致公司重大损失（示例数据）。",
            status=EntryStatus.ACTIVE,
            created_by_id=c.owner_id,
            created_at=at,
            activated_at=at + dt.timedelta(days=rng.randint(1, 5)),
            decided_by_id=director_id,
            previous_customer_status=Status.LOST,
            policy_version=1,
            clause="grading.company_blacklist_requires_approval",
        )
        e._history_date = e.created_at
        entries.append(e)

    managers = {
        p.unit_id: p.user_id for p in Position.objects.filter(role__code="department_manager", user__is_active=True).order_by("-user_id")
    }
    candidates = list(
        Customer.objects.live()
        .filter(status__in=[Status.ACTIVE, Status.LOST], unit_id__in=list(managers))
        .order_by("pk")
        .values_list("pk", "unit_id", "created_at")[:2000]
    )
    for pk, unit_id, created_at in rng.sample(candidates, min(DEPARTMENT_ENTRIES, len(candidates))):
        at = created_at + dt.timedelta(days=rng.randint(30, 300))
        e = BlacklistEntry(
            customer_id=pk,
            level=Level.DEPARTMENT,
            unit_id=unit_id,
            reason=rng.choice(DEPARTMENT_REASONS),
            status=EntryStatus.ACTIVE,
            created_by_id=managers[unit_id],
            created_at=at,
            activated_at=at,
            policy_version=1,
        )
        e._history_date = e.created_at
        entries.append(e)
    if entries:
        bulk_create_with_history(entries, BlacklistEntry, batch_size=500)
    if stdout is not None:
        stdout.write(f"blacklist: {len(blacklisted)} company entries, {len(entries) - len(blacklisted)} department entries\n")
