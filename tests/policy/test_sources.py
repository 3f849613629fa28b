"""policy.sources.cite: a clause's source as its readers know it — the written policies by
their titles, Guanxi's own rules as such."""

from __future__ import annotations

import pytest
from django.utils import translation

from guanxi.policy.schema import clause_map
from guanxi.policy.sources import DOCUMENTS, cite


@pytest.mark.parametrize(
    ("seed", "shown"),
    [
        ("seed 001 §5.2.2", "《CRM系统使用规范》§5.2.2"),
        ("seed 003 四(一)4(1)", "《市场营销部管理办法》 四(一)4(1)"),
        ("seed 002 客户管理制度 §五.2.1–2.4", "《客户管理制度》§五.2.1–2.4"),  # the title follows: once
        ("seed 000 客户管理制度及流程", "《市场部客户资源管理制度》 客户管理制度及流程"),  # another document's title is text
        ("seed 002 §1.6.3; seed 000 §六", "《客户管理制度》§1.6.3; 《市场部客户资源管理制度》§六"),
        ("SPEC F-CUS-4, F-CUS-5", "Guanxi default (F-CUS-4, F-CUS-5)"),
        ("SPEC F-ORG-5; seed 004 §5.3", "Guanxi default (F-ORG-5); 《客户关系管理规定》§5.3"),
        ("seed 009 §1", "seed 009 §1"),  # not a document we know: left as written
        ("", ""),
    ],
)
def test_cite_names_documents_by_title(seed, shown):
    with translation.override("en"):
        assert cite(seed) == shown


def test_every_shipped_clause_cites_a_known_document_or_rule():
    with translation.override("zh-hans"):
        for clause in clause_map().values():
            shown = cite(clause.seed)
            assert "seed " not in shown and "SPEC " not in shown, (clause.key, clause.seed)
    assert len(DOCUMENTS) == 5
