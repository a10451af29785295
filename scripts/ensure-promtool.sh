#!/usr/bin/env bash
# Make sure promtool (Prometheus's checker for rules and configuration) is on PATH
# for tests/contract/test_monitoring.py: keep one that is there, or take Debian's.
#
# Debian ships promtool only inside its `prometheus` package, and installing that
# package also installs a server: a system user, a unit enabled at boot, and a
# daemon on :9090 wherever nothing stops it starting. So the package is not
# installed: apt downloads it, dpkg-deb takes /usr/bin/promtool out of it into
# /usr/local/bin, and nothing else is installed, enabled or started.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
echo "Installing promtool (from Debian's prometheus package, without the server)…" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# as root, apt would rather download as _apt, which cannot write into this private directory
download=(apt-get download -qq -o APT::Sandbox::User=root prometheus)
if ! "${download[@]}" >/dev/null 2>&1; then  # a fresh machine has no package lists yet
  apt-get update -qq
  "${download[@]}" >/dev/null
fi
dpkg-deb --fsys-tarfile prometheus_*.deb | tar -xO ./usr/bin/promtool > promtool
install -m 0755 promtool /usr/local/bin/promtool
promtool --version >/dev/null
