#!/usr/bin/env bash
# The project's one test command (README, CI): a venv with the project and its test tools,
# then lint and the whole test suite, in under five minutes on two cores.
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
# tests/ runs on every core (pytest-xdist); the fuzz tests in tests/fuzz are seeded and sized for
# this (SUBSIDY_FUZZ_SCALE raises them for a release, see README). The features run in a second,
# single-process pytest: they take seconds, and pytest-bdd's cucumber JSON is only written without
# xdist. Their results become artifacts/features.html, a page for policy reviewers, written even
# when a test fails. Arguments (e.g. -k WORD) go to both runs; the command exits with the first
# failing run's code.
mkdir -p artifacts
rm -f artifacts/features.json artifacts/features.html  # never report a previous run
status=0
.venv/bin/python -m pytest -n auto tests "$@" || status=$?
features=0
.venv/bin/python -m pytest --cucumberjson=artifacts/features.json features "$@" || features=$?
report=0
.venv/bin/python scripts/feature_report.py artifacts/features.json artifacts/features.html || report=$?
# The mutation check (scripts/mutate_rules.py): single changes to the rule files that every
# scenario still passes. A seeded sample here; .ci/run checks every mutant.
mutants=0
if [ "$#" -eq 0 ] && [ "${SUBSIDY_MUTANTS:-20}" != 0 ]; then  # .ci/run checks them all afterwards
  .venv/bin/python scripts/mutate_rules.py --sample "${SUBSIDY_MUTANTS:-20}" || mutants=$?
fi
if [ "$status" -eq 5 ] && [ "$features" -eq 5 ]; then
  exit 5  # nothing matched in either run
fi
for code in "$status" "$features" "$report" "$mutants"; do
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then  # 5: nothing matched -k in one of the two runs
    exit "$code"
  fi
done
exit 0
