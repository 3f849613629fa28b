"""The policy schema: pydantic models, one module per section, validating the policy JSON.

`Policy` is the root; `default_policy()` the shipped default (the seeds' numbers);
`catalogue` lists every clause with its key, labels, help, unit and seed.
"""

from .catalogue import Clause, SectionInfo, clause_for_loc, clause_map, clauses, flatten, get_path, sections, set_path
from .root import Policy, default_policy

__all__ = [
    "Clause",
    "Policy",
    "SectionInfo",
    "clause_for_loc",
    "clause_map",
    "clauses",
    "default_policy",
    "flatten",
    "get_path",
    "sections",
    "set_path",
]
