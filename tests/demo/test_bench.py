"""The benchmark's bulk generator (PostgreSQL COPY) and its statistics."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from bench import generate
from bench.scenarios import percentile, server_timing
from guanxi.accounts.demo import DEMO_PASSWORD
from guanxi.accounts.models import OrgUnit, Position, User


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7.0
    assert percentile([3, 1, 2], 50) == 2


def test_server_timing_header_is_parsed():
    response = {"Server-Timing": 'app;dur=12.50, db;dur=3.25;desc="7 queries"'}
    assert server_timing(response) == (12.5, 3.25, 7)


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_users_generator_tops_up_to_the_scale_with_copy():
    if connection.vendor != "postgresql":
        pytest.skip("COPY needs PostgreSQL")
    call_command("demo", seed=1, customers=20, stdout=io.StringIO())
    added = generate.run("small", only=["users"], log=lambda msg: None)
    assert User.objects.count() == generate.GENERATORS["users"].counts["small"]
    assert added["users"] == User.objects.count() - User.objects.filter(email__endswith="@huaxin-steel.example").count()
    # Every generated user has a primary position with a reporting line, in a team whose
    # materialised path is consistent with its parent.
    generated = User.objects.filter(email__endswith="@bench.example")
    assert not generated.exclude(positions__is_primary=True, positions__reports_to__isnull=False).exists()
    for team in OrgUnit.objects.filter(code__startswith="bench-team-").select_related("parent"):
        assert team.path == f"{team.parent.path}{team.pk}/"
        assert team.depth == team.parent.depth + 1
    assert generated.first().check_password(DEMO_PASSWORD)
    # The sequences moved past the reserved ids: ordinary inserts still work.
    unit = OrgUnit.objects.create(code="after-bench", name="后来的部门", kind="department", parent=OrgUnit.objects.get(code="hq"))
    assert unit.pk > OrgUnit.objects.exclude(pk=unit.pk).order_by("-pk").first().pk
    assert Position.objects.filter(user__in=generated).count() == generated.count()
    # Running again adds nothing: counts are targets.
    assert generate.run("small", only=["users"], log=lambda msg: None) == {"users": 0}
