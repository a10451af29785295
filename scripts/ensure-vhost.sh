#!/usr/bin/env bash
# Give a RabbitMQ vhost to the tests, so they never share queues with `make up`.
# Without rabbitmqctl (a remote broker) the tests fall back to the default vhost.
set -euo pipefail
vhost="$1"
command -v rabbitmqctl >/dev/null 2>&1 || exit 0
rabbitmqctl -q list_vhosts | grep -qx "$vhost" || rabbitmqctl -q add_vhost "$vhost"
rabbitmqctl -q set_permissions -p "$vhost" guest ".*" ".*" ".*"
