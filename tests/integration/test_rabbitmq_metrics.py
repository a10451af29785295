"""The queue metrics the alerts use, scraped from a real rabbitmq_prometheus plugin on a node of the test's own.

deploy/prometheus/rabbitmq-metrics.yml lists what ketnoi's rules and dashboards
take from RabbitMQ; the monitoring contract test trusts that list. Here Debian's
rabbitmq-server runs the plugin, the project's own topology is declared on it, and
the endpoint is scraped the way the ``rabbitmq-queues`` job of
deploy/prometheus/prometheus.yml scrapes it: every listed series must be there
with its labels, and the rules' queue pattern must pick exactly the queues that
must always have a consumer.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
import yaml
from kombu import Connection, Consumer, Queue
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from scripts import private_broker
from shared.events.topology import declare_handler, handler_queues
from tests.contract.test_monitoring import COMPOSE_PROMETHEUS, RABBITMQ_METRICS, rules
from tests.support.promql import names
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("service_env")  # the topology reads the exchange's name from the settings


@pytest.fixture(scope="module")
def broker(private_rabbitmq):
    return private_rabbitmq


def scrape(node: private_broker.PrivateBroker) -> list[Sample]:
    """Every sample of the endpoint, asked with the path and parameters of the ``rabbitmq-queues`` scrape job."""
    config = yaml.safe_load(COMPOSE_PROMETHEUS.read_text(encoding="utf-8"))
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "rabbitmq-queues")
    query = urllib.parse.urlencode(job.get("params", {}), doseq=True)
    with urllib.request.urlopen(
        f"http://127.0.0.1:{node.prometheus_port}{job['metrics_path']}?{query}", timeout=10
    ) as answer:
        text = answer.read().decode()
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(samples: list[Sample], name: str, queue: str) -> float | None:
    """``queue`` of the default vhost: the broker is the session's, and other modules' vhosts may hold queues
    of the same names."""
    return next(
        (
            s.value
            for s in samples
            if s.name == name and s.labels.get("queue") == queue and s.labels.get("vhost", "/") == "/"
        ),
        None,
    )


def test_the_listed_queue_metrics_are_exported_and_the_rules_pick_the_right_queues(broker):
    queues = handler_queues("booths", "on_participation_approved", ("vn.ketnoi.test.x.v1",), (1, 10, 60))
    rpc = Queue("rpc-booths", durable=True)
    listed = {
        name: set(labels)
        for name, labels in yaml.safe_load(RABBITMQ_METRICS.read_text(encoding="utf-8"))["metrics"].items()
    }
    with Connection(broker.amqp_uri) as connection:
        declare_handler(connection, queues)
        channel = connection.default_channel
        rpc(channel).declare()
        channel.basic_publish(channel.prepare_message(b"{}"), exchange="", routing_key=queues.dead.name)
        with Consumer(channel, [queues.main], callbacks=[]):  # the handler is running: one consumer
            # the broker refreshes its statistics every few seconds
            samples = wait_for(
                lambda: (
                    (found := scrape(broker))
                    and value(found, "rabbitmq_detailed_queue_consumers", queues.main.name) == 1
                    and value(found, "rabbitmq_detailed_queue_messages_ready", queues.dead.name) == 1
                    and found
                ),
                timeout=30,
            )

    for name, labels in listed.items():
        exported = [s.labels for s in samples if s.name == name]
        assert exported, f"{name} is not exported"
        assert all(set(labelled) == labels for labelled in exported), (name, exported[0])
    assert value(samples, "rabbitmq_detailed_queue_consumers", queues.dead.name) == 0

    every_queue = {
        s.labels["queue"]
        for s in samples
        if s.name == "rabbitmq_detailed_queue_consumers" and s.labels.get("vhost", "/") == "/"
    }
    assert every_queue >= {queues.main.name, queues.dead.name, rpc.name, *(q.name for q in queues.retries)}
    for alert in ("KetnoiQueueWithoutConsumer", "KetnoiConsumerLagGrowing"):
        rule = next(r for r in rules("alert") if r["alert"] == alert)
        patterns = {s.matchers["queue"][1] for s in names(rule["expr"]).selectors}
        assert len(patterns) == 1, alert
        pattern = patterns.pop()
        picked = {q for q in every_queue if re.fullmatch(pattern, q)}  # PromQL anchors its regexes
        assert picked == {queues.main.name, rpc.name}, alert
