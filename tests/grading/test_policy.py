"""Bad grading policy input is refused with a clear message by clause (nothing saved); the
shipped schemes validate; the policy editor shows the messages."""

from __future__ import annotations

import copy

import pytest

from guanxi.customers.models import Category
from guanxi.grading import fields
from guanxi.policy import services as policy_services
from guanxi.policy.schema import default_policy


def policy_with(scheme_code: str, change) -> dict:
    data = default_policy().model_dump(mode="json")
    scheme = next(s for s in data["grading"]["schemes"] if s["code"] == scheme_code)
    change(scheme)
    return data


def errors_of(data) -> str:
    with pytest.raises(policy_services.PolicyInvalid) as exc:
        policy_services.validate(data)
    messages = exc.value.errors.get("grading.schemes", []) + exc.value.errors.get("grading.scheme_by_category", [])
    assert messages, exc.value.errors
    return " | ".join(messages)


def test_the_shipped_schemes_validate():
    pol = policy_services.validate(default_policy().model_dump(mode="json"))
    assert [s.code for s in pol.grading.schemes] == ["abcd", "vip", "outlet", "importance"]
    assert pol.grading.vip_quota_percent == 15 and pol.grading.preferred_quota_percent == 30
    assert pol.grading.scheme_code_for("outlet") == "outlet" and pol.grading.scheme_code_for("supplier") == "abcd"


def test_the_category_list_matches_the_customer_model():
    assert set(fields.CATEGORIES) == set(Category.values)


def test_unknown_field_is_refused():
    data = policy_with("abcd", lambda s: s["levels"][0]["criteria"].append({"field": "turnover_yuan", "operator": "gte", "value": 1}))
    assert "Unknown field turnover_yuan" in errors_of(data)


def test_custom_fields_are_accepted_by_key():
    data = policy_with(
        "abcd", lambda s: s["levels"][0]["criteria"].append({"field": "custom.households_around", "operator": "gte", "value": 500})
    )
    policy_services.validate(data)


@pytest.mark.parametrize(
    ("criterion", "text"),
    [
        ({"field": "sales_3y_yuan", "operator": "gte", "value": "lots"}, "does not fit sales_3y_yuan: it needs an amount in yuan"),
        ({"field": "sales_3y_yuan", "operator": "gte", "value": True}, "does not fit sales_3y_yuan"),
        ({"field": "credit_rating", "operator": "in", "value": ["AAA", "excellent"]}, "excellent is not a value of credit_rating"),
        ({"field": "credit_rating", "operator": "gte", "value": "A"}, "The operator gte does not apply to credit_rating"),
        ({"field": "long_term_partner", "operator": "eq", "value": "yes"}, "does not fit long_term_partner: it needs yes or no"),
        ({"field": "chain_outlets", "operator": "eq", "value": 2.5}, "does not fit chain_outlets: it needs a whole number"),
        ({"field": "floor_area_m2", "operator": "between", "value": [200, 100]}, "lower bound first"),
    ],
)
def test_threshold_of_the_wrong_type_is_refused(criterion, text):
    data = policy_with("abcd", lambda s: s["levels"][1]["criteria"].append(criterion))
    assert text in errors_of(data)


def test_overlapping_bands_are_refused():
    # Outlet class B from 3 to 12 outlets overlaps class A (> 10).
    data = policy_with("outlet", lambda s: s["levels"][1]["criteria"][0].update(value=[3, 12]))
    assert "Levels B and A overlap on chain_outlets" in errors_of(data) or "Levels A and B overlap on chain_outlets" in errors_of(data)


def test_a_gap_between_bands_is_refused():
    # Class B floor area 120–200 m², class C < 100: nothing covers 100–120.
    data = policy_with("outlet", lambda s: s["levels"][1]["criteria"][1].update(value=[120, 200]))
    assert "No level covers floor_area_m2 between 100 and 120" in errors_of(data)


def test_a_gap_at_the_top_is_refused():
    data = policy_with("outlet", lambda s: s["levels"][0]["criteria"][1].update(operator="between", value=[200, 500]))
    # A: 200–500 overlaps B's upper bound 200 and leaves nothing above 500.
    assert "floor_area_m2" in errors_of(data)


def test_nested_thresholds_are_not_bands():
    # ABCD: A ≥ 3M, B ≥ 500k, tried in order — allowed (not bands).
    policy_services.validate(default_policy().model_dump(mode="json"))


def test_whole_numbers_meet_without_gap():
    # chain < 3, 3–10, > 10 on whole numbers: no gap at 10/11 nor 2/3 (shipped outlet scheme).
    data = copy.deepcopy(default_policy().model_dump(mode="json"))
    policy_services.validate(data)


def test_quota_above_100_percent_is_refused():
    data = policy_with("vip", lambda s: s["levels"][0].update(quota_percent=120))
    with pytest.raises(policy_services.PolicyInvalid) as exc:
        policy_services.validate(data)
    assert "A percentage must be between 0 and 100." in " ".join(exc.value.errors["grading.schemes"])


def test_quotas_adding_up_above_100_are_refused():
    data = policy_with("vip", lambda s: s["levels"][1].update(quota_percent=90))
    assert "add up to more than 100%" in errors_of(data)


def test_category_mapping_is_checked():
    data = default_policy().model_dump(mode="json")
    data["grading"]["scheme_by_category"] = {"outlets": "outlet"}
    assert "Unknown customer category outlets" in errors_of(data)
    data["grading"]["scheme_by_category"] = {"outlet": "nope"}
    assert "There is no grading scheme with the code nope" in errors_of(data)


@pytest.mark.django_db
def test_a_bad_grading_change_is_refused_and_nothing_saved(env, login):
    from guanxi.accounts.models import Role
    from tests.support import org

    admin = org.make_user(Role.objects.get(code="administrator"), env.units.company, language="en")
    data = policy_with("abcd", lambda s: s["levels"][0]["criteria"].append({"field": "turnover_yuan", "operator": "gte", "value": 1}))
    with pytest.raises(policy_services.PolicyInvalid) as exc:
        policy_services.propose_change(admin, data, "test")
    assert "Unknown field turnover_yuan" in " ".join(exc.value.errors["grading.schemes"])
    from guanxi.policy.models import PolicyVersion

    assert not PolicyVersion.objects.filter(status="pending").exists()
