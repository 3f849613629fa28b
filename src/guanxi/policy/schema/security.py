"""Policy section `security`: sessions, lockout, personal data, access grants, audit retention
and backups (F-ORG-4, F-ORG-5, F-SEC-1 … F-SEC-5)."""

from __future__ import annotations

from typing import Annotated, Literal

from django.utils.translation import gettext_noop
from pydantic import Field, field_validator

from .base import Count, Days, Minutes, Section, clause

PersonalField = Literal["mobile", "phone", "id_number", "address", "birthday", "family_background", "email", "wechat"]


class SecurityPolicy(Section):
    idle_timeout_minutes: Minutes = clause(
        30,
        zh="空闲超时",
        en="Sign out after inactivity",
        help=gettext_noop("A session unused for this long ends; the user signs in again."),
        unit="minutes",
        seed="seed 001 §3 系统访问权限",
    )
    absolute_timeout_hours: Annotated[int, Field(ge=1, le=24 * 31)] = clause(
        12,
        zh="会话最长时长",
        en="Longest session",
        help=gettext_noop("A session ends this long after sign-in, whatever the activity."),
        unit="hours",
        seed="seed 001 §3 系统访问权限",
    )
    lockout_failures: Annotated[int, Field(ge=1, le=100)] = clause(
        5,
        zh="登录失败锁定次数",
        en="Lock an account after failed sign-ins",
        unit="count",
        seed="seed 001 §3.2",
    )
    lockout_window_minutes: Minutes = clause(
        15,
        zh="登录失败统计时段/锁定时长",
        en="Failure window and lock duration",
        unit="minutes",
        seed="seed 001 §3.2",
    )
    personal_data_fields: list[PersonalField] = clause(
        zh="个人信息字段",
        en="Personal-information fields",
        help=gettext_noop("Shown masked (138****5678) to users without the right to see personal information."),
        seed="SPEC F-ORG-5; seed 004 §5.3",
        default_factory=lambda: ["mobile", "id_number", "address", "birthday", "family_background"],
    )
    access_grant_days: Annotated[int, Field(ge=1, le=366)] = clause(
        7,
        zh="调阅他人客户档案授权有效期",
        en="Access to another person's customer files lasts",
        unit="days",
        seed="seed 002 §1.5; seed 000 §一.5",
    )
    audit_retention_days: Annotated[int, Field(ge=183, le=36600)] = clause(
        183,
        zh="审计日志保存期",
        en="Keep the audit log for",
        help=gettext_noop("At least six months (183 days)."),
        unit="days",
        seed="SPEC F-SEC-5",
    )
    backup_interval_hours: Annotated[int, Field(ge=1, le=24 * 31)] = clause(
        24,
        zh="自动备份间隔",
        en="Scheduled backup every",
        unit="hours",
        seed="seed 001 §4.3",
    )
    backup_keep_count: Annotated[int, Field(ge=1, le=1000)] = clause(
        14,
        zh="保留备份份数",
        en="Backups kept",
        unit="count",
        seed="seed 001 §4.3",
    )
    export_row_limit: Count = clause(
        100_000,
        zh="单次导出行数上限",
        en="Largest export",
        help=gettext_noop("An export with more rows than this is refused (0 = no limit)."),
        unit="count",
        seed="SPEC F-SEC-2",
    )
    import_file_retention_days: Annotated[int, Field(ge=1, le=3660)] = clause(
        30,
        zh="导入文件保存期",
        en="Keep uploaded import files for",
        help=gettext_noop(
            "An import's uploaded file, error report and preview rows hold contacts' names and numbers; "
            "this long after the import ended (or was left unfinished) they are deleted. "
            "The job's counts and outcome stay."
        ),
        unit="days",
        seed="seed 001 §4.1 数据保护; 个人信息保护法 第十九条 (kept no longer than the purpose needs)",
    )
    personal_data_request_days: Days = clause(
        15,
        zh="个人信息请求处理期限",
        en="Answer a personal-data request within",
        unit="days",
        seed="SPEC F-SEC-3",
    )

    @field_validator("personal_data_fields")
    @classmethod
    def _unique(cls, value):
        if len(set(value)) != len(value):
            raise ValueError("A field is listed twice.")
        return value
