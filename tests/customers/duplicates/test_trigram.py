"""Similar names through pg_trgm on PostgreSQL (the index comes from migration 0003; created
here too so the test also runs on a schema built without migrations)."""

from __future__ import annotations

import pytest
from django.db import connection

from guanxi.customers import duplicates

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def trigram(db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("CREATE INDEX IF NOT EXISTS customer_name_key_trgm ON customers_customer USING gin (name_key gin_trgm_ops)")
    monkeypatch.setattr(duplicates, "_TRGM_INDEXED", None)
    assert duplicates.trigram_available()


def test_new_name_contained_in_an_existing_one(trigram, make_customer):
    longer = make_customer("武汉华新钢铁集团有限公司")
    hits = duplicates.find_duplicates({"name": "华新钢铁"})
    assert [(h.id, h.reasons) for h in hits] == [(longer.pk, ("similar_name",))]


def test_trigram_similar_latin_name(trigram, make_customer):
    similar = make_customer("Shanghai Brightstar Trading")
    hits = duplicates.find_duplicates({"name": "Shanghai Brightstar Tradng"})
    assert [h.id for h in hits] == [similar.pk]
    assert duplicates.find_duplicates({"name": "Beijing Moon Logistics"}) == []
