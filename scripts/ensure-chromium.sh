#!/usr/bin/env bash
# Make sure a Chromium is there for the demo page's browser test (tests/e2e/test_demo_browser.py):
# keep one that is on PATH, or install Debian's `chromium` package. Playwright drives it as it is;
# no browser is downloaded by npm (playwright-core has no install step).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "Installing chromium (Debian package)…" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then  # no package lists yet
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version >/dev/null
