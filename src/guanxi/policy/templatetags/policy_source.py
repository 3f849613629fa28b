"""`{% load policy_source %}{{ clause.seed|policy_source }}`: a clause's source named by the
documents' titles (policy.sources)."""

from django import template

from guanxi.policy.sources import cite

register = template.Library()


@register.filter
def policy_source(reference: str) -> str:
    return cite(reference)
