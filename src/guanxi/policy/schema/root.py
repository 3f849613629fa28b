"""The root of the policy: one section per area of the SPEC."""

from __future__ import annotations

from pydantic import PrivateAttr

from guanxi.approvals.schema import ApprovalsPolicy

from .base import Section, group
from .care import CarePolicy
from .complaints import ComplaintsPolicy
from .customers import CustomersPolicy
from .deadlines import DeadlinesPolicy
from .grading import GradingPolicy
from .kpi import KpiPolicy
from .pool import PoolPolicy
from .sales import SalesPolicy
from .security import SecurityPolicy
from .service import ServicePolicy
from .visits import VisitsPolicy


class Policy(Section):
    """The whole policy. `version` is not part of the editable data: the loader attaches the
    number of the version the object was read from (0 = the shipped default)."""

    visits: VisitsPolicy = group(VisitsPolicy, zh="拜访与回访", en="Visits and follow-up", seed="SPEC F-VIS")
    pool: PoolPolicy = group(PoolPolicy, zh="客户分配与公海", en="Allocation and public pool", seed="SPEC F-POOL")
    grading: GradingPolicy = group(GradingPolicy, zh="客户分级与准入", en="Grading and admission", seed="SPEC F-GRD")
    service: ServicePolicy = group(ServicePolicy, zh="培训、巡检与物料", en="Training, inspection and materials", seed="SPEC F-SVC")
    complaints: ComplaintsPolicy = group(ComplaintsPolicy, zh="客户投诉", en="Complaints", seed="SPEC F-CMP")
    care: CarePolicy = group(CarePolicy, zh="客户关怀", en="Customer care", seed="SPEC F-CARE")
    sales: SalesPolicy = group(SalesPolicy, zh="销售", en="Sales", seed="SPEC F-SAL")
    kpi: KpiPolicy = group(KpiPolicy, zh="绩效与薪酬", en="Performance and pay", seed="SPEC F-KPI")
    security: SecurityPolicy = group(SecurityPolicy, zh="数据保护与安全", en="Data protection and security", seed="SPEC F-SEC")
    deadlines: DeadlinesPolicy = group(DeadlinesPolicy, zh="档案期限与检查", en="Record deadlines and checks", seed="SPEC F-CUS")
    customers: CustomersPolicy = group(CustomersPolicy, zh="客户档案内容", en="Customer records", seed="SPEC F-CUS-4, F-CUS-5")
    approvals: ApprovalsPolicy = group(ApprovalsPolicy, zh="审批流程", en="Approval flows", seed="SPEC F-APR-1")

    _version: int = PrivateAttr(default=0)

    @property
    def version(self) -> int:
        return self._version

    def with_version(self, number: int) -> Policy:
        self._version = number
        return self


def default_policy() -> Policy:
    """The shipped default: every number from the seeds (version 0)."""
    return Policy()
