"""Where a clause comes from, as its readers know it.

Each clause of the shipped policy cites the paragraph it is taken from (`clause(..., seed=…)`):
"seed 002 §五.3.3" names the second of the written policies the default was built from, "SPEC
F-POOL-3" a rule of Guanxi's own where the documents leave a number open. An administrator or
a rep knows those documents by their titles, so pages show 《客户管理制度》§五.3.3 and "Guanxi
default (F-POOL-3)" instead. The titles are the documents' own (they stay Chinese in English).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# The written policies the shipped default cites, by their number.
DOCUMENTS = {
    "000": "市场部客户资源管理制度",
    "001": "CRM系统使用规范",
    "002": "客户管理制度",
    "003": "市场营销部管理办法",
    "004": "客户关系管理规定",
}

_SEED = re.compile(r"seed (\d{3}) ?")
_SPEC = re.compile(r"SPEC (F-[A-Z]+(?:-\d+)?(?:, F-[A-Z]+(?:-\d+)?)*)")


def cite(reference: str) -> str:
    """`reference` (a clause's seed text) with the documents named by their titles."""
    reference = reference or ""
    out, at = [], 0
    for match in _SEED.finditer(reference):
        title = DOCUMENTS.get(match[1])
        if title is None:
            continue
        out.append(reference[at : match.start()])
        at = match.end()
        if reference[at:] == title or reference.startswith(title + " ", at):
            at = min(at + len(title) + 1, len(reference))  # "seed 002 客户管理制度 §五" names it already
        out.append(f"《{title}》" + (" " if reference[at : at + 1] not in ("", "§", ",", ";") else ""))
    out.append(reference[at:])
    return _SPEC.sub(lambda m: _("Guanxi default (%(rule)s)") % {"rule": m[1]}, "".join(out))


def cite_clause(key: str) -> str:
    """The source of the policy clause `key` (e.g. "deadlines.key_customer_min_contacts")."""
    from .schema import clause_map

    clause = clause_map().get(key)
    return cite(clause.seed) if clause else ""
