#!/usr/bin/env bash
# Extracts the strings marked with _() / N_() / ngettext() and merges them into each catalog;
# then translate the new entries in locales/<lang>/LC_MESSAGES/messages.po.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" extract -F babel.cfg -k N_ -k _ -k ngettext:1,2 --no-location --sort-output \
  --omit-header -o locales/messages.pot .
for catalog in locales/*/LC_MESSAGES/messages.po; do
  language=$(basename "$(dirname "$(dirname "$catalog")")")
  "$PYBABEL" update -i locales/messages.pot -o "$catalog" -l "$language" --no-fuzzy-matching \
    --ignore-obsolete
done
rm locales/messages.pot
