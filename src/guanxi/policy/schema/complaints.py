"""Policy section `complaints`: intake, response deadline and escalation (F-CMP-1, F-CMP-2)."""

from __future__ import annotations

import itertools
from typing import Literal

from django.utils.translation import gettext_noop
from pydantic import field_validator

from .base import Hours, Section, clause

Channel = Literal["hotline", "online", "email", "store_box", "visit", "wechat"]


class ComplaintsPolicy(Section):
    first_response_hours: Hours = clause(
        24,
        zh="投诉首次响应时限",
        en="First response to a complaint within",
        help=gettext_noop("A complaint must get a first response within this many hours of intake."),
        unit="hours",
        seed="seed 004 第十四条 1. 及时性",
    )
    email_reply_hours: Hours = clause(
        24,
        zh="邮件回复最长时限",
        en="E-mail replies within",
        unit="hours",
        seed="seed 004 客户沟通 2.",
    )
    escalation_hours: list[Hours] = clause(
        zh="超时升级节点",
        en="Escalation after the response deadline",
        help=gettext_noop(
            "Hours after a missed deadline at which the complaint is escalated, one management level each time (0 = at once)."
        ),
        unit="hours",
        seed="SPEC F-CMP-1",
        default_factory=lambda: [0, 24],
    )
    channels: list[Channel] = clause(
        zh="投诉受理渠道",
        en="Intake channels",
        seed="SPEC F-CMP-1; seed 000 客户服务",
        default_factory=lambda: ["hotline", "online", "email", "store_box", "visit"],
    )
    auto_assign: bool = clause(
        True,
        zh="按类型与区域自动分派",
        en="Assign complaints automatically by type and region",
        seed="seed 003 三(四)",
    )
    customer_signoff_required: bool = clause(
        True,
        zh="处理结果需客户签字确认",
        en="The customer signs off the handling result",
        seed="seed 003 附表五 客户投诉处理表",
    )

    @field_validator("escalation_hours")
    @classmethod
    def _increasing(cls, value):
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("Escalation hours must be in increasing order.")
        return value
