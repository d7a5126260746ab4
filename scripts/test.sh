#!/usr/bin/env bash
# Sets up everything the tests need, then runs every test (lint, unit, slow, browser).
#   bash scripts/test.sh            # all of it
#   bash scripts/test.sh -m "not e2e"   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: Chromium for the browser tests (and emoji and CJK fonts, so its screenshots
# show the page icons and the Chinese pages as a visitor's browser does), Fashion-MNIST for the
# second dataset.
missing=()
command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -d /usr/share/fonts/truetype/noto ]] || missing+=(fonts-noto-color-emoji)
# Chinese in the browser tests' screenshots (the app speaks English and Simplified Chinese).
[[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]] || missing+=(fonts-noto-cjk)
[[ -d /usr/share/datasets/fashion-mnist ]] || missing+=(dataset-fashion-mnist)
# npm fetches axe-core (below) from the npm registry for the accessibility test.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if (( ${#missing[@]} )); then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    echo "Installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "No apt-get here: cannot install ${missing[*]} (browser tests skip without Chromium)."
  fi
fi

# Python packages, in a project virtualenv. Never `playwright install`: it downloads a browser.
PYTHON=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

# axe-core, the accessibility checker tests/e2e/test_accessibility.py injects into each page:
# a pinned version from the npm registry, unpacked once into .cache/ (git-ignored).
AXE_CORE_VERSION=4.14.1
AXE_DIR=.cache/axe-core-$AXE_CORE_VERSION
if [[ ! -f $AXE_DIR/axe.min.js ]] && command -v npm >/dev/null 2>&1; then
  mkdir -p "$AXE_DIR"
  tarball=$(cd "$AXE_DIR" && npm pack --silent "axe-core@$AXE_CORE_VERSION")
  tar -xzf "$AXE_DIR/$tarball" -C "$AXE_DIR" --strip-components=1 package/axe.min.js package/LICENSE
  rm "$AXE_DIR/$tarball"
fi
export AXE_CORE_JS=${AXE_CORE_JS:-$PWD/$AXE_DIR/axe.min.js}

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
