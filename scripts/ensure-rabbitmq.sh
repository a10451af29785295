#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1:5672: reuse a running one,
# start an installed one, or install Debian's rabbitmq-server and start it.
# Prints "started" on stdout only when it started the broker, so that `make up`
# stops that one again on Ctrl-C; a broker that was already running is left alone.
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

wait_for_broker() {
  for _ in $(seq 1 60); do
    port_open && rabbitmqctl -q await_startup >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "RabbitMQ did not come up on 127.0.0.1:5672" >&2
  return 1
}

if port_open; then
  exit 0
fi
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "Installing rabbitmq-server (Debian package)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq rabbitmq-server >/dev/null
fi
echo "Starting RabbitMQ…" >&2
rabbitmq-server -detached >/dev/null 2>&1 || true
wait_for_broker
echo started
