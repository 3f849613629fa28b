"""Chinese is the default language, so every user-facing string must have a zh-Hans translation,
and the catalogue must hold every string the code marks (no stale .po)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SRC = Path(settings.SRC_DIR) / "guanxi"
PO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> dict[str, tuple[str, bool]]:
    """msgid -> (msgstr, fuzzy) for every entry but the header."""

    def unquote(lines):
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', lines))

    out = {}
    for block in text.split("\n\n"):
        m = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not m:
            continue
        msgid = unquote(m.group(1))
        if not msgid:
            continue
        ctx = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        key = (unquote(ctx.group(1)) + "\x04" if ctx else "") + msgid
        s = re.search(r"^msgstr(?:\[0\])? ((?:\".*\"\n?)+)", block, re.M)
        out[key] = (unquote(s.group(1)) if s else "", "#, fuzzy" in block or ", fuzzy" in block)
    return out


def test_every_string_has_a_chinese_translation():
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 100
    missing = [k for k, (v, fuzzy) in entries.items() if not v or fuzzy]
    assert not missing, f"{len(missing)} untranslated or fuzzy msgids, e.g. {missing[:10]}"


def test_catalogue_is_current(tmp_path):
    # Run makemessages on a copy of the source and compare the msgid sets.
    copy = tmp_path / "guanxi"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo"))
    env = {**os.environ, "GUANXI_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    # manage.py (not `python -m django`): the copy's cwd must not shadow packages such as celery.
    subprocess.run(
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore=static/*",
            "--ignore=locale/*",
        ],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = set(_entries((copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")))
    committed = set(_entries(PO.read_text(encoding="utf-8")))
    new = sorted(fresh - committed)
    assert not new, f"run `make messages` and translate: {len(new)} new msgids, e.g. {new[:10]}"
