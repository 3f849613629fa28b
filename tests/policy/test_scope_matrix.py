"""The shared scope matrix applied to policy versions.

The policy is company-wide reference data: whoever may read it reads every version, so there is
no out-of-scope version (constrained_scope None). Versions are created by proposals and changed
by approvals only, so there are no create/edit/delete views and the API is read-only.
"""

from django.db.models import Max

from guanxi.policy.models import PolicyVersion, VersionStatus
from guanxi.policy.schema import default_policy
from tests.support.scoped import ScopedObjectTests


class TestPolicyVersionScope(ScopedObjectTests):
    model = PolicyVersion
    list_url = "policy:history"
    detail_url = "policy:version"
    api_basename = "policy-version"
    api_actions = ("list", "retrieve")
    constrained_scope = None
    list_max_queries = 20
    api_list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        return PolicyVersion.objects.create(
            number=number, data=default_policy().model_dump(mode="json"), status=VersionStatus.REJECTED, comment=env.unique("v")
        )

    def url_kwargs(self, obj):
        return {"number": obj.number}

    def api_kwargs(self, obj):
        return {"number": obj.number}
