"""The `approvals` section of the policy (F-APR-1): which steps each action's request goes through.

The policy app embeds `ApprovalsPolicy` in the root policy schema as `approvals`; the engine
(`approvals.services`) reads `policy.current().approvals.flows[action]` when a request is
submitted and records the policy version and clause (`approvals.flows.<action>`) on it.

A step names who approves:
- kind "role": holders of `role` in the requester's unit, else the parent unit, … up to the root;
- kind "user": the user `user` (by username);
- kind "supervisor": the `level`-th supervisor along the reporting line (Position.reports_to);
and how: mode "any" (或签, one approval completes the step) or "all" (会签, every assignee).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ACTION_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
CODE_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


class ApprovalStep(BaseModel):
    """One sequential step of a flow."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["role", "user", "supervisor"] = Field(description="Who approves: a role holder, a named user, or the N-th supervisor.")
    role: str | None = Field(
        default=None, description="Role code, when kind is 'role' (searched in the requester's unit, then each ancestor unit)."
    )
    company_wide: bool = Field(
        default=False,
        description="For a role: when nobody up the requester's units holds it, ask its holders anywhere in the company "
        "(a central office such as the marketing division, which sits beside the sales departments, not above them).",
    )
    user: str | None = Field(default=None, description="Username, when kind is 'user'.")
    level: int | None = Field(
        default=None, description="Which supervisor along the reporting line (1 = direct supervisor), when kind is 'supervisor'."
    )
    mode: Literal["any", "all"] = Field(
        default="any", description="'any' (或签): one approval completes the step; 'all' (会签): every approver must approve."
    )
    label: str = Field(default="", max_length=100, description="Name of the step shown to users.")

    @field_validator("role")
    @classmethod
    def _role_code(cls, value):
        if value is not None and not CODE_RE.match(value):
            raise ValueError(f"'{value}' is not a valid role code (lower-case letters, digits, '_' and '-').")
        return value

    @field_validator("user")
    @classmethod
    def _username(cls, value):
        if value is not None and not value.strip():
            raise ValueError("The username must not be empty.")
        return value.strip() if value is not None else value

    @model_validator(mode="after")
    def _kind_fields(self):
        if self.kind == "role":
            if not self.role:
                raise ValueError("A step of kind 'role' needs 'role' (a role code such as general_manager).")
            if self.user is not None or self.level is not None:
                raise ValueError("A step of kind 'role' takes only 'role', not 'user' or 'level'.")
        elif self.kind == "user":
            if not self.user:
                raise ValueError("A step of kind 'user' needs 'user' (a username).")
            if self.role is not None or self.level is not None:
                raise ValueError("A step of kind 'user' takes only 'user', not 'role' or 'level'.")
        else:
            if self.level is None:
                raise ValueError("A step of kind 'supervisor' needs 'level' (1 = direct supervisor, 2 = the supervisor's supervisor, …).")
            if self.level < 1:
                raise ValueError("The supervisor 'level' must be 1 or more.")
            if self.level > 10:
                raise ValueError("The supervisor 'level' must be 10 or less.")
            if self.role is not None or self.user is not None:
                raise ValueError("A step of kind 'supervisor' takes only 'level', not 'role' or 'user'.")
        if self.company_wide and self.kind != "role":
            raise ValueError("Only a step of kind 'role' can look company-wide.")
        return self

    def describe(self) -> str:
        """A short English description of who approves (for logs and the policy clause view)."""
        if self.kind == "role":
            return f"role {self.role}"
        if self.kind == "user":
            return f"user {self.user}"
        return f"supervisor level {self.level}"


class ApprovalFlow(BaseModel):
    """The steps one action's request goes through, in order."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", max_length=100, description="Name of the flow shown to users.")
    steps: list[ApprovalStep] = Field(description="Sequential steps; each must be approved before the next starts.")

    @field_validator("steps")
    @classmethod
    def _non_empty(cls, value):
        if not value:
            raise ValueError("An approval flow needs at least one step.")
        if len(value) > 20:
            raise ValueError("An approval flow can have at most 20 steps.")
        return value


def _default_flows() -> dict[str, ApprovalFlow]:
    # Labels are company data (shown as written), so the shipped policy uses the seeds' Chinese terms.
    def role(code, label, mode="any", company_wide=False):
        return ApprovalStep(kind="role", role=code, mode=mode, label=label, company_wide=company_wide)

    return {
        "policy.change": ApprovalFlow(label="制度变更", steps=[role("general_manager", "总经理审批")]),
        "customer.transfer": ApprovalFlow(
            label="客户调配",
            steps=[role("department_manager", "部门经理审核"), role("marketing_director", "市场总监审批", company_wide=True)],
        ),
        "blacklist.company": ApprovalFlow(label="公司级黑名单", steps=[role("marketing_director", "市场部审批", company_wide=True)]),
        "grading.confirm": ApprovalFlow(label="客户分级确认", steps=[role("department_manager", "部门经理审批")]),
        "grading.review": ApprovalFlow(
            label="客户阶段评价", steps=[role("department_manager", "部门经理审批"), role("finance", "结算中心审核")]
        ),
        "admission.decide": ApprovalFlow(label="客户准入审批", steps=[role("department_manager", "部门经理审批")]),
        "access.request": ApprovalFlow(label="调阅他人客户档案", steps=[role("department_manager", "部门经理审批")]),
        "care.budget": ApprovalFlow(label="客户关怀活动预算", steps=[role("marketing_director", "总部市场部审批", company_wide=True)]),
    }


class ApprovalsPolicy(BaseModel):
    """Policy section `approvals`."""

    model_config = ConfigDict(extra="forbid")

    flows: dict[str, ApprovalFlow] = Field(default_factory=_default_flows, description="Approval flow per action key (e.g. policy.change).")
    escalate_after_hours: int = Field(default=48, description="A step waiting longer than this is escalated to the next level.")
    fallback_role: str = Field(default="administrator", description="Role whose holders approve when nobody else can (no approver found).")

    @field_validator("flows")
    @classmethod
    def _keys(cls, value):
        for key in value:
            if not ACTION_KEY_RE.match(key):
                raise ValueError(f"'{key}' is not a valid action key: use dotted lower-case words such as 'customer.transfer'.")
        return value

    @field_validator("escalate_after_hours")
    @classmethod
    def _hours(cls, value):
        if value < 1:
            raise ValueError("'escalate_after_hours' must be at least 1 hour.")
        if value > 24 * 90:
            raise ValueError("'escalate_after_hours' must be at most 2160 hours (90 days).")
        return value

    @field_validator("fallback_role")
    @classmethod
    def _fallback(cls, value):
        if not CODE_RE.match(value or ""):
            raise ValueError("'fallback_role' must be a role code such as administrator.")
        return value

    def flow(self, action: str) -> ApprovalFlow | None:
        return self.flows.get(action)
