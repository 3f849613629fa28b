"""The shared scope matrix applied to the audit log (core.AuditEvent): read-only pages; a narrower
scope than "all" sees only the events the user caused."""

from guanxi.core import audit
from guanxi.core.models import AuditEvent
from tests.support.scoped import ScopedObjectTests


class TestAuditEventScope(ScopedObjectTests):
    model = AuditEvent
    list_url = "audit:list"
    detail_url = "audit:detail"
    constrained_scope = "self"
    list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        actor = env.constrained if in_scope else env.full
        return audit.record("test.scoped", data={"n": env.unique("event")}, actor=actor)
