"""Fixtures of the admission tests.

`adm` — company ─┬─ sales ── east (team), └─ service; rep (sales_rep, east), dm
(department_manager, sales), archivist (archivist, east), gm; a distributor customer owned by
rep in east. `pdf()` / `png()` give small valid uploads."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.customers import services as customer_services
from tests.support import org

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf(name="licence.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png(name="scan.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def make_customer(owner, unit, *, category="distributor", name=None):
    return customer_services.create_customer(
        actor=None,
        data={"name": name or org.unique("准入客户"), "owner": owner.pk, "unit": unit.pk, "category": category},
        check_duplicates=False,
    )


@pytest.fixture
def adm(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    u = org.make_units()
    gm = org.make_user("general_manager", u.company, username=org.unique("gm"))
    dm = org.make_user("department_manager", u.sales, username=org.unique("dm"))
    rep = org.make_user("sales_rep", u.east, username=org.unique("rep"))
    archivist = org.make_user("archivist", u.east, username=org.unique("arch"))
    customer = make_customer(rep, u.east)
    return SimpleNamespace(units=u, gm=gm, dm=dm, rep=rep, archivist=archivist, customer=customer)
