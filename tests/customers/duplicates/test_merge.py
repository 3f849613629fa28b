"""merge_customers and the merge page: every linked record moves, both records and histories
stay, the removed one leaves the lists, the merge is audited and permission- and scope-checked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.audit import events_for
from guanxi.core.errors import DomainError, NotAllowed
from guanxi.customers.merge import linked_relations, merge_customers
from guanxi.customers.models import (
    Contact,
    Customer,
    CustomerDepartment,
    CustomerFile,
    CustomerMember,
    DuplicateFinding,
    FindingKind,
    Tag,
)
from tests.support import org


@pytest.fixture
def pair(org_env, make_customer):
    keep = make_customer("华新钢铁有限公司", phone="", address="武汉市青山区", owner=org_env.rep_east)
    remove = make_customer(
        "华新钢铁有限责任公司",
        unit=org_env.east_team,
        phone="027-86001234",
        address="武汉市另一个地址",
        owner=org_env.rep_east,
        custom_data={"outlet_type": "超市"},
    )
    dept = CustomerDepartment.objects.create(customer=remove, name="采购部")
    Contact.objects.create(customer=remove, department=dept, name="王五", mobile="13812345678")
    Contact.objects.create(customer=remove, name="赵六")
    Contact.objects.create(customer=keep, name="张三")
    CustomerMember.objects.create(customer=remove, user=org_env.rep_west)
    CustomerMember.objects.create(customer=remove, user=org_env.manager_east)
    CustomerMember.objects.create(customer=keep, user=org_env.manager_east)  # already on keep: stays
    CustomerFile.objects.create(customer=remove, file="customers/2024/01/photo.jpg", name="门头照")
    tag_a, tag_b = Tag.objects.create(name="dup-a"), Tag.objects.create(name="dup-b")
    keep.tags.add(tag_a)
    remove.tags.add(tag_a, tag_b)
    return keep, remove


def test_merge_moves_linked_records_and_keeps_both(org_env, pair):
    keep, remove = pair
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove, field_choices={"phone": "remove", "address": "keep"})
    keep.refresh_from_db()
    remove.refresh_from_db()
    assert remove.merged_into_id == keep.pk
    assert sorted(keep.contacts.values_list("name", flat=True)) == ["张三", "王五", "赵六"]
    assert keep.departments.get().name == "采购部"
    assert Contact.objects.get(name="王五").department.customer_id == keep.pk
    assert set(keep.members.values_list("user_id", flat=True)) == {org_env.rep_west.pk, org_env.manager_east.pk}
    assert list(remove.members.values_list("user_id", flat=True)) == [org_env.manager_east.pk]  # the clash stays
    assert keep.files.get().name == "门头照"
    assert set(keep.tags.values_list("name", flat=True)) == {"dup-a", "dup-b"}
    # fields: the chosen phone (and its key), the kept address, custom fields filled in
    assert keep.phone == "027-86001234" and keep.phone_key == "02786001234"
    assert keep.address == "武汉市青山区"
    assert keep.custom_data == {"outlet_type": "超市"}
    # the removed record leaves the lists but still exists
    assert list(Customer.objects.live().filter(pk__in=[keep.pk, remove.pk])) == [keep]
    assert Customer.objects.filter(pk=remove.pk).exists()


def test_merge_keeps_history_and_is_audited(org_env, pair):
    keep, remove = pair
    before_keep, before_remove = keep.history.count(), remove.history.count()
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)
    assert keep.history.count() > before_keep
    assert remove.history.count() > before_remove
    assert remove.history.first().merged_into_id == keep.pk
    moved_contact = Contact.objects.get(name="王五")
    assert [h.customer_id for h in moved_contact.history.order_by("history_id")] == [remove.pk, keep.pk]
    (event,) = events_for(keep).filter(event_type="customer.merged")
    assert event.actor_id == org_env.manager_east.pk
    assert event.data["kept"] == keep.pk and event.data["removed"] == remove.pk
    moved = event.data["moved"]
    assert moved["customers.contact"] == 2
    assert moved["customers.customerdepartment"] == 1
    assert moved["customers.customermember"] == 1
    assert moved["customers.customerfile"] == 1
    assert moved["customers.customer.tags"] == 1
    assert event.data["left_on_removed"] == {"customers.customermember": 1, "customers.customer.tags": 1}


def test_merge_raises_versions(org_env, pair):
    keep, remove = pair
    merge_customers(actor=org_env.manager_east, keep=keep.pk, remove=remove.pk)
    assert Customer.objects.get(pk=keep.pk).version == keep.version + 1
    assert Customer.objects.get(pk=remove.pk).version == remove.version + 1


def test_merge_resolves_open_findings(org_env, pair):
    keep, remove = pair
    finding = DuplicateFinding.objects.create(kind=FindingKind.DUPLICATE, key="k1", reason="name")
    finding.customers.set([keep, remove])
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)
    finding.refresh_from_db()
    assert finding.resolution == "merged" and finding.resolved_by_id == org_env.manager_east.pk
    assert set(finding.customers.values_list("pk", flat=True)) == {keep.pk, remove.pk}  # findings do not move


def test_records_merged_into_the_removed_one_follow(org_env, pair, make_customer):
    keep, remove = pair
    older = make_customer("华新钢铁集团", merged_into=remove)
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)
    assert Customer.objects.get(pk=older.pk).merged_into_id == keep.pk


def test_every_reverse_foreign_key_is_moved():
    """Generic: any model with a foreign key to Customer (later apps too) is moved."""
    covered = {(r.related_model, r.field.name) for r in linked_relations()}
    for rel in Customer._meta.related_objects:
        model = rel.related_model
        if rel.many_to_many or model is DuplicateFinding or model.__name__.startswith("Historical"):
            continue
        assert (model, rel.field.name) in covered, model


def test_merge_needs_the_permission(org_env, pair):
    keep, remove = pair
    with pytest.raises(NotAllowed):
        merge_customers(actor=org_env.rep_east, keep=keep, remove=remove)
    assert Customer.objects.get(pk=remove.pk).merged_into_id is None


def test_merge_needs_both_records_in_scope(org_env, pair, make_customer):
    keep, _remove = pair
    west = make_customer("华新钢铁", unit=org_env.west, owner=org_env.rep_west)
    with pytest.raises(NotAllowed):
        merge_customers(actor=org_env.manager_east, keep=keep, remove=west)
    assert Customer.objects.get(pk=west.pk).merged_into_id is None
    assert not Contact.objects.filter(customer=west).exists()


def test_merge_refuses_bad_requests(org_env, pair):
    keep, remove = pair
    with pytest.raises(DomainError):
        merge_customers(actor=org_env.manager_east, keep=keep, remove=keep)
    with pytest.raises(DomainError):
        merge_customers(actor=org_env.manager_east, keep=keep, remove=remove, field_choices={"created_by": "remove"})
    with pytest.raises(DomainError):
        merge_customers(actor=org_env.manager_east, keep=keep, remove=remove, field_choices={"phone": "both"})
    assert Contact.objects.filter(customer=remove).count() == 2  # rolled back
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)
    with pytest.raises(DomainError):
        merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)


# ---------------------------------------------------------------- the page


def test_merge_page_compares_and_merges(login, org_env, pair):
    keep, remove = pair
    client = login(org_env.manager_east)
    url = reverse("customers:merge")
    page = client.get(url, {"keep": keep.pk, "remove": remove.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "武汉市另一个地址" in html and "武汉市青山区" in html
    # without the confirmation nothing happens
    refused = client.post(url, {"keep": keep.pk, "remove": remove.pk})
    assert refused.status_code == 400
    assert Customer.objects.get(pk=remove.pk).merged_into_id is None
    done = client.post(url, {"keep": keep.pk, "remove": remove.pk, "confirm": "1", "field_phone": "remove"})
    assert done.status_code == 302
    assert Customer.objects.get(pk=remove.pk).merged_into_id == keep.pk
    assert Customer.objects.get(pk=keep.pk).phone == "027-86001234"
    event = events_for(keep).get(event_type="customer.merged")
    assert event.source == "web"


def test_merge_page_permission_and_scope(login, org_env, pair, make_customer):
    keep, remove = pair
    url = reverse("customers:merge")
    assert login(org_env.rep_east).get(url, {"keep": keep.pk, "remove": remove.pk}).status_code == 403
    west = make_customer("华新钢铁", unit=org_env.west, owner=org_env.rep_west)
    client = login(org_env.manager_east)
    assert client.get(url, {"keep": keep.pk, "remove": west.pk}).status_code == 404
    assert client.post(url, {"keep": keep.pk, "remove": west.pk, "confirm": "1"}).status_code == 404
    assert client.get(url, {"keep": "x", "remove": ""}).status_code == 404
    assert Customer.objects.get(pk=west.pk).merged_into_id is None
    outsider = org.make_user("dup_merger_self", org_env.west, scope="self", permissions=["customers.merge_customer"])
    assert login(outsider).get(url, {"keep": keep.pk, "remove": remove.pk}).status_code == 404


def test_conditional_unique_rows_stay_on_the_removed_record(org_env, pair):
    """E.g. "one open return task per customer" (filing): an open one already on the kept
    customer blocks moving the removed one's, instead of failing the merge."""
    from guanxi.customers import models as customer_models

    ReturnTask = getattr(customer_models, "ReturnTask", None)
    if ReturnTask is None:
        pytest.skip("no model with a conditional unique constraint yet")
    keep, remove = pair
    ReturnTask.objects.create(customer=keep, unit=keep.unit)
    ReturnTask.objects.create(customer=remove, unit=remove.unit)
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)
    assert ReturnTask.objects.filter(customer=keep).count() == 1
    assert ReturnTask.objects.filter(customer=remove).count() == 1


def test_a_team_member_of_the_removed_record_sees_the_kept_one(org_env, pair):
    """Memberships are cached with the principal; moving them renews it."""
    from django.contrib.auth import get_user_model

    keep, remove = pair

    def member_sees(customer) -> bool:
        user = get_user_model().objects.get(pk=org_env.rep_west.pk)  # as the next request loads it
        return Customer.objects.restrict(user, "view").filter(pk=customer.pk).exists()

    assert member_sees(remove) and not member_sees(keep)
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)
    assert member_sees(keep)


def test_merge_of_two_unfiled_records_keeps_the_earlier_first_contact_and_its_deadline(org_env, make_customer):
    """The company was first contacted on the earlier date: filing is due five working days
    after that one (seed 002 §1.4), whichever record is kept."""
    import datetime as dt

    from guanxi.customers.filing import filing_deadline_for

    early, late = dt.date(2026, 3, 2), dt.date(2026, 6, 1)
    keep = make_customer("华新钢铁有限公司", first_contact_date=late, filing_deadline=filing_deadline_for(late))
    remove = make_customer("华新钢铁有限责任公司", first_contact_date=early, filing_deadline=filing_deadline_for(early))
    merge_customers(actor=org_env.manager_east, keep=keep, remove=remove)
    keep.refresh_from_db()
    assert keep.filed_at is None
    assert (keep.first_contact_date, keep.filing_deadline) == (early, filing_deadline_for(early))
