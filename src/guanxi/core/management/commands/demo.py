"""`manage.py demo --seed N [--if-empty] [--print-logins]`: build the demo company.

Each installed guanxi app may have a `demo` module that registers builders with
guanxi.core.demo; they run in order, in one transaction, each with its own
`random.Random` derived from the seed and its name (so adding a builder never changes what
another one builds).
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import unicodedata

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from guanxi.core import demo
from guanxi.core.errors import DomainError


def load_builders() -> list[demo.Builder]:
    """Import `<app>.demo` for every installed guanxi app so its builders register."""
    for config in apps.get_app_configs():
        if config.name.startswith("guanxi."):
            module = f"{config.name}.demo"
            if importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
    return demo.ordered()


def builder_rng(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}:{name}")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def login_rows() -> list[tuple[str, str, str, str]]:
    """(username, name, role, unit) of every active demo user: the well-known logins first.
    Only demo users (their e-mail is in the demo domain) are listed, never real accounts."""
    from guanxi.accounts.demo import EMAIL_DOMAIN, ROLE_DEFAULTS, WELL_KNOWN_LOGINS
    from guanxi.accounts.models import OrgUnit, Position

    User = get_user_model()
    primary: dict[int, Position] = {}
    for pos in Position.objects.select_related("role", "unit").order_by("-is_primary", "id"):
        primary.setdefault(pos.user_id, pos)
    units = {u.pk: u for u in OrgUnit.objects.all()}

    def unit_label(unit) -> str:
        # "华东分公司 › 销售一部": the chain below the company, so equal names stay apart.
        chain = [units[i] for i in unit.ancestors_ids() if i in units and units[i].depth > 0]
        return " › ".join(u.name for u in [*chain, unit])

    def unit_order(unit) -> list[int]:
        return [units[i].sort_order for i in [*unit.ancestors_ids(), unit.pk] if i in units]

    known = {name: i for i, name in enumerate(WELL_KNOWN_LOGINS)}
    role_rank = {code: i for i, code in enumerate(ROLE_DEFAULTS)}

    def key(user):
        pos = primary.get(user.pk)
        where = (unit_order(pos.unit), role_rank.get(pos.role.code, 99)) if pos else ([], 99)
        return (known.get(user.username, len(known)), *where, user.username)

    rows = []
    for user in sorted(User.objects.filter(is_active=True, email__endswith=f"@{EMAIL_DOMAIN}"), key=key):
        pos = primary.get(user.pk)
        role = f"{pos.role.name} {pos.role.name_en}".strip() if pos else ""
        rows.append((user.username, user.full_name, role, unit_label(pos.unit) if pos else ""))
    return rows


class Command(BaseCommand):
    help = "Build the demo company (organisation, users and every app's demo data) for a seed."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data (default 1).")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database already has users.")
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins table; create nothing.")
        parser.add_argument("--customers", type=int, default=None, help="How many demo customers to build (default about 5,000).")

    def handle(self, *args, seed, if_empty, print_logins, **options):
        if print_logins:
            self.print_logins()
            return
        User = get_user_model()
        if if_empty and User.objects.exists():
            self.stdout.write("Users already exist: demo data not loaded.")
            return
        builders = load_builders()
        demo.OPTIONS.clear()
        if options.get("customers") is not None:
            demo.OPTIONS["customers"] = max(0, options["customers"])
        try:
            with transaction.atomic():
                for builder in builders:
                    if options["verbosity"] > 1:
                        self.stdout.write(f"- {builder.name}")
                    builder.fn(builder_rng(seed, builder.name), self.stdout if options["verbosity"] > 1 else None)
        except (IntegrityError, DomainError) as exc:
            raise CommandError(
                f"The database already holds data that clashes with the demo data; nothing was loaded. Use an empty database or --if-empty. ({exc})"
            ) from exc
        from guanxi.accounts.demo import DEMO_PASSWORD

        self.stdout.write(self.style.SUCCESS(f"Demo data loaded (seed {seed}): {User.objects.count()} users."))
        self.stdout.write(f"Every demo login uses the password {DEMO_PASSWORD}; `manage.py demo --print-logins` lists them.")

    def print_logins(self):
        from guanxi.accounts.demo import DEMO_PASSWORD, WELL_KNOWN_LOGINS

        rows = login_rows()
        if not rows:
            self.stdout.write("No demo logins: run `manage.py demo --seed 1` on an empty database to load the demo company.")
            return
        known = [r for r in rows if r[0] in WELL_KNOWN_LOGINS]
        others = [r for r in rows if r[0] not in WELL_KNOWN_LOGINS]
        header = ("username", "name", "role", "unit")
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(4)]

        def line(row):
            return "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip()

        self.stdout.write("Demo logins")
        self.stdout.write(f"Password for every demo login: {DEMO_PASSWORD}")
        self.stdout.write("")
        self.stdout.write(line(header))
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in known:
            self.stdout.write(line(row))
        if others:
            self.stdout.write("  ".join("-" * w for w in widths))
            for row in others:
                self.stdout.write(line(row))
        self.stdout.write("")
        self.stdout.write(f"Password: {DEMO_PASSWORD}")
