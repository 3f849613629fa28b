"""`manage.py check --deploy` is clean with the production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_check_deploy_is_clean(tmp_path):
    env = {
        **os.environ,
        "GUANXI_PRODUCTION": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)[:50] + "x" * 10,
        "DJANGO_ALLOWED_HOSTS": "crm.example.com",
        "GUANXI_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "0",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output, output
    assert "WARNING" not in output.upper().replace("--FAIL-LEVEL WARNING", ""), output
