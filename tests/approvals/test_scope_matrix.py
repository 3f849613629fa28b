"""The shared scope matrix applied to approval requests, plus the inbox query-count baselines.

Approval requests have no create/edit/delete views (requests are opened by the features that
need them, decided through services) and no list page in the matrix's sense: the inbox is open
to every user and shows what they made or must decide, so it is tested below on its own.
"""

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from guanxi.approvals.models import ApprovalAssignment, ApprovalRequest, ApprovalStep, StepStatus
from tests.support import org
from tests.support.scoped import ScopedObjectTests, assert_no_n_plus_one


def make_request(requester, unit, approver=None) -> ApprovalRequest:
    target = org.make_unit()
    req = ApprovalRequest.objects.create(
        action="test.change",
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        target_repr=str(target),
        title=org.unique("Request"),
        requester=requester,
        requester_unit=unit,
    )
    step = ApprovalStep.objects.create(request=req, index=0, kind="role", mode="any", label="Step", status=StepStatus.PENDING)
    if approver is not None:
        ApprovalAssignment.objects.create(step=step, approver=approver)
    return req


class TestApprovalRequestScope(ScopedObjectTests):
    model = ApprovalRequest
    detail_url = "approvals:detail"
    api_basename = "approval-request"
    api_actions = ("retrieve",)
    constrained_scope = "unit_tree"

    def make_object(self, env, *, in_scope=True):
        unit = env.child if in_scope else env.other
        return make_request(org.make_user(org.make_role("scope-requester"), unit), unit)


def test_involvement_without_permission(db, login):
    """A role without approval permissions still sees (and only sees) what its holder made or
    must decide; anything else answers 403."""
    unit = org.make_unit()
    plain = org.make_role("apr-plain", permissions=[], scope="all")
    requester = org.make_user(plain, unit)
    approver = org.make_user(plain, unit)
    stranger = org.make_user(plain, unit)
    req = make_request(requester, unit, approver=approver)
    url = reverse("approvals:detail", args=[req.pk])
    assert login(requester).get(url).status_code == 200
    assert login(approver).get(url).status_code == 200
    assert login(stranger).get(url).status_code == 403
    inbox = login(approver).get(reverse("approvals:inbox"))
    assert req.title in inbox.content.decode()
    assert req.title not in login(stranger).get(reverse("approvals:inbox") + "?tab=all").content.decode()


def test_inbox_query_count(db, login):
    unit = org.make_unit()
    approver = org.make_user("department_manager", unit)
    requester = org.make_user("sales_rep", unit)
    client = login(approver)
    for tab in ("waiting", "all"):
        assert_no_n_plus_one(
            client, reverse("approvals:inbox") + f"?tab={tab}", lambda: make_request(requester, unit, approver=approver), max_queries=25
        )


def test_api_list_query_count(db):
    from rest_framework.test import APIClient

    unit = org.make_unit()
    approver = org.make_user("department_manager", unit)
    requester = org.make_user("sales_rep", unit)
    client = APIClient()
    client.force_authenticate(approver)
    assert_no_n_plus_one(client, reverse("approval-request-list"), lambda: make_request(requester, unit, approver=approver), max_queries=15)
