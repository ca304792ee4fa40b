#!/usr/bin/env python
"""Fail when the merchant app's translations are incomplete or stale.

For every catalogue under vitrine/*/locale: no message untranslated or fuzzy (``msgfmt --statistics``), the
committed ``.mo`` holds exactly what the ``.po`` compiles to, and the ``.po`` holds every string the code and
templates mark for translation (``makemessages`` run on a copy finds nothing new). Needs GNU gettext.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATS = re.compile(r"(\d+) (translated|fuzzy|untranslated)")
MSGID = re.compile(r'^msgid "(.*)"$')


def catalogues() -> list[Path]:
    return sorted(ROOT.glob("vitrine/*/locale/*/LC_MESSAGES/django.po"))


def statistics(po: Path) -> dict[str, int]:
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{po}: msgfmt refused it:\n{result.stderr}")
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for number, kind in STATS.findall(result.stderr):
        counts[kind] = int(number)
    return counts


def compiled_matches(po: Path) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "django.mo"
        subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)
        with fresh.open("rb") as a, po.with_suffix(".mo").open("rb") as b:
            return gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog  # type: ignore[attr-defined]


def msgids(po: Path) -> set[str]:
    """The message ids of a catalogue (multi-line ids joined), the header left out."""
    ids: set[str] = set()
    current: list[str] | None = None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        match = MSGID.match(line)
        if match:
            current = [match.group(1)]
        elif current is not None and line.startswith('"'):
            current.append(line[1:-1])
        elif current is not None:
            if "".join(current):
                ids.add("".join(current))
            current = None
    return ids


def missing_from(po: Path) -> set[str]:
    """Strings marked for translation in the app that its catalogue lacks."""
    app = po.parents[3]
    language = po.parents[1].name
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / app.name
        shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__"))
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                      "vitrine.platform.settings"),
               "PYTHONPATH": str(ROOT)}
        # manage.py, not ``-m django``: the copy's own modules (selectors.py) must not shadow the stdlib's.
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", language, "--no-obsolete",
                        "--no-location"], cwd=copy, env=env, check=True, capture_output=True)
        return msgids(copy / "locale" / language / "LC_MESSAGES" / "django.po") - msgids(po)


def main() -> int:
    failures = []
    found = catalogues()
    if not found:
        failures.append("no translation catalogues found under vitrine/*/locale")
    for po in found:
        name = po.relative_to(ROOT)
        counts = statistics(po)
        if counts["fuzzy"] or counts["untranslated"]:
            failures.append(f"{name}: {counts['untranslated']} untranslated and {counts['fuzzy']} fuzzy messages")
        if not po.with_suffix(".mo").is_file() or not compiled_matches(po):
            failures.append(f"{name}: the .mo is missing or stale; run `manage.py compilemessages`")
        missing = missing_from(po)
        if missing:
            sample = ", ".join(repr(m) for m in sorted(missing)[:5])
            failures.append(f"{name}: {len(missing)} strings are not in the catalogue ({sample}); run "
                            "`manage.py makemessages` in the app and translate them")
        print(f"{name}: {counts['translated']} translated")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
