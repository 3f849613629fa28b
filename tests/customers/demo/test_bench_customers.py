"""The benchmark's customer generator (bench/generators/customers.py, PostgreSQL COPY) and the
customer scenarios' registration."""

import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from bench import generate
from guanxi.customers.models import Contact, Customer
from guanxi.customers.normalize import name_key, phone_key, pinyin_keys
from guanxi.customers.validators import normalize_mobile, validate_credit_code


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        return {row[0] for row in cur.fetchall()}


def test_customer_scenarios_and_import_batch_are_registered():
    from bench import scenarios

    names = {s.name for s in scenarios.ordered()}
    assert {"customers_list_rep", "customers_list_manager", "customers_list_gm", "duplicate_check"} <= names
    assert {f"search_{kind}" for kind in ("name", "initials", "phone", "mobile", "credit_code", "contact")} <= names
    assert "import_xlsx" in {b.name for b in scenarios.batches()}
    assert scenarios.SCENARIOS["customers_list_rep"].target_ms == 50
    assert scenarios.SCENARIOS["duplicate_check"].target_ms == 20
    assert generate.load() and generate.GENERATORS["customers"].counts == {"small": 20_000, "spec": 1_000_000}


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_customer_generator_copies_customers_and_contacts():
    if connection.vendor != "postgresql":
        pytest.skip("COPY needs PostgreSQL")
    call_command("demo", seed=1, customers=20, stdout=io.StringIO())
    generate.run("small", only=["users"], log=lambda msg: None)
    indexes_before = _indexes("customers_customer") | _indexes("customers_contact")
    gen = generate.GENERATORS["customers"]
    target = Customer.objects.count() + 600
    added = gen.fn(generate.GenContext(scale="small", count=target, rng=random.Random(1), log=lambda msg: None))
    assert added == 600 and Customer.objects.count() == target
    # The indexes dropped for the COPY are all back.
    assert _indexes("customers_customer") | _indexes("customers_contact") == indexes_before

    new = Customer.objects.order_by("-pk")[:600]
    per_customer = [c.n for c in Customer.objects.filter(pk__in=new.values("pk")).annotate(n=Count("contacts"))]
    assert min(per_customer) >= 1 and max(per_customer) <= 5
    assert 2.5 <= sum(per_customer) / len(per_customer) <= 3.5
    # Owners among reps and managers, the customer in the owner's unit; several owners.
    assert len({c.owner_id for c in new}) > 20
    pinyin_ok = 0
    for c in new:
        assert c.unit_id and c.owner_id and c.region_id
        assert c.name_key == name_key(c.name)
        pinyin_ok += (c.pinyin, c.initials) == pinyin_keys(c.name)
        if c.credit_code:
            validate_credit_code(c.credit_code)
        if c.phone and phone_key(c.phone):
            assert c.phone_key == phone_key(c.phone)
    # Pinyin is computed per name part: identical to the whole name's except for a rare polyphone.
    assert pinyin_ok >= 0.95 * 600
    for mobile in Contact.objects.filter(customer__in=new.values("pk")).exclude(mobile="").values_list("mobile", flat=True)[:300]:
        assert normalize_mobile(mobile) == mobile

    # The sequences moved past the copied ids: ordinary inserts still work.
    c = Customer.objects.create(name="后来的客户有限公司", unit_id=new[0].unit_id)
    assert c.pk > new[0].pk
    contact = Contact.objects.create(customer=c, name="张三")
    assert contact.pk > Contact.objects.exclude(pk=contact.pk).order_by("-pk").first().pk
    # Counts are targets: running again adds nothing.
    assert gen.fn(generate.GenContext(scale="small", count=target, rng=random.Random(1), log=lambda msg: None)) == 0


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_slow_bare_statement_brings_its_plan_into_the_report(monkeypatch):
    """A plan that flips with one run's statistics is caught in that run's report."""
    from bench import report, scenarios
    from bench import scenarios_customers as sc

    sql = 'SELECT count(*) FROM "customers_customer"'
    assert sc._slow_plans([sql]) == []  # quick: nothing
    monkeypatch.setattr(sc, "SLOW_PLAN_MS", -1.0)
    (plan,) = sc._slow_plans([sql])
    assert sql in plan and "Execution Time" in plan
    result = scenarios.Result(scenarios.SCENARIOS["search_contact"], app_ms=[1.0], db_ms=[0.5], queries=[1], wall_ms=[1.2], bare_ms=[0.4])
    result.slow_plans = [plan]
    text = report.render([result], scale="small", runs=1, warmup=0, command="test", generated={}, elapsed=0.0)
    assert "A bare statement over 100 ms in this run" in text and "Execution Time" in text


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_import_batch_removes_its_customers_with_everything_hanging_off_them():
    """bench/cleanup.py: a reused benchmark database keeps only the generated data."""
    import datetime

    from bench.cleanup import remove_customers
    from guanxi.accounts.models import User
    from guanxi.customers.models import Consent, CustomerDepartment, DuplicateFinding, Tag
    from guanxi.grading import engine
    from guanxi.grading.models import CustomerGrade, LevelCount

    call_command("demo", seed=1, customers=20, stdout=io.StringIO())
    engine.run()
    importer = User.objects.create(username="bench-importer-test")
    gone = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:5])
    kept = set(Customer.objects.values_list("pk", flat=True)) - set(gone)
    Customer.objects.filter(pk__in=gone).update(created_by=importer)
    tag = Tag.objects.create(name="导入")
    tag.customers.add(*gone, next(iter(kept)))
    contact = Contact.objects.filter(customer_id=gone[0]).first() or Contact.objects.create(customer_id=gone[0], name="张三")
    Consent.objects.create(contact=contact, purpose="联系", lawful_basis="consent", notice_version="1", given_at=datetime.date(2026, 1, 5))
    finding = DuplicateFinding.objects.create(kind="duplicate", key="bench-test", reason="test")
    finding.customers.add(gone[1], next(iter(kept)))
    kept_contacts = Contact.objects.filter(customer_id__in=kept).count()
    assert CustomerGrade.objects.filter(customer_id__in=gone).exists()

    out = remove_customers("created_by_id = %s", [importer.pk])

    assert set(Customer.objects.values_list("pk", flat=True)) == kept
    assert not Contact.objects.filter(customer_id__in=gone).exists() and not Consent.objects.filter(contact=contact).exists()
    assert Contact.objects.filter(customer_id__in=kept).count() == kept_contacts
    assert not CustomerDepartment.objects.filter(customer_id__in=gone).exists()
    assert list(tag.customers.values_list("pk", flat=True)) == [next(iter(kept))]
    assert list(finding.customers.values_list("pk", flat=True)) == [next(iter(kept))]
    assert out["deleted"]["customers_customer"] == 5 and out["reindex_s"] >= 0
    # The grade tallies followed the deleted grade rows (their triggers fired).
    assert not CustomerGrade.objects.filter(customer_id__in=gone).exists()
    rows = CustomerGrade.objects.values_list("unit_id", "scheme", "level").annotate(n=Count("id")).order_by()
    assert {(t.unit_id, t.scheme, t.level): t.n for t in LevelCount.objects.all() if t.n} == {(u, s, lv): n for u, s, lv, n in rows}
