"""The demo customer archive (guanxi.customers.demo, `manage.py demo --customers N`)."""

import io
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count

from guanxi.accounts.models import Position
from guanxi.core import demo as core_demo
from guanxi.customers import demo as customer_demo
from guanxi.customers.models import Contact, Customer, CustomerDepartment
from guanxi.customers.normalize import name_key, phone_key, pinyin_keys
from guanxi.customers.validators import normalize_mobile, validate_credit_code, validate_id_number

pytestmark = pytest.mark.django_db


def build(n: int, seed: int = 1, monkeypatch=None) -> float:
    """Runs `manage.py demo --customers n`; returns the customer builder's own time."""
    spent = []
    if monkeypatch is not None:
        original = core_demo.BUILDERS["customers.archive"]

        def timed(rng, stdout=None):
            started = time.perf_counter()
            original.fn(rng, stdout)
            spent.append(time.perf_counter() - started)

        monkeypatch.setitem(core_demo.BUILDERS, "customers.archive", core_demo.Builder(original.order, original.name, timed))
    call_command("demo", seed=seed, customers=n, stdout=io.StringIO())
    return spent[0] if spent else 0.0


def test_check_digits_follow_the_standards():
    # GB 32100-2015 example codes of real registrations (public): check digits recomputed.
    for code in ["91350100M000100Y43", "9144030071526726XG", "91110000100006485K"]:
        assert customer_demo.credit_check_digit(code[:17]) == code[17]
    # GB 11714 organisation code 组织机构代码 "D2143569-?" → check character.
    assert customer_demo.org_code_check("D2143569") == "X"
    import random

    rng = random.Random(3)
    for _ in range(200):
        assert validate_credit_code(customer_demo.credit_code(rng, "320102"))
        assert normalize_mobile(customer_demo.mobile(rng))
        assert phone_key(customer_demo.landline(rng, rng.choice(["025", "0771", "0315", "021"])))


def test_demo_builds_believable_customers(monkeypatch):
    seconds = build(600, monkeypatch=monkeypatch)
    customers = Customer.objects.all()
    assert customers.count() == 600
    # Bulk inserts, no per-row queries: about 350 customers/s on an idle machine (5,000 in about
    # 15 s). The floor is loose so that a machine busy with other work does not fail it; a
    # per-row query or save would fall far below it.
    assert 0 < seconds < 600 / 30, f"{600 / seconds:.0f} customers/s"

    # Every customer has an owner who sells (a rep or a sales manager) and sits in the
    # customer's unit.
    assert not customers.filter(owner__isnull=True).exists()
    primary = dict(Position.objects.filter(is_primary=True).values_list("user_id", "unit_id"))
    roles = dict(Position.objects.filter(is_primary=True).values_list("user_id", "role__code"))
    for owner_id, unit_id in customers.values_list("owner_id", "unit_id"):
        assert primary[owner_id] == unit_id
        assert roles[owner_id] in {"sales_rep", "department_manager"}

    # 1–4 contacts each, in the customer's own departments; valid mobiles and ID numbers.
    counts = Counter(customers.annotate(n=Count("contacts")).values_list("n", flat=True))
    assert set(counts) <= {1, 2, 3, 4} and counts[1] and counts[4]
    assert not Contact.objects.exclude(department__customer=models_f("customer")).exists()
    for mobile in Contact.objects.exclude(mobile="").values_list("mobile", flat=True):
        assert normalize_mobile(mobile) == mobile
    for number in Contact.objects.exclude(id_number="").values_list("id_number", flat=True):
        validate_id_number(number)
    assert CustomerDepartment.objects.count() >= customers.count()

    # Valid credit codes, mainland phone numbers, search keys from customers.normalize.
    for c in customers:
        if c.credit_code:
            assert validate_credit_code(c.credit_code) == c.credit_code
        if c.phone:
            assert c.phone_key and c.phone_key == phone_key(c.phone)
        assert c.name_key == name_key(c.name)
        assert (c.pinyin, c.initials) == pinyin_keys(c.name)

    # A mix of classifications, Chinese names, key customers.
    assert set(customers.values_list("category", flat=True)) == {"supplier", "distributor", "agreement", "direct", "special", "outlet"}
    assert len(set(customers.values_list("status", flat=True))) >= 3
    assert len(set(customers.values_list("source", flat=True))) >= 5
    assert customers.filter(is_key=True).exists()
    assert customers.filter(name__contains="钢").exists() and customers.filter(category="special", special_kind="bank").exists()
    assert len(set(customers.values_list("region", flat=True))) >= 10

    # Field history: one "created" row per record, by its creator.
    assert Customer.history.filter(history_type="+").count() == 600
    assert Contact.history.count() == Contact.objects.count()


def models_f(name):
    from django.db.models import F

    return F(name)


def test_demo_has_work_for_the_duplicate_check_and_the_archivist():
    build(500)
    customers = Customer.objects.all()
    # About 2 % near-duplicates: the duplicate check finds their originals.
    from guanxi.customers.duplicates import find_duplicates

    twins = customers.order_by("-created_at")
    found = 0
    for c in customers:
        hits = find_duplicates({"name": c.name, "phone": c.phone, "credit_code": c.credit_code}, exclude_pk=c.pk)
        found += bool(hits)
    assert found >= 10  # ≥ 5 twins and their originals
    assert twins.filter(name__contains="\u3000").exists() or twins.filter(name__contains="有限责任公司").exists()

    # About 10 % incomplete, some unfiled, some late.
    incomplete = customers.filter(completeness__lt=100).count()
    assert incomplete >= 50
    assert customers.filter(completeness__lt=100).exclude(missing_fields=[]).exists()
    assert customers.filter(filed_at__isnull=True).exists()
    from django.utils import timezone

    assert customers.filter(filed_at__isnull=True, filing_deadline__lt=timezone.localdate()).exists()
    # Every deadline follows its own record's first contact (a twin's too, not its original's).
    from guanxi.customers.filing import filing_deadline_for

    for c in customers.only("first_contact_date", "filing_deadline"):
        assert c.filing_deadline == filing_deadline_for(c.first_contact_date), c.pk

    # Outlets carry the outlet profile (custom fields of seed 003 附表二).
    outlets = customers.filter(category="outlet")
    assert outlets.exists()
    assert any(len(c.custom_data) >= 5 for c in outlets)


def test_same_seed_same_archive():
    build(80, seed=7)
    first = sorted(Customer.objects.values_list("name", "credit_code", "phone", "owner__username"))
    from django.db.models import PROTECT

    from guanxi.reviews.models import DowngradeTask

    DowngradeTask.objects.all().delete()  # tasks protect their incidents
    for rel in Customer._meta.related_objects:  # later apps' records (blacklist, incidents) protect their customers
        if rel.on_delete is PROTECT and rel.related_model is not Customer:
            rel.related_model._default_manager.all().delete()
    Contact.objects.all().delete()
    Customer.objects.all().delete()
    customer_demo.build_customers(__import__("random").Random("7:customers.archive"), 80)
    assert sorted(Customer.objects.values_list("name", "credit_code", "phone", "owner__username")) == first
