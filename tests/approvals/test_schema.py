import pytest
from pydantic import ValidationError

from guanxi.approvals.schema import ApprovalFlow, ApprovalsPolicy, ApprovalStep


def test_defaults_ship_the_flows():
    pol = ApprovalsPolicy()
    assert pol.escalate_after_hours == 48 and pol.fallback_role == "administrator"
    change = pol.flows["policy.change"]
    assert [(s.kind, s.role, s.mode) for s in change.steps] == [("role", "general_manager", "any")]
    transfer = pol.flows["customer.transfer"]
    assert [s.role for s in transfer.steps] == ["department_manager", "marketing_director"]
    for key in ("blacklist.company", "grading.confirm", "access.request", "care.budget"):
        assert pol.flows[key].steps
    # Round trip through plain data (the policy is stored as YAML/JSON).
    assert ApprovalsPolicy.model_validate(pol.model_dump()) == pol


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "role"}, "needs 'role'"),
        ({"kind": "user"}, "needs 'user'"),
        ({"kind": "supervisor"}, "needs 'level'"),
        ({"kind": "supervisor", "level": 0}, "1 or more"),
        ({"kind": "role", "role": "gm", "level": 2}, "takes only 'role'"),
        ({"kind": "role", "role": "General Manager"}, "not a valid role code"),
        ({"kind": "group", "role": "x"}, "kind"),
        ({"kind": "role", "role": "x", "mode": "some"}, "mode"),
    ],
)
def test_step_validation_messages(data, message):
    with pytest.raises(ValidationError, match=message):
        ApprovalStep(**data)


def test_flow_and_section_validation():
    with pytest.raises(ValidationError, match="at least one step"):
        ApprovalFlow(label="x", steps=[])
    with pytest.raises(ValidationError, match="at least 1 hour"):
        ApprovalsPolicy(escalate_after_hours=0)
    with pytest.raises(ValidationError, match="not a valid action key"):
        ApprovalsPolicy(flows={"Policy Change": {"steps": [{"kind": "role", "role": "general_manager"}]}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        ApprovalsPolicy(flows={}, unknown=1)
