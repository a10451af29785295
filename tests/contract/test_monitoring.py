"""Dashboards and alerts as code: deploy/prometheus/ and deploy/grafana/ against promtool and the code.

promtool (from Debian's prometheus package; ``make test`` puts it on PATH with
scripts/ensure-promtool.sh) checks the rule files and both Prometheus
configurations, runs the rules' unit cases, and parses every dashboard query.
The rest holds the files to the project: every metric and label a rule or a
panel names is one the services register (found by importing each service the
way ``nameko run`` does) or one RabbitMQ's plugin exports
(deploy/prometheus/rabbitmq-metrics.yml), so a renamed metric fails here and
not on a dashboard that silently goes blank.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from tests.contract.test_deployment import (
    COMPOSE_PROMETHEUS,
    SERVICES,
    compose_services,
    k8s_of_kind,
    k8s_prometheus_config,
)
from tests.support.promql import names

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "deploy" / "prometheus" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
RULE_TESTS = sorted((RULES_DIR / "tests").glob("*.test.yml"))
RABBITMQ_METRICS = ROOT / "deploy" / "prometheus" / "rabbitmq-metrics.yml"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
RUNBOOK = ROOT / "docs" / "runbook.md"
SEVERITIES = {"critical", "warning"}
# Series Prometheus makes itself for every target, and their labels.
SYNTHETIC = {"up": set(), "scrape_duration_seconds": set(), "scrape_samples_scraped": set()}
GRAFANA_LABEL_VALUES = re.compile(r"^label_values\((?:(?P<expr>.+),\s*)?(?P<label>\w+)\)$")
GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")


# --- promtool ---------------------------------------------------------------------------


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is not on PATH: `make test` installs it (scripts/ensure-promtool.sh)")
    return subprocess.run([found, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def assert_promtool(*args: str, cwd: Path = ROOT) -> str:
    result = promtool(*args, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- what the files say -------------------------------------------------------------------


@cache
def rule_groups() -> tuple[dict[str, Any], ...]:
    return tuple(group for path in RULE_FILES for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])


def rules(kind: str) -> list[dict[str, Any]]:
    """Every ``alert`` or ``record`` rule of every file."""
    return [rule for group in rule_groups() for rule in group["rules"] if kind in rule]


@cache
def dashboards() -> dict[Path, dict[str, Any]]:
    return {path: json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARDS}


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Top-level panels and those inside collapsed rows."""
    return [p for top in board["panels"] for p in (top, *top.get("panels", []))]


def dashboard_queries() -> list[tuple[str, str]]:
    """(where, PromQL) of every panel target."""
    return [
        (f"{path.name} #{panel['id']} {panel.get('title', '')}", target["expr"])
        for path, board in dashboards().items()
        for panel in panels(board)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def variable_queries() -> list[tuple[str, str]]:
    """(where, label_values(…) query) of every dashboard variable that asks Prometheus."""
    found = []
    for path, board in dashboards().items():
        for variable in board.get("templating", {}).get("list", []):
            if variable["type"] == "query":
                query = variable["query"]
                found.append((f"{path.name} ${variable['name']}", query["query"] if isinstance(query, dict) else query))
    return found


def as_promql(query: str) -> str:
    """A dashboard query with Grafana's variables replaced by something promtool parses ($__rate_interval sits
    in a range, $service in a label value)."""
    return GRAFANA_VARIABLE.sub(lambda m: "5m" if m.group().lstrip("${").startswith("__") else "x", query)


# --- what exists ------------------------------------------------------------------------------


def sample_names(name: str, kind: str) -> list[str]:
    """The series names a metric family exports (``_created`` is switched off, see shared/metrics.py)."""
    return {
        "counter": [f"{name}_total"],
        "histogram": [f"{name}_bucket", f"{name}_count", f"{name}_sum"],
        "summary": [name, f"{name}_count", f"{name}_sum"],
        "info": [f"{name}_info"],
    }.get(kind, [name])


@cache
def project_metrics() -> dict[str, set[str]]:
    """Series name → label names, of every metric the services register (each imported as ``nameko run`` does)."""
    for service in SERVICES:
        importlib.import_module(f"{service.name}.service")
    packages = {"shared", *(s.name for s in SERVICES)}
    found: dict[str, set[str]] = {}
    for module in [m for n, m in list(sys.modules.items()) if n.split(".")[0] in packages]:
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                for family in value.describe():
                    for sample in sample_names(family.name, family.type):
                        found[sample] = set(value._labelnames) | ({"le"} if sample.endswith("_bucket") else set())
    return found


@cache
def rabbitmq_metrics() -> dict[str, set[str]]:
    return {
        name: set(labels)
        for name, labels in yaml.safe_load(RABBITMQ_METRICS.read_text(encoding="utf-8"))["metrics"].items()
    }


def target_labels() -> set[str]:
    """Labels Prometheus adds to every series of a target: job, instance, and what both configurations set."""
    found = {"job", "instance"}
    compose = yaml.safe_load(COMPOSE_PROMETHEUS.read_text(encoding="utf-8"))
    for config in (compose, k8s_prometheus_config()):
        for job in config["scrape_configs"]:
            found |= {label for static in job.get("static_configs", []) for label in static.get("labels", {})}
            found |= {
                r["target_label"]
                for r in job.get("relabel_configs", [])
                if "target_label" in r and not r["target_label"].startswith("__")
            }
    return found


@cache
def known_series() -> dict[str, set[str]]:
    """Every series name a rule or panel may use, with its labels (target labels come on top of these)."""
    known = {**SYNTHETIC, **rabbitmq_metrics(), **project_metrics()}
    for rule in rules("record"):  # a recorded series keeps at most the labels of what it is computed from
        used = names(rule["expr"])
        known[rule["record"]] = set().union(*(known.get(m, set()) for m in used.metrics)) - {"le"}
    return known


def unknown_names(expr: str) -> list[str]:
    """Metrics ``expr`` names that nothing exports, and labels it uses that none of its metrics has."""
    known, targets = known_series(), target_labels()
    used = names(expr)
    problems = [f"metric {m}" for m in sorted(used.metrics) if m not in known]
    labels = set().union(*(known.get(m, set()) for m in used.metrics)) | targets
    for selector in used.selectors:
        problems += [
            f"label {label} on {selector.metric}"
            for label in sorted(selector.matchers)
            if label not in known.get(selector.metric, set()) | targets | {"__name__"}
        ]
    problems += [f"label {label} (grouping)" for label in sorted(used.grouping - labels)]
    return problems


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


# --- promtool on the files ---------------------------------------------------------------------


def test_rule_files_are_valid():
    assert RULE_FILES, "no rule files in deploy/prometheus/rules/"
    assert_promtool("check", "rules", *map(str, RULE_FILES))


def test_rule_unit_cases_pass():
    assert RULE_TESTS, "no promtool unit cases in deploy/prometheus/rules/tests/"
    out = assert_promtool("test", "rules", *map(str, RULE_TESTS))
    assert out.count("SUCCESS") == len(RULE_TESTS), out


def test_compose_prometheus_config_is_valid_and_loads_every_rule_file():
    out = assert_promtool("check", "config", str(COMPOSE_PROMETHEUS))
    for path in RULE_FILES:
        assert f"Checking {path.relative_to(ROOT)}" in out or f"Checking {path}" in out, out
    compose = compose_services()["prometheus"]
    assert "./deploy/prometheus/rules:/etc/prometheus/rules:ro" in compose["volumes"]


def test_k8s_prometheus_config_is_valid_and_carries_the_rule_files_verbatim(tmp_path):
    carried = k8s_of_kind("ConfigMap")["prometheus-rules"]["data"]
    assert carried == {p.name: p.read_text(encoding="utf-8") for p in RULE_FILES}, (
        "k8s/prometheus.yaml's prometheus-rules differs from deploy/prometheus/rules/*.yml"
    )
    # Debian builds promtool without Kubernetes discovery: each job's kubernetes_sd_configs becomes a static
    # target, the rest (relabelling, params, rule files) is checked as it is
    config = yaml.safe_load(k8s_of_kind("ConfigMap")["prometheus-config"]["data"]["prometheus.yml"])
    for job in config["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None):
            job["static_configs"] = [{"targets": ["pod.ketnoi:1"]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (tmp_path / "rules").mkdir()
    for name, text in carried.items():
        (tmp_path / "rules" / name).write_text(text, encoding="utf-8")
    out = assert_promtool("check", "config", str(tmp_path / "prometheus.yml"), cwd=tmp_path)
    assert out.count("SUCCESS: ") >= len(RULE_FILES) + 1, out

    # the volume puts the rules where prometheus.yml looks for them
    pod = k8s_of_kind("Deployment")["prometheus"]["spec"]["template"]["spec"]
    config = next(v for v in pod["volumes"] if v["name"] == "config")
    items = [
        i
        for source in config["projected"]["sources"]
        if source["configMap"]["name"] == "prometheus-rules"
        for i in source["configMap"]["items"]
    ]
    assert sorted(i["key"] for i in items) == sorted(carried)
    assert all(i["path"] == f"rules/{i['key']}" for i in items)


def test_both_configurations_scrape_the_queue_metrics_the_rules_use():
    compose = yaml.safe_load(COMPOSE_PROMETHEUS.read_text(encoding="utf-8"))
    for config in (compose, k8s_prometheus_config()):
        job = next(j for j in config["scrape_configs"] if j["job_name"] == "rabbitmq-queues")
        assert job["metrics_path"] == "/metrics/detailed"
        assert set(job["params"]["family"]) == {"queue_coarse_metrics", "queue_consumer_count"}
        assert config["rule_files"] == ["rules/*.yml"]


def test_dashboard_queries_are_valid_promql(tmp_path):
    """promtool parses them as recording rules (Grafana's variables replaced)."""
    queries = dashboard_queries()
    assert len(queries) >= 40
    rules_file = tmp_path / "dashboards.yml"
    rules_file.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "dashboards",
                        "rules": [
                            {"record": f"dashboard:query_{i}:x", "expr": as_promql(expr)}
                            for i, (_, expr) in enumerate(queries)
                        ],
                    }
                ]
            }
        )
    )
    assert_promtool("check", "rules", str(rules_file))


# --- the rules --------------------------------------------------------------------------------


def test_every_alert_has_a_severity_and_tells_what_to_do():
    alerts = rules("alert")
    assert len(alerts) >= 10
    assert len({a["alert"] for a in alerts}) == len(alerts), "alert names repeat"
    headings = {
        slug(line.lstrip("#")) for line in RUNBOOK.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    }
    for alert in alerts:
        assert alert["labels"]["severity"] in SEVERITIES, alert["alert"]
        annotations = alert["annotations"]
        assert {"summary", "description", "runbook"} <= set(annotations), alert["alert"]
        page, _, anchor = annotations["runbook"].partition("#")
        assert page == "docs/runbook.md" and anchor in headings, f"{alert['alert']}: no runbook section {anchor}"


def test_every_alert_has_unit_cases_that_fire_it_and_that_do_not():
    fired, quiet = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = {a["alert"] for a in rules("alert")}
    assert alerts - fired == set(), "alerts no unit case fires"
    assert alerts - quiet == set(), "alerts no unit case keeps quiet"


# --- the dashboards -----------------------------------------------------------------------------


def test_dashboards_are_valid_json_with_unique_ids():
    assert len(DASHBOARDS) >= 4
    uids = [board["uid"] for board in dashboards().values()]
    assert len(set(uids)) == len(uids), "dashboard uids repeat"
    for path, board in dashboards().items():
        assert board["title"] and board["schemaVersion"] >= 36, path.name
        ids = [p["id"] for p in panels(board)]
        assert len(set(ids)) == len(ids), f"{path.name}: panel ids repeat"
        for panel in panels(board):
            assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), f"{path.name} #{panel['id']}"
            if panel["type"] != "row":
                # the datasource is a variable: the dashboard works with whatever the Prometheus is called
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
                assert panel["targets"], f"{path.name} #{panel['id']} has no query"


def test_grafana_provisioning_loads_the_dashboards_from_prometheus():
    providers = yaml.safe_load((GRAFANA_DIR / "provisioning" / "dashboards" / "ketnoi.yml").read_text())
    datasources = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())
    path = providers["providers"][0]["options"]["path"]
    assert datasources["datasources"][0]["type"] == "prometheus"
    grafana = compose_services()["grafana"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in grafana["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090" and "prometheus" in compose_services()


# --- every name exists ----------------------------------------------------------------------------


def test_the_metric_inventory_is_real():
    """Guards the checks below against passing on an empty or wrong inventory."""
    metrics = project_metrics()
    assert metrics["ketnoi_entrypoint_calls_total"] == {"service", "entrypoint", "kind", "outcome"}
    assert metrics["ketnoi_entrypoint_duration_seconds_bucket"] == {"service", "entrypoint", "kind", "le"}
    assert "ketnoi_http_responses_total" in metrics and "ketnoi_notifications_messages_total" in metrics
    assert {"service", "pod", "namespace"} <= target_labels()
    assert unknown_names('sum by (channel) (rate(ketnoi_notifications_messages_totl{outcom="x"}[5m]))') == [
        "metric ketnoi_notifications_messages_totl",
        "label outcom on ketnoi_notifications_messages_totl",
        "label channel (grouping)",
    ]


@pytest.mark.parametrize(
    "rule", [pytest.param(r, id=r.get("alert") or r["record"]) for r in rules("alert") + rules("record")]
)
def test_rules_name_only_metrics_and_labels_that_exist(rule):
    assert unknown_names(rule["expr"]) == []


@pytest.mark.parametrize(("where", "expr"), [pytest.param(w, e, id=w) for w, e in dashboard_queries()])
def test_dashboard_queries_name_only_metrics_and_labels_that_exist(where, expr):
    assert unknown_names(expr) == []


@pytest.mark.parametrize(("where", "query"), [pytest.param(w, q, id=w) for w, q in variable_queries()])
def test_dashboard_variables_ask_for_labels_that_exist(where, query):
    match = GRAFANA_LABEL_VALUES.match(query)
    assert match, f"{where}: only label_values(metric, label) is used here"
    assert unknown_names(match["expr"] or "up") == []
    assert match["label"] in known_series()[names(match["expr"]).selectors[0].metric] | target_labels()
