"""The shared scope matrix applied to the working-day overrides (core.WorkdayOverride).

The calendar is company-wide reference data: whoever may read it reads every date, so there is no
out-of-scope override (constrained_scope None). Overrides are added and deleted, never edited;
there is no detail page and no API."""

import datetime as dt
import itertools

from django.urls import reverse

from guanxi.core.models import WorkdayOverride
from tests.support.scoped import ScopedObjectTests

_days = itertools.count(1)


def unique_date() -> dt.date:
    return dt.date(2040, 1, 1) + dt.timedelta(days=next(_days))


class TestWorkdayOverrideScope(ScopedObjectTests):
    model = WorkdayOverride
    list_url = "audit:workdays"
    create_url = "audit:workday_add"
    delete_url = "audit:workday_delete"
    constrained_scope = None
    list_max_queries = 20

    def make_object(self, env, *, in_scope=True):
        return WorkdayOverride.objects.create(date=unique_date(), is_workday=False, note=env.unique("day"))

    def form_data(self, env):
        return {"date": unique_date().isoformat(), "is_workday": "", "note": env.unique("day")}

    def list_marker(self, obj):
        return reverse("audit:workday_delete", kwargs={"pk": obj.pk})
