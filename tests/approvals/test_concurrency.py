"""Two approvers deciding at the same moment on PostgreSQL: the action is applied exactly once."""

import threading
import time

import pytest
from django.db import connection, connections

from guanxi.approvals import registry, services
from guanxi.approvals.models import ApprovalRequest, RequestStatus
from guanxi.core.errors import Conflict
from tests.support import org as orgf

from .conftest import ACTION, flow, step


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_final_approvals_apply_once(policy):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    applied = []

    def apply(req):
        applied.append(req.pk)
        time.sleep(0.3)  # hold the transaction open while the other approver tries

    registry.register(ACTION, label="Test", apply=apply)
    try:
        unit = orgf.make_unit()
        orgf.make_role("administrator")
        gm1 = orgf.make_user("general_manager", unit)
        gm2 = orgf.make_user("general_manager", unit)
        rep = orgf.make_user("sales_rep", unit)
        policy(flow(step(role="general_manager", mode="any")))
        req = services.submit(ACTION, target=orgf.make_unit(), requester=rep)

        barrier = threading.Barrier(2)
        outcomes = []

        def decide(user):
            try:
                barrier.wait()
                services.approve(req.pk, user, "now")
                outcomes.append("approved")
            except Conflict:
                outcomes.append("conflict")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=decide, args=(u,)) for u in (gm1, gm2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

        assert sorted(outcomes) == ["approved", "conflict"]
        assert applied == [req.pk]
        req = ApprovalRequest.objects.get(pk=req.pk)
        assert req.status == RequestStatus.APPROVED and req.applied_at is not None
    finally:
        registry.unregister(ACTION)
