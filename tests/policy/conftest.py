"""Fixtures of the policy tests.

- Messages are checked in English (the UI default is Chinese).
- The policy cache (per process and in the Django cache) is reset around every test, since the
  database is rolled back between tests but the cache is not.
- `people`: an administrator (may view and change the policy), the general manager (approves
  policy changes), a viewer (may only read the policy) and an outsider (no policy right).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from guanxi.policy import services
from tests.support import org as orgf

VIEW = "policy.view_policyversion"
CHANGE = "policy.change_policyversion"


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    services.reset_cache()
    with translation.override("en"):
        yield
    services.reset_cache()


@pytest.fixture
def people(db):
    u = orgf.make_units()
    admin = orgf.make_user("administrator", u.company, username="admin", permissions=[VIEW, CHANGE])
    gm = orgf.make_user("general_manager", u.company, username="gm", permissions=[VIEW, "policy.approve"])
    viewer = orgf.make_user("sales_rep", u.east, username="viewer", permissions=[VIEW])
    outsider = orgf.make_user("outsider_role", u.service, username="outsider", permissions=[])
    return SimpleNamespace(**vars(u), admin=admin, gm=gm, viewer=viewer, outsider=outsider)
