"""Customers and contacts at scale (issue 3): 1,000,000 customers and 3,000,000 contacts at
`--scale spec`, 20,000 / 60,000 at `--scale small`, written with PostgreSQL COPY.

Distributions follow the demo archive (guanxi.customers.demo): Chinese company names of the
steel trade's customers in the demo cities, categories / statuses / sources / scales weighted
as there, owners among the sales reps and department managers of the benchmark's 1,000 users
(a skewed book size: a few reps hold many customers), each customer in its owner's unit, about
70 % with a credit code (valid check digit), 1–5 contacts each (three on average). The search
keys (name_key, trade_key, pinyin, initials, phone_key) are precomputed: name_key and trade_key
with customers.normalize itself, pinyin and initials per name part (city, brand, industry
form) with customers.normalize.pinyin_keys, phone keys from the numbers' digits (the generator
writes numbers in their normalised form).

On a nearly empty table the secondary indexes are dropped first and built again after the
COPY (much faster than maintaining twenty indexes, two of them trigram GIN, row by row); then
ANALYZE. Generated rows get no field history (they stand for existing data).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from bench.generate import GenContext, analyze, copy_rows, generator, reserve_ids

CHUNK = 50_000
CONTACTS_PER_CUSTOMER = [(1, 15), (2, 25), (3, 20), (4, 25), (5, 15)]  # mean 3.0


@generator("customers", order=30, counts={"small": 20_000, "spec": 1_000_000})
def customers(ctx: GenContext) -> int:
    """Tops the customers up to ctx.count, with three contacts each on average; returns the
    customers added."""
    from guanxi.customers.models import Contact, Customer

    missing = ctx.count - Customer.objects.count()
    if missing <= 0:
        return 0
    plan = _Plan.load(ctx.rng)
    customer_ids = reserve_ids(Customer, missing)
    # Contacts: reserve generously (5 per customer at most), then move the sequence back to the
    # last id used.
    contact_ids = reserve_ids(Contact, missing * 5)
    rebuild = Customer.objects.count() < missing  # mostly new data: cheaper to index afterwards
    dropped = _drop_indexes([Customer, Contact]) if rebuild else []
    started = time.perf_counter()
    next_contact = contact_ids.start
    done = 0
    n_contacts = 0
    try:
        for chunk_start in range(0, missing, CHUNK):
            ids = customer_ids[chunk_start : chunk_start + CHUNK]
            rows, contacts = [], []
            for pk in ids:
                row, k = plan.customer(pk)
                rows.append(row)
                for n in range(k):
                    contacts.append(plan.contact(next_contact, pk, row, primary=n == 0))
                    next_contact += 1
            copy_rows(Customer, rows)
            copy_rows(Contact, contacts)
            done += len(rows)
            n_contacts += len(contacts)
            if done % (CHUNK * 4) == 0 or done == missing:
                rate = done / (time.perf_counter() - started)
                ctx.log(f"    {done:,} customers, {n_contacts:,} contacts ({rate:,.0f} customers/s)")
    finally:
        _set_sequence(Contact, next_contact - 1)
        if dropped:
            ctx.log(f"    building {len(dropped)} indexes …")
            t = time.perf_counter()
            _create_indexes(dropped)
            ctx.log(f"    indexes built in {time.perf_counter() - t:.0f} s")
    analyze(Customer, Contact)
    ctx.log(f"    {done:,} customers, {n_contacts:,} contacts")
    return done


# ------------------------------------------------------------------------------------ the plan


def _weighted_picker(rng: random.Random, pairs):
    values = [v for v, _w in pairs]
    cum = []
    total = 0
    for _v, w in pairs:
        total += w
        cum.append(total)
    return lambda: rng.choices(values, cum_weights=cum)[0]


class _Plan:
    """Everything a row needs, loaded once; `customer(pk)` and `contact(...)` make rows."""

    @classmethod
    def load(cls, rng: random.Random) -> _Plan:
        from django.db.models import Q

        from guanxi.accounts.models import Position, Region

        plan = cls()
        plan.rng = rng
        owners = list(
            Position.objects.filter(Q(role__code="sales_rep") | Q(role__code="department_manager"), is_primary=True)
            .order_by("user_id")
            .values_list("user_id", "unit_id")
        )
        if not owners:
            raise RuntimeError("no sales reps: generate the users first")
        plan.owners = owners
        # Book sizes are skewed: a log-normal weight per owner.
        plan.owner_cum = []
        total = 0.0
        for _ in owners:
            total += rng.lognormvariate(0, 0.6)
            plan.owner_cum.append(total)
        from guanxi.customers import demo

        plan.demo = demo
        regions = dict(Region.objects.filter(code__in=list(demo.CITIES)).values_list("code", "pk"))
        plan.cities = [(code, regions[code], *demo.CITIES[code]) for code in sorted(regions)]
        if not plan.cities:
            raise RuntimeError("no demo regions: load the demo company first")
        plan.category = _weighted_picker(rng, demo.CATEGORY_WEIGHTS)
        plan.status = _weighted_picker(rng, demo.STATUS_WEIGHTS)
        plan.source = _weighted_picker(rng, demo.SOURCE_WEIGHTS)
        plan.scale = _weighted_picker(rng, demo.SCALE_WEIGHTS)
        plan.nature = _weighted_picker(rng, demo.NATURE_WEIGHTS)
        plan.n_contacts = _weighted_picker(rng, CONTACTS_PER_CUSTOMER)
        plan.brands = [a + b for a in demo.BRAND_FIRST for b in demo.BRAND_SECOND if a != b]
        plan.forms = {cat: demo.INDUSTRIES[cat] for cat in demo.INDUSTRIES}
        plan.specials = [(kind, industry, pattern) for kind, industry, pattern in demo.SPECIALS if "{bank}" not in pattern]
        plan.used = set()
        plan.now = dt.datetime.now(dt.UTC)
        plan.today = dt.date.today()
        plan.keys = _KeyCache()
        plan.surnames = demo_surnames()
        plan.titles = [(title, role) for titles in demo.DEPARTMENTS.values() for title, role in titles]
        return plan

    def _owner(self):
        return self.owners[self._bisect(self.owner_cum, self.rng.random() * self.owner_cum[-1])]

    @staticmethod
    def _bisect(cum, x):
        import bisect

        return min(bisect.bisect_left(cum, x), len(cum) - 1)

    def _name(self, category: str, city) -> tuple[str, list[str], str, str]:
        """(name, parts, industry, special kind); the parts concatenate to the name."""
        rng = self.rng
        _code, _region, short, _area, districts, _streets = city
        for _attempt in range(50):
            brand = rng.choice(self.brands)
            district = rng.choice(districts)[0]
            prefix = short if rng.random() < 0.8 else f"{short}市"
            if category == "special":
                kind, industry, pattern = rng.choice(self.specials)
            else:
                kind = ""
                industry, pattern = rng.choice(self.forms[category])
            # Split the pattern into parts around the placeholders so pinyin can be cached per part.
            parts = []
            rest = pattern
            while rest:
                i = rest.find("{")
                if i < 0:
                    parts.append(rest)
                    break
                if i > 0:
                    parts.append(rest[:i])
                j = rest.index("}", i)
                token = rest[i + 1 : j]
                parts.append(
                    {"c": prefix, "b": brand, "d": district, "city": f"{short}市", "gov": rng.choice(self.demo.GOV_OFFICES)}[token]
                )
                rest = rest[j + 1 :]
            name = "".join(parts)
            if name not in self.used:
                self.used.add(name)
                return name, parts, industry, kind
        # The combinations are running out for this city: add a number as real names do.
        name = f"{name[:-4]}第{len(self.used)}{name[-4:]}"
        return name, [name], industry, kind

    def customer(self, pk: int) -> tuple[dict, int]:
        rng, demo = self.rng, self.demo
        category = self.category()
        user_id, unit_id = self._owner()
        city = rng.choice(self.cities)
        _code, region_id, _short, area, districts, streets = city
        name, parts, industry, special_kind = self._name(category, city)
        district, division = rng.choice(districts)
        age = int(rng.triangular(0, 3650, 0))
        created = self.now - dt.timedelta(days=age, minutes=rng.randrange(600))
        first_contact = created.date() - dt.timedelta(days=rng.choice([0, 0, 1, 2]))
        deadline = first_contact + dt.timedelta(days=7)  # five working days, near enough for data
        filed = None
        if deadline < self.today and rng.random() < 0.95:
            filed = created + dt.timedelta(hours=rng.randrange(1, 96))
        # Unchecked (speed): a few numbers fall in unallocated ranges, as typed data does.
        phone = demo.landline(rng, area, check=False) if rng.random() < 0.85 else ""
        credit = demo.credit_code(rng, division, kind="2" if category == "outlet" else "1") if rng.random() < 0.7 else ""
        missing = []
        if not credit:
            missing.append("credit_code")
        if not phone:
            missing.append("phone")
        status = self.status()
        full, initials = self.keys.pinyin(parts)
        row = {
            "id": pk,
            "name": name,
            "credit_code": credit,
            "category": category,
            "special_kind": special_kind,
            "industry": industry,
            "scale": self.scale(),
            "nature": self.nature(),
            "region_id": region_id,
            "address": f"{district}{rng.choice(streets)}{rng.randrange(1, 999)}号",
            "legal_representative": self._person(),
            "phone": phone,
            "registered_capital": Decimal(rng.choice(demo.CAPITAL_WAN) * 10000),
            "source": self.source(),
            "status": status,
            "is_key": status == "active" and rng.random() < 0.05,
            "owner_id": user_id,
            "unit_id": unit_id,
            "first_contact_date": first_contact,
            "filing_deadline": deadline,
            "filed_at": filed,
            "completeness": round(100 * (9 - len(missing)) / 9),
            "missing_fields": missing,
            "name_key": self.keys.name_key(name),
            "trade_key": self.keys.trade_key(name),
            "pinyin": full[:400],
            "initials": initials[:100],
            "phone_key": phone.replace("-", ""),
            "created_by_id": user_id,
            "created_at": created,
            "updated_at": created,
        }
        return row, self.n_contacts()

    def _person(self) -> str:
        rng = self.rng
        surnames, single, double = self.surnames
        return rng.choice(surnames) + (rng.choice(double) if rng.random() < 0.55 else rng.choice(single))

    def contact(self, pk: int, customer_id: int, customer: dict, *, primary: bool) -> dict:
        rng, demo = self.rng, self.demo
        title, role = rng.choice(self.titles)
        return {
            "id": pk,
            "customer_id": customer_id,
            "name": self._person(),
            "title": title,
            "phone": customer["phone"] if customer["phone"] and rng.random() < 0.2 else "",
            "mobile": demo.mobile(rng) if rng.random() < 0.95 else "",
            "email": "",
            "decision_role": role,
            "is_primary": primary,
        }


def demo_surnames():
    from guanxi.accounts.demo import GIVEN_DOUBLE, GIVEN_SINGLE, SURNAMES

    return SURNAMES, GIVEN_SINGLE, GIVEN_DOUBLE


class _KeyCache:
    """Search keys through customers.normalize, pinyin memoised per name part."""

    def __init__(self):
        from guanxi.customers import normalize

        self._name_key = normalize.name_key
        self._trade_key = normalize.trade_key
        self._pinyin_keys = normalize.pinyin_keys
        self._parts: dict[str, tuple[str, str]] = {}

    def name_key(self, name: str) -> str:
        return self._name_key(name)

    def trade_key(self, name: str) -> str:
        return self._trade_key(name)

    def pinyin(self, parts: list[str]) -> tuple[str, str]:
        full, initials = [], []
        for part in parts:
            keys = self._parts.get(part)
            if keys is None:
                keys = self._parts[part] = self._pinyin_keys(part)
            full.append(keys[0])
            initials.append(keys[1])
        return "".join(full), "".join(initials)


# ------------------------------------------------------------------------------ index handling


def _drop_indexes(models) -> list[str]:
    """Drops the secondary indexes of the models' tables that back no constraint; returns
    their definitions to create them again."""
    from django.db import connection

    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [tables],
        )
        found = cur.fetchall()
        for name, _definition in found:
            cur.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def _create_indexes(definitions: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        in_transaction = not connection.get_autocommit()
        if in_transaction:
            # Inside a transaction (tests) the deferred foreign-key checks of the COPY are still
            # queued, and PostgreSQL refuses CREATE INDEX on a table with pending trigger events.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET maintenance_work_mem = '256MB'")
        for definition in definitions:
            cur.execute(definition)
        if in_transaction:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


def _set_sequence(model, last: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        seq = cur.fetchone()[0]
        cur.execute(f'SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{model._meta.db_table}"), %s)', [last])
        value = cur.fetchone()[0]
        if value > 0:
            cur.execute("SELECT setval(%s, %s)", [seq, value])
