#!/usr/bin/env bash
# The project's one test command (README, CI): a venv with the project and its test tools,
# then lint and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The web desk's browser tests drive Debian's Chromium, with a CJK font to render Chinese pages;
# decision notices (WeasyPrint) need Pango and the same font, and poppler-utils' pdftoppm turns a
# notice's first page into a screenshot. As root (CI, a fresh machine) they are
# installed here; elsewhere the browser tests skip with the reason.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
  && { [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 poppler-utils >/dev/null 2>&1; }; then
  apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 poppler-utils >/dev/null
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The features' results also become artifacts/features.html, a page for policy reviewers. The page
# is written even when a test fails, and the command still exits with pytest's own code.
mkdir -p artifacts
rm -f artifacts/features.json artifacts/features.html  # never report a previous run
status=0
.venv/bin/python -m pytest --cucumberjson=artifacts/features.json "$@" || status=$?
report=0
.venv/bin/python scripts/feature_report.py artifacts/features.json artifacts/features.html || report=$?
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
exit "$report"
