"""Users and organisation units at scale: teams under the demo company's departments, each
with a leader (部门经理) and members (mostly 客户经理). Every generated user can log in with the
demo password."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

from bench.generate import GenContext, analyze, copy_rows, generator, reserve_ids

TEAM_SIZE = 12
MEMBER_ROLES = [("sales_rep", 80), ("service_staff", 10), ("operations", 5), ("archivist", 5)]
CHINESE_DIGITS = "零一二三四五六七八九"


def _ordinal(n: int) -> str:
    if n < 10:
        return CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    return CHINESE_DIGITS[n // 10] + "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "") if n < 100 else str(n)


@generator("users", order=10, counts={"small": 200, "spec": 1000})
def users(ctx: GenContext) -> int:
    """Tops the users up to ctx.count (the demo company has about sixty); returns users added."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from pypinyin import lazy_pinyin

    from guanxi.accounts.demo import DEMO_PASSWORD, GIVEN_DOUBLE, GIVEN_SINGLE, SURNAMES
    from guanxi.accounts.models import OrgUnit, Position, Role, UnitKind, User

    missing = ctx.count - User.objects.count()
    if missing <= 0:
        return 0
    roles = dict(Role.objects.values_list("code", "pk"))
    departments = list(OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("path"))
    director = User.objects.get(username="director")
    if not departments:
        raise RuntimeError("no departments: load the demo company first (manage.py demo)")

    # Teams: one per TEAM_SIZE new users, spread over the departments round-robin.
    n_teams = math.ceil(missing / TEAM_SIZE)
    team_ids = reserve_ids(OrgUnit, n_teams)
    per_dept = Counter(OrgUnit.objects.filter(parent__in=departments).values_list("parent_id", flat=True))
    teams = []
    for i, pk in enumerate(team_ids):
        dept = departments[i % len(departments)]
        per_dept[dept.pk] += 1
        teams.append(
            {
                "id": pk,
                "name": f"{dept.name}第{_ordinal(per_dept[dept.pk])}组",
                "code": f"bench-team-{pk}",
                "kind": UnitKind.TEAM.value,
                "parent_id": dept.pk,
                "path": f"{dept.path}{pk}/",
                "depth": dept.depth + 1,
                "region_id": dept.region_id,
                "sort_order": 1000 + i,
            }
        )
    copy_rows(OrgUnit, teams)

    # Users: the first of each team leads it.
    password = make_password(DEMO_PASSWORD)
    taken = set(User.objects.values_list("username", flat=True))
    user_ids = reserve_ids(User, missing)
    now = timezone.now()
    rng = ctx.rng
    role_names = [r for r, _w in MEMBER_ROLES]
    role_weights = [w for _r, w in MEMBER_ROLES]
    people, positions = [], []
    for i, pk in enumerate(user_ids):
        surname = rng.choice(SURNAMES)
        given = rng.choice(GIVEN_DOUBLE) if rng.random() < 0.55 else rng.choice(GIVEN_SINGLE)
        base = "".join(lazy_pinyin(surname + given))
        username, n = base, 1
        while username in taken:
            n += 1
            username = f"{base}{n}"
        taken.add(username)
        people.append(
            {
                "id": pk,
                "username": username,
                "password": password,
                "full_name": surname + given,
                "last_name": surname,
                "first_name": given,
                "email": f"{username}@bench.example",
                "employee_no": f"BX{pk:06d}",
                "mobile": f"13{rng.randrange(10**9):09d}",
                "language": "zh-hans",
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
                "date_joined": now,
            }
        )
        team = teams[i // TEAM_SIZE]
        leader = i % TEAM_SIZE == 0
        positions.append(
            {
                "user_id": pk,
                "unit_id": team["id"],
                "role_id": roles["department_manager" if leader else rng.choices(role_names, role_weights)[0]],
                "reports_to_id": director.pk if leader else user_ids[(i // TEAM_SIZE) * TEAM_SIZE],
                "is_primary": True,
                "valid_from": dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650)),
            }
        )
    copy_rows(User, people)
    copy_rows(Position, positions)
    analyze(OrgUnit, User, Position)
    ctx.log(f"    {len(people)} users, {len(teams)} teams, {len(positions)} positions")
    return len(people)
