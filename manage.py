#!/usr/bin/env python
"""Django's command-line utility for Guanxi CRM."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    from django.core.management import execute_from_command_line

    from guanxi.core.context import begin_command

    # History rows and audit events written by a command carry its name and a run id.
    begin_command(" ".join(sys.argv[1:2]))

    execute_from_command_line(sys.argv)
