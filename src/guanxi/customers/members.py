"""Team memberships 协作人 in the data scope: every scoped customer query of a rep or manager
needs the customers the user is a team member of (Customer.scope_branches). They are kept with
the user's principal (accounts.access.register_part), so a page view does not query them; any
change to a membership bumps the access version, as a change of position or role does."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from guanxi.accounts.access import bump_access_version, register_part

from .models import MEMBER_IDS_PART, CustomerMember, current_member_customer_ids


def _changed(sender, instance, **kwargs):
    bump_access_version()


def connect() -> None:
    register_part(MEMBER_IDS_PART, current_member_customer_ids)
    post_save.connect(_changed, sender=CustomerMember, dispatch_uid="guanxi_customer_member_save")
    post_delete.connect(_changed, sender=CustomerMember, dispatch_uid="guanxi_customer_member_delete")
