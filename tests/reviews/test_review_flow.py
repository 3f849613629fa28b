"""A review form through both approvals (department manager, then finance), and what is refused."""

from __future__ import annotations

import pytest

from guanxi.approvals import services as approvals
from guanxi.approvals.models import ApprovalRequest
from guanxi.core.errors import Conflict, DomainError, NotAllowed
from guanxi.grading.models import CustomerGrade
from guanxi.reviews import services
from guanxi.reviews.models import Review

GOOD = {"contract_performance": "good", "payment_timeliness": "good", "credit": "good", "result": "good"}


def _review(env, level="qualified", fill=10):
    customer = env.customer(level)
    env.fill(fill)
    services.open_cycle(env.dept, actor=env.dm)
    return Review.objects.get(customer=customer)


def _level(review):
    return CustomerGrade.objects.get(customer=review.customer).level


def test_review_through_both_approvals_applies_the_grade(env):
    review = _review(env)
    services.update_review(review, actor=env.rep, data={**GOOD, "proposed_level": "preferred", "comment": "按时付款"})
    review = services.submit_review(Review.objects.get(pk=review.pk), actor=env.rep)
    assert review.status == "submitted"
    req = review.approval
    assert req.action == "grading.review" and req.clause == "approvals.flows.grading.review"
    steps = list(req.steps.order_by("index"))
    assert [s.spec["role"] for s in steps] == ["department_manager", "finance"]
    assert set(steps[0].assignments.values_list("approver_id", flat=True)) == {env.dm.pk}
    assert set(steps[1].assignments.values_list("approver_id", flat=True)) == {env.fin.pk}

    # finance cannot approve before the department manager
    with pytest.raises(NotAllowed, match="not at your step"):
        approvals.approve(req, env.fin)
    approvals.approve(req, env.dm)
    assert _level(review) == "qualified"  # nothing applied after the first step
    approvals.approve(req, env.fin)

    review.refresh_from_db()
    assert (review.status, review.applied_level) == ("approved", "preferred")
    grade = CustomerGrade.objects.get(customer=review.customer)
    assert (grade.level, grade.source) == ("preferred", "review")
    assert ApprovalRequest.objects.get(pk=req.pk).status == "approved"


def test_submitting_twice_is_refused(env):
    review = _review(env)
    services.submit_review(review, actor=env.rep, data=GOOD)
    with pytest.raises(Conflict, match="already been submitted"):
        services.submit_review(Review.objects.get(pk=review.pk), actor=env.rep)
    with pytest.raises(Conflict):
        services.update_review(Review.objects.get(pk=review.pk), actor=env.rep, data={"comment": "x"})
    assert ApprovalRequest.objects.filter(action="grading.review").count() == 1


def test_submit_needs_the_ratings(env):
    review = _review(env)
    with pytest.raises(DomainError, match="Fill in before submitting"):
        services.submit_review(review, actor=env.rep)
    assert Review.objects.get(pk=review.pk).status == "draft"


def test_unknown_level_is_refused(env):
    review = _review(env)
    with pytest.raises(DomainError, match="not a level"):
        services.update_review(review, actor=env.rep, data={"proposed_level": "Z"})


def test_approval_by_someone_not_entitled_is_refused(env):
    review = services.submit_review(_review(env), actor=env.rep, data=GOOD)
    for outsider in (env.odm, env.md, env.rep):
        with pytest.raises(NotAllowed):
            approvals.approve(review.approval, outsider)
    assert ApprovalRequest.objects.get(pk=review.approval_id).status == "pending"
    assert Review.objects.get(pk=review.pk).status == "submitted"


def test_quota_refusal_refuses_the_approval_and_applies_nothing(env):
    review = _review(env, fill=0)  # the only customer: preferred would be 100% > 30%
    review = services.submit_review(review, actor=env.rep, data={**GOOD, "proposed_level": "preferred"})
    approvals.approve(review.approval, env.dm)
    with pytest.raises(DomainError) as exc:
        approvals.approve(review.approval, env.fin)
    assert "30" in str(exc.value)
    assert Review.objects.get(pk=review.pk).status == "submitted"
    assert _level(review) == "qualified"
    req = ApprovalRequest.objects.get(pk=review.approval_id)
    assert (req.status, req.current_step) == ("pending", 1)


def test_rejection_sends_the_form_back_and_it_can_be_resubmitted(env):
    review = services.submit_review(_review(env), actor=env.rep, data=GOOD)
    approvals.reject(review.approval, env.dm, comment="补充说明")
    review.refresh_from_db()
    assert review.status == "rejected"
    review = services.submit_review(review, actor=env.rep, data={"comment": "已补充"})
    assert review.status == "submitted" and review.approval.status == "pending"


def test_withdrawing_makes_the_form_editable(env):
    review = services.submit_review(_review(env), actor=env.rep, data=GOOD)
    approvals.cancel(review.approval, env.rep)
    assert Review.objects.get(pk=review.pk).status == "draft"


def test_good_reviews_suggest_an_upgrade_applied_through_the_next_review(env):
    review = _review(env)
    services.submit_review(review, actor=env.rep, data=GOOD)
    req = Review.objects.get(pk=review.pk).approval
    approvals.approve(req, env.dm)
    approvals.approve(req, env.fin)
    customer = review.customer
    assert services.suggested_upgrade(customer) == "preferred"  # upgrade_after_good_reviews = 1

    import datetime as dt

    nxt = services.period_of(review.cycle.period_end + dt.timedelta(days=1))
    services.open_cycle(env.dept, actor=env.dm, period=nxt)
    second = Review.objects.get(customer=customer, cycle__period_start=nxt[0])
    second = services.update_review(second, actor=env.rep, data={"comment": "好"})
    assert second.suggested_level == "preferred"


def test_no_suggestion_after_a_poor_review(env):
    review = _review(env)
    services.submit_review(review, actor=env.rep, data={**GOOD, "result": "poor"})
    req = Review.objects.get(pk=review.pk).approval
    approvals.approve(req, env.dm)
    approvals.approve(req, env.fin)
    assert services.suggested_upgrade(review.customer) == ""
