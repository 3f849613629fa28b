"""Demo organisation: 华新钢铁集团有限公司 with branches, divisions, departments, teams, a region
tree and about sixty users in every role (registered with guanxi.core.demo, run by
`manage.py demo --seed N`).

Everything that varies (names, mobiles, hiring dates) comes from the builder's own seeded
`random.Random`, so one seed always gives the same company. Every demo login shares
DEMO_PASSWORD; `manage.py demo --print-logins` lists them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from pypinyin import lazy_pinyin

from guanxi.core.demo import register

from . import services
from .models import DataScope, OrgUnit, Region, RegionKind, Role, UnitKind, User
from .roles import ensure_system_roles

# Shared by every demo login; passes the password validators (≥10 characters, not common,
# not numeric). Documented in README/DEPLOY and printed by `manage.py demo --print-logins`.
DEMO_PASSWORD = "Guanxi-Demo-2026"

EMAIL_DOMAIN = "huaxin-steel.example"

# The well-known logins, in the order --print-logins shows them first.
WELL_KNOWN_LOGINS = ["admin", "gm", "director", "manager", "rep", "service", "archivist", "finance", "ops"]

# code -> (Chinese name, English name, default data scope). The accounts data migration creates
# the real roles with their permissions; these defaults only fill in a role that is missing.
ROLE_DEFAULTS = {
    "general_manager": ("总经理", "General manager", DataScope.ALL),
    "marketing_director": ("市场总监", "Marketing director", DataScope.ALL),
    "department_manager": ("部门经理", "Department manager", DataScope.UNIT_TREE),
    "sales_rep": ("客户经理", "Sales representative", DataScope.SELF),
    "service_staff": ("客服专员", "Customer service", DataScope.UNIT),
    "operations": ("运维", "Operations", DataScope.ALL),
    "archivist": ("业务文员", "Archivist", DataScope.ALL),
    "finance": ("财务", "Finance", DataScope.ALL),
    "administrator": ("系统管理员", "Administrator", DataScope.SELF),
}

# ---------------------------------------------------------------------------------------------
# Regions: 片区 → province → city. Codes are stable ("cn-js-nj") so other apps' demo data and
# tests can refer to them.
# ---------------------------------------------------------------------------------------------
REGIONS = [
    (
        "cn-east",
        "华东片区",
        [
            ("cn-js", "江苏省", [("nj", "南京市"), ("sz", "苏州市"), ("wx", "无锡市"), ("cz", "常州市"), ("nt", "南通市")]),
            ("cn-zj", "浙江省", [("hz", "杭州市"), ("nb", "宁波市"), ("wz", "温州市")]),
            ("cn-sh", "上海市", [("sh", "上海市辖区")]),
            ("cn-sd", "山东省", [("jn", "济南市"), ("qd", "青岛市")]),
        ],
    ),
    (
        "cn-south",
        "华南片区",
        [
            ("cn-gd", "广东省", [("gz", "广州市"), ("sz", "深圳市"), ("fs", "佛山市"), ("dg", "东莞市")]),
            ("cn-gx", "广西壮族自治区", [("nn", "南宁市"), ("lz", "柳州市")]),
            ("cn-fj", "福建省", [("fz", "福州市"), ("xm", "厦门市")]),
        ],
    ),
    (
        "cn-north",
        "华北片区",
        [
            ("cn-bj", "北京市", [("bj", "北京市辖区")]),
            ("cn-tj", "天津市", [("tj", "天津市辖区")]),
            ("cn-he", "河北省", [("sjz", "石家庄市"), ("ts", "唐山市"), ("hd", "邯郸市")]),
        ],
    ),
]

# ---------------------------------------------------------------------------------------------
# Organisation: (code, name, kind, parent code, region code)
# ---------------------------------------------------------------------------------------------
HQ = "hq"
UNITS = [
    (HQ, "华新钢铁集团有限公司", UnitKind.COMPANY, None, "cn-js-nj"),
    # Headquarters functions
    ("hq-mkt", "市场部", UnitKind.DEPARTMENT, HQ, "cn-js-nj"),
    ("hq-fin", "财务部", UnitKind.DEPARTMENT, HQ, "cn-js-nj"),
    ("hq-admin", "综合管理部（档案室）", UnitKind.DEPARTMENT, HQ, "cn-js-nj"),
    ("hq-it", "信息中心", UnitKind.DEPARTMENT, HQ, "cn-js-nj"),
    ("hq-svc", "客服中心", UnitKind.DEPARTMENT, HQ, "cn-js-nj"),
    ("hq-ops", "运维部", UnitKind.DEPARTMENT, HQ, "cn-js-nj"),
    # Branches
    ("east", "华东分公司", UnitKind.BRANCH, HQ, "cn-sh-sh"),
    ("east-s1", "销售一部", UnitKind.DEPARTMENT, "east", "cn-sh-sh"),
    ("east-s1-t1", "销售一部一组", UnitKind.TEAM, "east-s1", "cn-js-sz"),
    ("east-s1-t2", "销售一部二组", UnitKind.TEAM, "east-s1", "cn-zj-hz"),
    ("east-s2", "销售二部", UnitKind.DEPARTMENT, "east", "cn-zj-nb"),
    ("south", "华南分公司", UnitKind.BRANCH, HQ, "cn-gd-gz"),
    ("south-s1", "销售部", UnitKind.DEPARTMENT, "south", "cn-gd-gz"),
    ("south-svc", "客服部", UnitKind.DEPARTMENT, "south", "cn-gd-sz"),
    # Divisions
    ("steel", "钢材事业部", UnitKind.DIVISION, HQ, "cn-js-nj"),
    ("steel-plate", "板材销售部", UnitKind.DEPARTMENT, "steel", "cn-js-nj"),
    ("steel-plate-ka", "大客户组", UnitKind.TEAM, "steel-plate", "cn-js-nj"),
    ("steel-section", "型材销售部", UnitKind.DEPARTMENT, "steel", "cn-he-ts"),
    ("eng", "工程服务事业部", UnitKind.DIVISION, HQ, "cn-js-nj"),
    ("eng-proj", "工程项目部", UnitKind.DEPARTMENT, "eng", "cn-bj-bj"),
    ("eng-tech", "技术服务部", UnitKind.DEPARTMENT, "eng", "cn-js-wx"),
]

# Departments that sell: their managers report to the marketing director.
SALES_UNITS = {"east-s1", "east-s2", "south-s1", "steel-plate", "steel-section", "eng-proj"}

# ---------------------------------------------------------------------------------------------
# People: (username or None, role code, unit code, reports-to key)
# The reports-to key is "@<unit>" for that unit's head (manager), or a username.
# Users are created in this order, so a boss always exists before their reports.
# ---------------------------------------------------------------------------------------------
HEAD = "@"
STAFF = [
    ("gm", "general_manager", HQ, None),
    ("director", "marketing_director", "hq-mkt", "gm"),
    # Heads of branches and divisions
    (None, "department_manager", "east", "gm"),
    (None, "department_manager", "south", "gm"),
    (None, "department_manager", "steel", "gm"),
    (None, "department_manager", "eng", "gm"),
    # Department managers: sales ones to the director, the rest to the GM or their branch head
    ("manager", "department_manager", "east-s1", "director"),
    (None, "department_manager", "east-s2", "director"),
    (None, "department_manager", "south-s1", "director"),
    (None, "department_manager", "steel-plate", "director"),
    (None, "department_manager", "steel-section", "director"),
    (None, "department_manager", "eng-proj", "director"),
    (None, "department_manager", "hq-mkt", "director"),
    (None, "department_manager", "hq-fin", "gm"),
    (None, "department_manager", "hq-admin", "gm"),
    (None, "department_manager", "hq-it", "gm"),
    (None, "department_manager", "hq-svc", "gm"),
    (None, "department_manager", "hq-ops", "gm"),
    (None, "department_manager", "south-svc", "@south"),
    (None, "department_manager", "eng-tech", "@eng"),
    # Well-known staff
    ("rep", "sales_rep", "east-s1", "@east-s1"),
    ("service", "service_staff", "hq-svc", "@hq-svc"),
    ("archivist", "archivist", "hq-admin", "@hq-admin"),
    ("finance", "finance", "hq-fin", "@hq-fin"),
    ("ops", "operations", "hq-ops", "@hq-ops"),
    ("admin", "administrator", "hq-it", "@hq-it"),
    # Sales reps
    *[(None, "sales_rep", "east-s1-t1", "@east-s1")] * 2,
    *[(None, "sales_rep", "east-s1-t2", "@east-s1")] * 2,
    *[(None, "sales_rep", "east-s2", "@east-s2")] * 4,
    *[(None, "sales_rep", "south-s1", "@south-s1")] * 4,
    *[(None, "sales_rep", "steel-plate", "@steel-plate")] * 1,
    *[(None, "sales_rep", "steel-plate-ka", "@steel-plate")] * 2,
    *[(None, "sales_rep", "steel-section", "@steel-section")] * 3,
    *[(None, "sales_rep", "eng-proj", "@eng-proj")] * 2,
    *[(None, "sales_rep", "hq-mkt", "@hq-mkt")] * 2,
    # Service, operations, archivists, finance, administrators
    *[(None, "service_staff", "hq-svc", "@hq-svc")] * 3,
    *[(None, "service_staff", "south-svc", "@south-svc")] * 2,
    *[(None, "operations", "hq-ops", "@hq-ops")] * 2,
    *[(None, "operations", "eng-tech", "@eng-tech")] * 2,
    (None, "archivist", "hq-admin", "@hq-admin"),
    (None, "archivist", "south-s1", "@south-s1"),
    *[(None, "finance", "hq-fin", "@hq-fin")] * 2,
    (None, "administrator", "hq-it", "@hq-it"),
]

# A few people hold a second (non-primary) position: (username, role, unit, reports-to key).
SECOND_POSITIONS = [
    ("service", "service_staff", "south-svc", "@south-svc"),  # supports the 华南 service desk
]

# Common surnames whose reading is unambiguous (no 曾/单/解/朴…), and given-name characters.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔向汤"
GIVEN_SINGLE = "芳伟娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚斌宇浩凯鹏晨雪琳婷欣悦峰波辉健萍红玲梅燕鑫蕾颖瑶"
GIVEN_DOUBLE = [
    "建华", "志强", "秀英", "桂英", "建国", "海燕", "晓东", "文静", "子涵", "思远", "家豪", "俊杰", "雨萱", "浩然",
    "欣怡", "宇航", "晓明", "丽娟", "国强", "春梅", "志明", "海峰", "玉兰", "振华", "立新", "佳琪", "梦瑶", "天宇",
    "雅婷", "明辉", "永刚", "红梅", "文博", "嘉怡", "少华", "亚男", "卫东", "小红", "金凤", "德明",
]  # fmt: skip


@dataclass
class Person:
    full_name: str
    surname: str
    given: str


def _person(rng, used: set[str]) -> Person:
    while True:
        surname = rng.choice(SURNAMES)
        given = rng.choice(GIVEN_DOUBLE) if rng.random() < 0.55 else rng.choice(GIVEN_SINGLE)
        full = surname + given
        if full not in used:
            used.add(full)
            return Person(full, surname, given)


def _pinyin_username(name: str, taken: set[str]) -> str:
    base = "".join(lazy_pinyin(name)).lower()
    base = "".join(ch for ch in base if ch.isascii() and ch.isalnum()) or "user"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def _mobile(rng) -> str:
    return rng.choice(["138", "139", "137", "150", "151", "158", "186", "188", "135", "177"]) + f"{rng.randrange(10**8):08d}"


def ensure_roles() -> dict[str, Role]:
    """The system roles (created by the accounts data migration); any still missing is created
    from roles.SYSTEM_ROLES, and as a last resort minimally from ROLE_DEFAULTS."""
    ensure_system_roles()
    roles = {}
    for code, (name, name_en, scope) in ROLE_DEFAULTS.items():
        roles[code], _ = Role.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "data_scope": scope})
    return roles


def build_regions() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for area_code, area_name, provinces in REGIONS:
        area = services.create_region(code=area_code, name=area_name, kind=RegionKind.AREA)
        regions[area_code] = area
        for prov_code, prov_name, cities in provinces:
            prov = services.create_region(code=prov_code, name=prov_name, kind=RegionKind.PROVINCE, parent=area)
            regions[prov_code] = prov
            for city_code, city_name in cities:
                code = f"{prov_code}-{city_code}"
                regions[code] = services.create_region(code=code, name=city_name, kind=RegionKind.CITY, parent=prov)
    return regions


def build_units(regions: dict[str, Region]) -> dict[str, OrgUnit]:
    units: dict[str, OrgUnit] = {}
    for order, (code, name, kind, parent, region) in enumerate(UNITS):
        units[code] = services.create_org_unit(
            code=code, name=name, kind=kind, parent=units[parent] if parent else None, region=regions[region], sort_order=order
        )
    return units


def _create_user(*, username: str, person: Person, employee_no: str, mobile: str, password_hash: str) -> User:
    user = services.create_user(
        username=username,
        full_name=person.full_name,
        last_name=person.surname,
        first_name=person.given,
        email=f"{username}@{EMAIL_DOMAIN}",
        employee_no=employee_no,
        mobile=mobile,
        language="zh-hans",
    )
    # One argon2 hash (of a password checked by the validators once, in build()) shared by every
    # demo login: the password is published anyway, and sixty argon2 hashes would make
    # `manage.py demo` take seconds.
    user.password = password_hash
    user.save(update_fields=["password"])
    return user


@register(10, "accounts.organisation")
def build(rng, stdout=None) -> None:
    roles = ensure_roles()
    regions = build_regions()
    units = build_units(regions)
    validate_password(DEMO_PASSWORD)
    password_hash = make_password(DEMO_PASSWORD)

    used_names: set[str] = set()
    taken = set(WELL_KNOWN_LOGINS) | set(User.objects.values_list("username", flat=True))
    by_username: dict[str, User] = {}
    heads: dict[str, User] = {}

    def boss_for(key: str | None) -> User | None:
        if key is None:
            return None
        return heads[key[1:]] if key.startswith(HEAD) else by_username[key]

    for number, (username, role_code, unit_code, reports_to) in enumerate(STAFF, start=1):
        person = _person(rng, used_names)
        username = username or _pinyin_username(person.full_name, taken)
        user = _create_user(
            username=username, person=person, employee_no=f"HX{number:04d}", mobile=_mobile(rng), password_hash=password_hash
        )
        by_username[username] = user
        if role_code == "department_manager" and unit_code not in heads:
            heads[unit_code] = user
        if role_code == "general_manager":
            heads[unit_code] = user
        hired = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(365 * 13))
        services.assign_position(
            user, unit=units[unit_code], role=roles[role_code], reports_to=boss_for(reports_to), is_primary=True, valid_from=hired
        )

    for username, role_code, unit_code, reports_to in SECOND_POSITIONS:
        services.assign_position(
            by_username[username], unit=units[unit_code], role=roles[role_code], reports_to=boss_for(reports_to), is_primary=False
        )

    if stdout is not None:
        stdout.write(f"  organisation: {len(units)} units, {len(regions)} regions, {len(by_username)} users")
