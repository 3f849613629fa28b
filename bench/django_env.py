"""Point Django at a benchmark database and prepare it (migrate, demo company)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(database_url: str) -> None:
    for path in (str(ROOT / "src"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("GUANXI_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from guanxi.core.context import begin_command

    begin_command("bench")


def prepare(*, seed: int = 1, log=print) -> None:
    from django.core.management import call_command

    log("  migrating …")
    call_command("migrate", verbosity=0, interactive=False)

    # DEBUG is off, as in production: pages need the static-files manifest, and it must list
    # every file the templates use now (new apps add files), so collect each time.
    log("  collecting static files …")
    call_command("collectstatic", verbosity=0, interactive=False)
    log("  loading the demo company …")
    call_command("demo", seed=seed, if_empty=True, verbosity=0, stdout=io.StringIO())
