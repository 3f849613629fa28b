import pytest
from django.urls import reverse

from guanxi.approvals import services
from guanxi.approvals.models import ApprovalRequest, RequestStatus

from .conftest import ACTION, flow, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def req(org, policy, action, target):
    policy(flow(step(role="department_manager", label="Department manager")))
    return services.submit(ACTION, target=target, requester=org.rep, payload={"what": "the thing"})


def test_inbox_tabs(org, req, login):
    dm = login(org.dm)
    page = dm.get(reverse("approvals:inbox"))
    assert page.status_code == 200
    assert req.title in page.content.decode()

    rep = login(org.rep)
    assert req.title not in rep.get(reverse("approvals:inbox")).content.decode()  # nothing waits for the rep
    assert req.title in rep.get(reverse("approvals:inbox") + "?tab=mine").content.decode()
    assert req.title in rep.get(reverse("approvals:inbox") + "?tab=all&status=pending&action=test.change").content.decode()
    assert req.title not in rep.get(reverse("approvals:inbox") + "?tab=mine&status=approved").content.decode()
    # Junk filters are ignored, never a 500.
    assert rep.get(reverse("approvals:inbox") + "?tab=nope&status=zzz&page=abc").status_code == 200


def test_inbox_paginates(org, policy, action, login):
    from tests.support import org as orgf

    policy(flow(step(role="department_manager")))
    for _ in range(30):
        services.submit(ACTION, target=orgf.make_unit(), requester=org.rep)
    client = login(org.dm)
    first = client.get(reverse("approvals:inbox"))
    assert first.context["page_obj"].paginator.num_pages == 2
    assert client.get(reverse("approvals:inbox") + "?page=2").status_code == 200


def test_detail_shows_steps_payload_and_clause(org, req, login):
    page = login(org.dm).get(reverse("approvals:detail", args=[req.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Change the thing" in html  # the action's describe() hook
    assert "approvals.flows.test.change" in html
    assert "Department manager" in html
    assert reverse("approvals:approve", args=[req.pk]) in html


def test_detail_out_of_scope_is_404(org, req, login):
    assert login(org.outsider).get(reverse("approvals:detail", args=[req.pk])).status_code == 404
    assert login(org.outsider).post(reverse("approvals:approve", args=[req.pk]), {"comment": "x"}).status_code == 404


def test_approve_through_the_page(org, req, action, login):
    client = login(org.dm)
    resp = client.post(reverse("approvals:approve", args=[req.pk]), {"comment": "Looks right."})
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED and action.apply == [req.pk]
    assert "Looks right." in client.get(reverse("approvals:detail", args=[req.pk])).content.decode()


def test_reject_without_comment_keeps_the_page(org, req, action, login):
    org.dm.language = "en"  # the message is asserted in English
    org.dm.save(update_fields=["language"])
    client = login(org.dm)
    resp = client.post(reverse("approvals:reject", args=[req.pk]), {"comment": ""})
    assert resp.status_code == 400
    assert "reason" in resp.content.decode()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    resp = client.post(reverse("approvals:reject", args=[req.pk]), {"comment": "No budget."})
    assert resp.status_code == 302
    assert ApprovalRequest.objects.get(pk=req.pk).status == RequestStatus.REJECTED


def test_requester_cannot_approve_but_can_withdraw(org, req, action, login):
    client = login(org.rep)
    resp = client.post(reverse("approvals:approve", args=[req.pk]), {"comment": "mine"})
    assert resp.status_code == 403
    assert ApprovalRequest.objects.get(pk=req.pk).status == RequestStatus.PENDING
    assert client.post(reverse("approvals:cancel", args=[req.pk])).status_code == 302
    assert ApprovalRequest.objects.get(pk=req.pk).status == RequestStatus.CANCELLED


def test_get_on_decision_endpoints_is_refused(org, req, login):
    assert login(org.dm).get(reverse("approvals:approve", args=[req.pk])).status_code == 405


def test_department_manager_sees_unit_requests_in_all_tab(org, policy, action, login):
    """Scope: a role with unit_tree sees requests from its units; a colleague outside does not."""
    from tests.support import org as orgf

    policy(flow(step(role="marketing_director")))
    other = services.submit(ACTION, target=orgf.make_unit(), requester=org.lead)
    assert other.title in login(org.dm).get(reverse("approvals:inbox") + "?tab=all").content.decode()
    assert login(org.dm).get(reverse("approvals:detail", args=[other.pk])).status_code == 200
    assert login(org.outsider).get(reverse("approvals:detail", args=[other.pk])).status_code == 404
