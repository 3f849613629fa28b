"""Policy section `service`: training plans, inspections and material requests (F-SVC-1 … 3),
service tickets (F-CMP-3)."""

from __future__ import annotations

from django.utils.translation import gettext_noop
from pydantic import field_validator

from .base import Code, Count, DayOfMonth, Days, Months, Section, clause


def _positive_map(value: dict, what: str) -> dict:
    if not value:
        raise ValueError(f"At least one class needs a {what}.")
    return value


class ServicePolicy(Section):
    grading_scheme: Code = clause(
        "outlet",
        zh="服务所用的客户分类方案",
        en="Grading scheme for training and inspection",
        help=gettext_noop("Training and inspection frequencies are given per level of this scheme."),
        seed="seed 003 附表一",
    )
    training_plan_day_of_month: DayOfMonth = clause(
        28,
        zh="每月制定培训计划日",
        en="Training plan drafted on day of month",
        help=gettext_noop(
            "On this day each month the next training plan is drafted from the customers' classes (a shorter month uses its last day)."
        ),
        unit="day_of_month",
        seed="seed 003 三(一) 客户培训",
    )
    training_interval_months: dict[Code, Months] = clause(
        zh="各类客户培训间隔",
        en="Training interval by class",
        help=gettext_noop("Class A quarterly, B half-yearly, C yearly."),
        unit="months",
        seed="seed 003 三(一) 客户培训",
        default_factory=lambda: {"A": 3, "B": 6, "C": 12},
    )
    training_after_signing: bool = clause(
        True,
        zh="签约后即时培训",
        en="Train a new customer right after signing",
        seed="seed 003 四(一)4(1)",
    )
    inspections_per_month: dict[Code, Count] = clause(
        zh="各类网点每月巡检次数",
        en="Inspections per month by class",
        help=gettext_noop("Class A outlets twice a month, B and C once a month."),
        unit="times_per_month",
        seed="seed 003 附表四 客户巡检表",
        default_factory=lambda: {"A": 2, "B": 1, "C": 1},
    )
    material_request_working_days: Days = clause(
        3,
        zh="物料/卡配送处理期限",
        en="Material and card requests handled within",
        unit="working_days",
        seed="seed 003 三(三)",
    )
    undispatched_tickets_first: bool = clause(
        True,
        zh="当日未派工的服务单次日优先",
        en="Tickets not dispatched today go first tomorrow",
        seed="seed 000 客户管理制度及流程",
    )

    @field_validator("training_interval_months")
    @classmethod
    def _training(cls, value):
        if any(v < 1 for v in value.values()):
            raise ValueError("A training interval must be at least 1 month.")
        return _positive_map(value, "training interval")

    @field_validator("inspections_per_month")
    @classmethod
    def _inspections(cls, value):
        return _positive_map(value, "inspection frequency")
