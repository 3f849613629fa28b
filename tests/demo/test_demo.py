"""`manage.py demo`: the demo company, its logins, and determinism per seed."""

import io
import re
from collections import Counter

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import transaction

from guanxi.accounts.demo import DEMO_PASSWORD, WELL_KNOWN_LOGINS
from guanxi.accounts.models import OrgUnit, Position, Region, User

pytestmark = pytest.mark.django_db

ROLE_CODES = {
    "general_manager",
    "marketing_director",
    "department_manager",
    "sales_rep",
    "service_staff",
    "operations",
    "archivist",
    "finance",
    "administrator",
}
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def demo(**options) -> str:
    # The organisation is what these tests check; a handful of customers keeps them fast
    # (tests/customers/demo covers the customer builder).
    options.setdefault("customers", 40)
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def snapshot():
    return sorted(
        Position.objects.values_list(
            "user__username", "user__full_name", "user__mobile", "unit__code", "role__code", "reports_to__username", "is_primary"
        )
    )


class Rollback(Exception):
    pass


def test_demo_builds_the_company():
    demo(seed=1)
    kinds = Counter(OrgUnit.objects.values_list("kind", flat=True))
    assert kinds["company"] == 1
    assert kinds["branch"] == 2
    assert kinds["division"] == 2
    assert kinds["department"] >= 10
    assert kinds["team"] >= 1
    assert set(OrgUnit.objects.filter(kind="branch").values_list("name", flat=True)) == {"华东分公司", "华南分公司"}

    cities = Region.objects.filter(kind="city")
    assert cities.count() >= 20
    assert cities.filter(code="cn-js-nj", name="南京市", parent__code="cn-js", parent__parent__code="cn-east").exists()

    users = list(User.objects.all())
    assert 55 <= len(users) <= 70
    assert {u.username for u in users} >= set(WELL_KNOWN_LOGINS)
    for user in users:
        assert CHINESE_NAME.match(user.full_name), user.full_name
        assert re.fullmatch(r"[a-z0-9]+", user.username), user.username
    assert len({u.full_name for u in users}) == len(users)

    primary = {p.user_id: p for p in Position.objects.filter(is_primary=True).select_related("role", "unit", "reports_to")}
    assert Counter(Position.objects.filter(is_primary=True).values_list("user_id", flat=True)).most_common(1)[0][1] == 1
    assert set(primary) == {u.pk for u in users}
    assert {p.role.code for p in primary.values()} == ROLE_CODES
    for pos in primary.values():
        if pos.role.code == "general_manager":
            assert pos.reports_to is None
        else:
            assert pos.reports_to is not None, pos.user.username
            assert pos.reports_to_id != pos.user_id


def test_well_known_logins_and_reporting_lines():
    demo(seed=1)

    def pos(username):
        return Position.objects.select_related("role", "unit", "reports_to").get(user__username=username, is_primary=True)

    assert pos("gm").role.code == "general_manager"
    assert pos("gm").unit.kind == "company"
    assert pos("director").role.code == "marketing_director"
    assert pos("director").reports_to.username == "gm"
    manager, rep = pos("manager"), pos("rep")
    assert manager.role.code == "department_manager"
    assert rep.role.code == "sales_rep"
    assert rep.unit == manager.unit
    assert rep.reports_to.username == "manager"
    assert manager.reports_to.username == "director"
    for username, role in [
        ("admin", "administrator"),
        ("service", "service_staff"),
        ("archivist", "archivist"),
        ("finance", "finance"),
        ("ops", "operations"),
    ]:
        assert pos(username).role.code == role
    # Every rep reports to the manager of a unit at or above their own.
    for p in Position.objects.filter(role__code="sales_rep").select_related("unit", "reports_to"):
        boss = Position.objects.get(user=p.reports_to, is_primary=True)
        assert p.unit.path.startswith(boss.unit.path)

    admin = User.objects.get(username="admin")
    validate_password(DEMO_PASSWORD, admin)
    assert admin.check_password(DEMO_PASSWORD)


def test_if_empty_does_not_duplicate():
    demo(seed=1, if_empty=True)
    count = User.objects.count()
    out = demo(seed=1, if_empty=True)
    assert "not loaded" in out
    assert User.objects.count() == count
    assert OrgUnit.objects.filter(code="hq").count() == 1


def test_second_run_without_if_empty_fails_cleanly():
    demo(seed=1)
    units, users = OrgUnit.objects.count(), User.objects.count()
    with pytest.raises(CommandError, match="clashes"):
        demo(seed=2)
    assert (OrgUnit.objects.count(), User.objects.count()) == (units, users)


def test_same_seed_same_users_other_seed_other_users():
    runs = {}
    for key, seed in [("a", 1), ("b", 1), ("c", 2)]:
        with pytest.raises(Rollback), transaction.atomic():
            demo(seed=seed)
            runs[key] = snapshot()
            raise Rollback
        assert not User.objects.exists()
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_print_logins_lists_the_demo_logins_without_creating_any():
    assert "No demo logins" in demo(print_logins=True)
    assert not User.objects.exists()
    demo(seed=1)
    out = demo(print_logins=True)
    assert DEMO_PASSWORD in out
    lines = out.splitlines()
    admin_line = next(line for line in lines if line.startswith("admin "))
    assert "系统管理员" in admin_line
    assert "Administrator" in admin_line
    assert "信息中心" in admin_line
    # The well-known logins come first, in their documented order.
    order = [line.split()[0] for line in lines if line.split() and line.split()[0] in WELL_KNOWN_LOGINS]
    assert order == WELL_KNOWN_LOGINS
    assert User.objects.count() == len([line for line in lines if re.match(r"^[a-z0-9]+\s+[\u4e00-\u9fff]", line)])
