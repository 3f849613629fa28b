"""Demo data of reviews: a few incidents (some serious, opening downgrade tasks) and an open
review cycle for one department with a few forms filled in. Runs after the grading demo."""

from __future__ import annotations

import contextlib
import datetime as dt

from guanxi.core import demo as demo_registry

INCIDENTS = (
    ("late_payment", True, "货款逾期超过60天未付,多次催收无果。"),
    ("breach", True, "未按合同约定时间交付,影响我方项目进度。"),
    ("crisis", True, "客户公司主要负责人变更,经营出现重大危机。"),
    ("late_payment", False, "本月货款晚到一周。"),
    ("other", False, "对账单有差异,已沟通解决。"),
)


@demo_registry.register(60, "reviews")
def build(rng, stdout=None) -> None:
    from guanxi.accounts.models import OrgUnit, UnitKind
    from guanxi.customers.models import Customer

    from . import services
    from .models import Review, ReviewCycle

    if ReviewCycle.objects.exists():
        return
    departments = OrgUnit.objects.filter(is_active=True, kind=UnitKind.DEPARTMENT).order_by("path")
    unit = next((u for u in departments if Customer.objects.live().filter(unit__path__startswith=u.path).exists()), None)
    if unit is None:
        return
    customers = list(Customer.objects.live().filter(unit__path__startswith=unit.path).select_related("owner").order_by("pk")[:200])
    today = services.today()
    recorded = tasks = 0
    graded = [c for c in customers if _above_lowest(c)]
    for kind, serious, text in INCIDENTS:
        customer = rng.choice(customers)
        if serious:
            customer = graded.pop(0) if graded else _give_grade(rng.choice(customers))
        when = today - dt.timedelta(days=rng.randint(0, 40))
        incident = services.record_incident(customer, actor=customer.owner, kind=kind, serious=serious, date=when, description=text)
        recorded += 1
        tasks += incident.downgrade_tasks.count()
    cycle = services.open_cycle(unit, actor=None)
    filled = 0
    ratings = ("good", "good", "good", "fair", "poor")
    for review in Review.objects.filter(cycle=cycle).order_by("pk")[:5]:
        result = rng.choice(ratings)
        services.update_review(
            review,
            actor=review.owner,
            data={
                "contract_performance": result,
                "payment_timeliness": rng.choice(ratings),
                "credit": "good",
                "result": result,
                "comment": "本期合同履约正常。" if result == "good" else "本期有付款延迟,需关注。",
            },
        )
        filled += 1
    if stdout is not None:
        stdout.write(
            f"reviews: {recorded} incidents ({tasks} downgrade tasks), cycle of {unit} with {cycle.review_count} forms, {filled} filled in\n"
        )


def _above_lowest(customer) -> bool:
    from . import grades

    level = grades.current_level(customer)
    return bool(level) and grades.is_above_lowest_regular(grades.scheme_for(customer), level)


def _give_grade(customer):
    """Demo only: a customer with a grade above the lowest regular level, so a serious incident
    opens a downgrade task (the grading demo may leave grades unconfirmed)."""
    from guanxi.core.errors import DomainError

    from . import grades

    if _above_lowest(customer):
        return customer
    scheme = grades.scheme_for(customer)
    codes = grades.codes(scheme)
    low = codes.index(grades.lowest_regular(scheme))
    if low > 0:
        with contextlib.suppress(DomainError):
            grades.set_grade(customer, codes[low - 1], actor=None, reason="演示数据", source="override", check_quota=False)
    return customer
