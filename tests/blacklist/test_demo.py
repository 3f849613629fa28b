"""The demo builder: blacklisted-status customers become company entries in force, and a few
customers go on their department's own list."""

import random

from guanxi.blacklist import demo
from guanxi.blacklist.models import BlacklistEntry, EntryStatus, Level
from guanxi.blacklist.services import check_can_do_business


def test_demo_builder(env, customer):
    listed = customer("黑名单示例公司", status="blacklisted")
    for i in range(4):
        customer(f"销售部示例客户{i}有限公司", unit=env.units.sales.pk)
    demo.build(random.Random(1))
    company = BlacklistEntry.objects.get(level=Level.COMPANY)
    assert company.customer == listed and company.status == EntryStatus.ACTIVE and company.decided_by == env.director
    departments = BlacklistEntry.objects.filter(level=Level.DEPARTMENT)
    assert departments.count() == 3
    assert {e.unit_id for e in departments} == {env.units.sales.pk}
    assert all(e.created_by == env.manager for e in departments)
    assert company.history.count() == 1
    first = departments.first()
    try:
        check_can_do_business(first.customer, unit=env.units.east)
    except Exception as exc:
        assert "Sales" in str(exc)
    else:
        raise AssertionError("a demo department entry does not block its department")
