#!/usr/bin/env bash
# Make sure Node.js and npm are on PATH for tools/asyncapi (the AsyncAPI parser that
# tests/unit/test_event_contract.py runs): keep the ones that are there, or take Debian's
# packages (bookworm: Node.js 18, which the pinned packages support).
set -euo pipefail

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
echo "Installing Node.js and npm (Debian's packages)…" >&2
install=(apt-get install -y -qq nodejs npm)
if ! DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null 2>&1; then  # a fresh machine has no package lists yet
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null
fi
node --version >/dev/null && npm --version >/dev/null
