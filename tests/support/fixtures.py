"""Fixtures for tests that need RabbitMQ, the store, or the whole running system.

- ``amqp_uri``: the broker of ``KETNOI_TEST_AMQP_URI`` (never mocked), in a
  vhost of this test session's own: nameko's RPC queues have fixed names, so
  two stacks sharing a vhost (``make up``, a benchmark, another test run)
  would answer each other's calls.
- ``mongo_uri``: ``KETNOI_TEST_MONGO_URI`` when set (e.g. a real MongoDB 7),
  otherwise an nx-27017 started for the session on a free port.
- ``private_rabbitmq``: a RabbitMQ node of the session's own with its management API and Prometheus
  endpoint, for tests of broker-side settings (users, vhosts, queue arguments, metrics) that the machine's
  broker does not expose; tests that stop a broker start their own.
- ``stack``: every service and the gateway as processes, for end-to-end tests.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from kombu import Connection

from scripts import private_broker
from scripts.stack import Stack, StackConfig, drop_vhost, free_port, private_vhost
from shared import config, store

DEFAULT_TEST_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(scope="session")
def amqp_uri() -> str:
    uri, vhost = private_vhost(os.environ.get("KETNOI_TEST_AMQP_URI", DEFAULT_TEST_AMQP))
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ is required at {uri} (run `make test`, which starts it): {exc}")
    yield uri
    if vhost:
        drop_vhost(vhost)


@pytest.fixture(scope="session")
def private_rabbitmq(tmp_path_factory) -> private_broker.PrivateBroker:
    """Started once (about 10 s) for every module that needs it; each such test works in a vhost or on
    queues of its own."""
    if not private_broker.available():
        pytest.fail("this test needs Debian's rabbitmq-server (make test installs it)")
    node = private_broker.PrivateBroker(tmp_path_factory.mktemp("broker"), prometheus=True, management=True)
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> str:
    given = os.environ.get("KETNOI_TEST_MONGO_URI")
    if given:
        yield given
        return
    data_dir = tmp_path_factory.mktemp("store")
    stack = Stack(StackConfig(data_dir=data_dir, store_port=free_port()))
    stack.start_store()
    yield stack.config.mongo_uri
    stack.stop()


@pytest.fixture(scope="session")
def service_env(amqp_uri: str, mongo_uri: str) -> dict[str, str]:
    """Point this process's settings at the test broker and store, with a private database prefix."""
    values = {
        "KETNOI_AMQP_URI": amqp_uri,
        "KETNOI_MONGO_URI": mongo_uri,
        "KETNOI_DB_PREFIX": f"it{uuid.uuid4().hex[:8]}",
        "KETNOI_DEV_MODE": "1",
    }
    os.environ.update(values)
    config.settings.cache_clear()
    store.forget_clients()
    return values


@pytest.fixture(scope="session")
def stack(amqp_uri: str, service_env: dict[str, str], tmp_path_factory) -> Stack:
    """The whole system as processes, on free ports, with its own store and its own vhost.

    Its own vhost, because its services consume from the same queue names as
    the integration tests' containers and would take their messages.  The
    test process's own settings (``service_env``) are set too: tests read
    exchange names and secrets from them.
    """
    data_dir: Path = tmp_path_factory.mktemp("stack")
    stack_amqp, vhost = private_vhost(os.environ.get("KETNOI_TEST_AMQP_URI", DEFAULT_TEST_AMQP))
    cfg = StackConfig.for_tests(data_dir, stack_amqp)
    cfg.extra_env["KETNOI_RPC_TIMEOUT"] = "3"
    # SMS and Zalo wait out 21:00-07:00 Vietnam time; tests must not depend on the hour CI runs at
    # (the rule itself is unit-tested in tests/unit/test_notification_policy.py)
    cfg.extra_env["KETNOI_QUIET_HOURS"] = "off"
    running = Stack(cfg)
    try:
        running.start(timeout=90)
    except Exception:
        running.stop()
        for log in sorted(cfg.logs.glob("*.log")):
            print(f"----- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        raise
    yield running
    running.stop()
    if vhost:
        drop_vhost(vhost)
