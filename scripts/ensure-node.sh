#!/usr/bin/env bash
# Make sure Node.js (18 or later) and npm are on PATH for the province consumer example
# (examples/province-consumer, run by tests/e2e/test_province_consumer.py), the AsyncAPI parser
# (tools/asyncapi, run by tests/unit/test_event_contract.py) and the TypeScript client with its
# demo page (clients/typescript, built by `make client`): keep the ones that are there, or
# install Debian's nodejs and npm (bookworm ships Node 18).
set -euo pipefail

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 18 ]; then
    exit 0
  fi
  echo "Node.js $major is too old for examples/province-consumer, tools/asyncapi and clients/typescript (18 or later)" >&2
  exit 1
fi
echo "Installing Node.js and npm (Debian packages)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq nodejs npm >/dev/null
