"""Contract tests for the production descriptions: Dockerfile, docker-compose.yml, k8s/.

No Docker engine or Kubernetes cluster runs where these tests run, so the files
are checked two ways: against their published schemas (check-jsonschema ships
the compose spec, kubernetes-validate the Kubernetes API schemas), and against
the repository itself. Services are discovered from ``services/*/config.yaml``:
a service added there but forgotten in compose, in k8s, in Prometheus, on the
image's PYTHONPATH or in the queue topology job fails here, not in production.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
K8S_DIR = ROOT / "k8s"
# Not a Kubernetes object: checked by tests/contract/test_release.py and rendered by kubectl.
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
# The keys of each Secret the manifests read; the Secrets themselves are created outside the repository.
SECRET_EXAMPLES = {"ketnoi-secrets": K8S_DIR / "secrets.example.env", "mongo-auth": K8S_DIR / "mongo-auth.example.env"}
COMPOSE_PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
MONGO_INIT_SCRIPT = ROOT / "deploy" / "mongo" / "init-replica.js"
NAMESPACE = "ketnoi"
REPLICA_SET = "rs0"

# `METRICS_PORT: ${KETNOI_REGISTRATION_METRICS_PORT:9101}` in a nameko config.yaml.
METRICS_PORT_LINE = re.compile(r"""^\s*METRICS_PORT:\s*["']?\$\{(?P<var>[A-Za-z0-9_]+):(?P<port>\d+)\}""", re.MULTILINE)
# A compose value that is only a *required* variable: ${VAR}, ${VAR?msg}, ${VAR:?msg}.
# A default (${VAR:-x}) would be a literal secret written in the file.
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}$")
SENSITIVE_NAME = re.compile(r"(SECRET|PASSWORD|PASS|TOKEN|_KEY)$")
URI_CREDENTIALS = re.compile(r"://(?P<user>[^:/@\s]+):(?P<password>[^@]+)@")
MONGO_7_IMAGE = re.compile(r"^mongo:7(\.\d+)*$")


@dataclass(frozen=True)
class Service:
    """A ketnoi service as its config.yaml declares it."""

    name: str
    metrics_port: int | None
    metrics_port_var: str | None


def discover_services() -> list[Service]:
    """Every directory of services/ holding a nameko config.yaml is a deployable service."""
    found = []
    for config in sorted(ROOT.glob("services/*/config.yaml")):
        match = METRICS_PORT_LINE.search(config.read_text(encoding="utf-8"))
        found.append(
            Service(
                name=config.parent.name,
                metrics_port=int(match["port"]) if match else None,
                metrics_port_var=match["var"] if match else None,
            )
        )
    return found


SERVICES = discover_services()
SERVICE_PARAMS = [pytest.param(s, id=s.name) for s in SERVICES]


# --- loading ------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def compose_services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def k8s_files() -> list[Path]:
    """The Kubernetes manifests (the kustomization that lists them is not one)."""
    files = sorted(K8S_DIR.glob("*.yaml")) + sorted(K8S_DIR.glob("*.yml"))
    return [path for path in files if path != KUSTOMIZATION]


def example_keys(path: Path) -> list[str]:
    """The keys an example env file documents (KEY= lines; comments aside)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("=", 1)[0] for line in lines if "=" in line and not line.lstrip().startswith("#")]


def secret_key_refs() -> set[tuple[str, str]]:
    """(Secret, key) of every secretKeyRef and every key a Secret volume mounts."""
    refs = set()
    for _, template in pod_templates():
        for container in all_containers(template["spec"]):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
            assert not any("secretRef" in source for source in container.get("envFrom", [])), (
                "envFrom a Secret hides which keys a container needs"
            )
        for volume in template["spec"].get("volumes", []):
            if "secret" in volume:
                refs |= {(volume["secret"]["secretName"], item["key"]) for item in volume["secret"]["items"]}
    return refs


@cache
def k8s_objects() -> tuple[dict[str, Any], ...]:
    objects = []
    for path in k8s_files():
        objects.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return tuple(objects)


def k8s_of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == kind}


def pod_templates() -> list[tuple[str, dict[str, Any]]]:
    """(kind/name, pod template) of every workload, Jobs included."""
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"])
        for o in k8s_objects()
        if o["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}
    ]


def all_containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(pod_spec.get("initContainers", [])) + list(pod_spec["containers"])


def as_env_dict(environment: dict[str, Any] | list[str] | None) -> dict[str, str]:
    """Compose accepts environment as a mapping or as a list of KEY=VALUE."""
    if environment is None:
        return {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def as_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Dependency name -> condition (the short list form means service_started)."""
    raw = service.get("depends_on", {})
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in raw.items()}


def k8s_env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def config_map_env() -> dict[str, str]:
    """Variables given to the services through envFrom ConfigMaps."""
    names = {
        ref["configMapRef"]["name"]
        for _, template in pod_templates()
        for c in all_containers(template["spec"])
        for ref in c.get("envFrom", [])
        if "configMapRef" in ref
    }
    maps = k8s_of_kind("ConfigMap")
    return {k: str(v) for name in names for k, v in maps[name].get("data", {}).items()}


def nameko_argv(name: str) -> list[str]:
    return ["nameko", "run", "--config", f"services/{name}/config.yaml", f"{name}.service"]


def scrape_jobs(prometheus_config: dict[str, Any]) -> list[dict[str, Any]]:
    return prometheus_config.get("scrape_configs", [])


def static_targets(prometheus_config: dict[str, Any]) -> set[str]:
    return {
        target
        for job in scrape_jobs(prometheus_config)
        for static in job.get("static_configs", [])
        for target in static.get("targets", [])
    }


@cache
def k8s_prometheus_config() -> dict[str, Any]:
    """The prometheus.yml carried by a ConfigMap in k8s/ (exactly one must exist)."""
    configs = [
        yaml.safe_load(cm["data"]["prometheus.yml"])
        for cm in k8s_of_kind("ConfigMap").values()
        if "prometheus.yml" in cm.get("data", {})
    ]
    assert len(configs) == 1, "expected one ConfigMap with a prometheus.yml in k8s/"
    return configs[0]


def run_validator(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a validator CLI from the test interpreter's environment (requirements/dev.txt)."""
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed in {sys.executable}: pip install -r requirements/dev.txt")
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# --- schemas ----------------------------------------------------------------------


def test_compose_file_matches_the_compose_spec() -> None:
    result = run_validator("check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_k8s_manifests_match_the_kubernetes_schemas() -> None:
    files = k8s_files()
    assert files, "no manifests in k8s/"
    result = run_validator("kubernetes_validate", "--strict", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


# --- every service, everywhere ---------------------------------------------------------


def test_services_are_discovered() -> None:
    """Guards the parametrised tests below against passing on an empty service list."""
    assert "gateway" in {s.name for s in SERVICES}
    assert len(SERVICES) >= 2


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_service_declares_a_metrics_port(service: Service) -> None:
    assert service.metrics_port is not None, (
        f"services/{service.name}/config.yaml has no METRICS_PORT: ${{VAR:port}} line"
    )


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_image_puts_service_package_on_pythonpath(service: Service) -> None:
    paths = re.findall(r"^ENV\s+PYTHONPATH=(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert paths, "Dockerfile sets no PYTHONPATH"
    assert f"/app/services/{service.name}" in paths[-1].split(":")


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_compose_runs_service(service: Service) -> None:
    spec = compose_services().get(service.name)
    assert spec is not None, f"docker-compose.yml has no service {service.name!r}"
    assert as_argv(spec.get("command")) == nameko_argv(service.name)
    assert "build" in spec, "services are built from the repository's Dockerfile"
    assert spec.get("healthcheck", {}).get("test"), "no healthcheck"
    conditions = depends_on(spec)
    assert conditions.get("rabbitmq") == "service_healthy"
    assert conditions.get("topology") == "service_completed_successfully"
    assert conditions.get("mongo-init") == "service_completed_successfully"

    env = as_env_dict(spec.get("environment"))
    assert env.get("KETNOI_DEV_MODE") == "0"
    assert env.get("KETNOI_METRICS_ADDR") == "0.0.0.0", "metrics would listen on loopback only"
    for required in ("KETNOI_AMQP_URI", "KETNOI_MONGO_URI", "KETNOI_JWT_SECRET"):
        assert required in env, f"{required} missing"
    if service.metrics_port_var in env:
        assert env[service.metrics_port_var] == str(service.metrics_port)
    mongo_uri = env["KETNOI_MONGO_URI"]
    assert f"replicaSet={REPLICA_SET}" in mongo_uri
    credentials = URI_CREDENTIALS.search(mongo_uri)
    assert credentials, "KETNOI_MONGO_URI carries no credentials"
    assert credentials["user"] == service.name, "one database user per service"


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_compose_prometheus_scrapes_service(service: Service) -> None:
    config = yaml.safe_load(COMPOSE_PROMETHEUS.read_text(encoding="utf-8"))
    assert f"{service.name}:{service.metrics_port}" in static_targets(config)


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_topology_job_declares_service_queues(service: Service) -> None:
    """The one-shot topology run must import every service, or its queues come too late."""
    argv = as_argv(compose_services()["topology"].get("command"))
    assert argv[:3] == ["python", "-m", "shared.events.declare"]
    assert f"{service.name}.service" in argv[3:]
    deployments = k8s_of_kind("Deployment")
    for other in SERVICES:
        if other.name not in deployments:
            continue  # reported by test_k8s_deploys_service
        topology = [
            c
            for c in deployments[other.name]["spec"]["template"]["spec"].get("initContainers", [])
            if as_argv(c.get("command"))[:3] == ["python", "-m", "shared.events.declare"]
        ]
        assert topology, f"Deployment {other.name} has no topology init container"
        assert f"{service.name}.service" in as_argv(topology[0]["command"])[3:], other.name


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_service_has_its_own_mongo_user(service: Service) -> None:
    variable = f"KETNOI_{service.name.upper()}_MONGO_PASSWORD"
    assert variable in as_env_dict(compose_services()["mongo-init"].get("environment"))
    job_env = k8s_env(k8s_of_kind("Job")["mongo-init"]["spec"]["template"]["spec"]["containers"][0])
    assert variable in job_env, "k8s mongo-init Job does not create the user"
    assert variable in example_keys(SECRET_EXAMPLES["ketnoi-secrets"])


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_k8s_deploys_service(service: Service) -> None:
    deployment = k8s_of_kind("Deployment").get(service.name)
    assert deployment is not None, f"k8s/ has no Deployment {service.name!r}"
    assert deployment["metadata"].get("namespace") == NAMESPACE
    pod = deployment["spec"]["template"]
    main = next((c for c in pod["spec"]["containers"] if c["name"] == service.name), None)
    assert main is not None, f"no container named {service.name!r}"
    assert as_argv(main.get("command")) + as_argv(main.get("args")) == nameko_argv(service.name)
    assert service.metrics_port in {p["containerPort"] for p in main.get("ports", [])}

    env = k8s_env(main)
    uri = env.get("KETNOI_MONGO_URI", {}).get("value", "")
    credentials = URI_CREDENTIALS.search(uri)
    assert credentials, "KETNOI_MONGO_URI carries no credentials"
    assert credentials["user"] == service.name, "one database user per service"
    password_keys = {
        e["valueFrom"]["secretKeyRef"]["key"] for e in env.values() if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert f"KETNOI_{service.name.upper()}_MONGO_PASSWORD" in password_keys
    config = config_map_env()
    assert config.get("KETNOI_DEV_MODE") == "0"
    assert config.get("KETNOI_METRICS_ADDR") == "0.0.0.0", "metrics would listen on loopback only"
    assert "replicaSet=rs0" in config.get("KETNOI_MONGO_OPTIONS", "") + uri
    if service.metrics_port_var in config:
        assert config[service.metrics_port_var] == str(service.metrics_port)


@pytest.mark.parametrize("service", SERVICE_PARAMS)
def test_k8s_prometheus_scrapes_service(service: Service) -> None:
    """Pods are discovered by annotation: the annotation must name the metrics port."""
    annotations = k8s_of_kind("Deployment")[service.name]["spec"]["template"]["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/scrape") == "true"
    assert annotations.get("prometheus.io/port") == str(service.metrics_port)
    assert annotations.get("prometheus.io/path", "/metrics") == "/metrics"

    jobs = [
        job
        for job in scrape_jobs(k8s_prometheus_config())
        if any(
            sd.get("role") == "pod" and NAMESPACE in sd.get("namespaces", {}).get("names", [NAMESPACE])
            for sd in job.get("kubernetes_sd_configs", [])
        )
    ]
    assert jobs, "no kubernetes_sd pod job covering the namespace"
    relabels = jobs[0].get("relabel_configs", [])
    assert any(
        r.get("action") == "keep"
        and r.get("source_labels") == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
        for r in relabels
    ), "pods are not selected by prometheus.io/scrape"
    assert any(
        r.get("target_label") == "__address__"
        and "__meta_kubernetes_pod_annotation_prometheus_io_port" in r.get("source_labels", [])
        for r in relabels
    ), "the scrape address does not use prometheus.io/port"


# --- workloads ---------------------------------------------------------------------


def test_every_long_running_container_has_probes() -> None:
    checked = 0
    for kind_name, template in pod_templates():
        if kind_name.startswith("Job/"):
            continue
        for container in template["spec"]["containers"]:
            where = f"{kind_name} container {container['name']}"
            assert "livenessProbe" in container, f"{where}: no livenessProbe"
            assert "readinessProbe" in container, f"{where}: no readinessProbe"
            checked += 1
    assert checked >= len(SERVICES)


def test_every_container_has_resource_requests_and_limits() -> None:
    for kind_name, template in pod_templates():
        for container in all_containers(template["spec"]):
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert resource in resources.get(bound, {}), (
                        f"{kind_name} container {container['name']}: no {bound}.{resource}"
                    )


def test_pods_meet_the_restricted_pod_security_standard() -> None:
    """The namespace enforces 'restricted': a pod that breaks it would never be admitted."""
    namespace = k8s_of_kind("Namespace")[NAMESPACE]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for kind_name, template in pod_templates():
        pod_security = template["spec"].get("securityContext", {})
        assert pod_security.get("runAsNonRoot") is True, kind_name
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", kind_name
        for container in all_containers(template["spec"]):
            security = container.get("securityContext", {})
            where = f"{kind_name} container {container['name']}"
            assert security.get("allowPrivilegeEscalation") is False, where
            assert "ALL" in security.get("capabilities", {}).get("drop", []), where
            assert security.get("runAsUser", pod_security.get("runAsUser")) not in (None, 0), where


def test_gateway_serves_health_endpoints_and_autoscales() -> None:
    container = next(
        c
        for c in k8s_of_kind("Deployment")["gateway"]["spec"]["template"]["spec"]["containers"]
        if c["name"] == "gateway"
    )
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports.get("http") == 8000
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        http = container[probe]["httpGet"]
        assert http["path"] == path
        assert http["port"] in ("http", 8000)
    service_ports = {p["port"] for p in k8s_of_kind("Service")["gateway"]["spec"]["ports"]}
    assert {8000, 9100} <= service_ports
    rpc_timeout = float(config_map_env()["KETNOI_RPC_TIMEOUT"])
    assert container["readinessProbe"]["timeoutSeconds"] > rpc_timeout, "/readyz makes an RPC call"
    assert config_map_env()["KETNOI_GATEWAY_HOST"] == "0.0.0.0"
    assert as_env_dict(compose_services()["gateway"]["environment"])["KETNOI_GATEWAY_HOST"] == "0.0.0.0"
    hpa = k8s_of_kind("HorizontalPodAutoscaler")["gateway"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "gateway",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    assert "/healthz" in " ".join(as_argv(compose_services()["gateway"]["healthcheck"]["test"]))


def test_selectors_match_their_pods() -> None:
    """A typo in a selector leaves a Service without endpoints or a workload unmanaged."""
    templates = [t["metadata"].get("labels", {}) for _, t in pod_templates()]
    for kind_name, template in pod_templates():
        if kind_name.startswith("Job/"):
            continue
        workload = next(o for o in k8s_objects() if f"{o['kind']}/{o['metadata']['name']}" == kind_name)
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= template["metadata"]["labels"].items(), kind_name
    for name, service in k8s_of_kind("Service").items():
        selector = service["spec"]["selector"]
        assert any(selector.items() <= labels.items() for labels in templates), name


def test_every_object_lives_in_the_namespace() -> None:
    for obj in k8s_objects():
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == NAMESPACE, obj["metadata"]["name"]


# --- secrets -----------------------------------------------------------------------


def test_compose_secrets_come_from_variables() -> None:
    """Every secret is a required ${VAR}: no literal value, no default to fall back on."""
    checked = 0
    for name, spec in compose_services().items():
        for key, value in as_env_dict(spec.get("environment")).items():
            if SENSITIVE_NAME.search(key):
                assert REQUIRED_VARIABLE.match(value), f"{name}: {key} is not a required ${{VAR}}"
                checked += 1
            for credentials in URI_CREDENTIALS.finditer(value):
                assert REQUIRED_VARIABLE.match(credentials["password"]), f"{name}: {key} has a literal password"
                checked += 1
    for secret, spec in compose().get("secrets", {}).items():
        assert set(spec) & {"environment", "file", "external"}, f"secret {secret} has no source"
    assert checked >= 2 * len(SERVICES)


def test_k8s_commits_no_secret_and_documents_every_key_it_reads() -> None:
    """Secrets are created outside the repository from the example env files' keys, so those
    files must list exactly the keys the manifests read, and no manifest may carry a Secret value."""
    for name, secret in k8s_of_kind("Secret").items():
        assert not secret.get("data") and not secret.get("stringData"), f"Secret {name} carries values"
    refs = secret_key_refs()
    assert {name for name, _ in refs} == set(SECRET_EXAMPLES), "a Secret without an example env file"
    for name, path in SECRET_EXAMPLES.items():
        keys = example_keys(path)
        assert len(keys) == len(set(keys)), f"{path.name} lists a key twice"
        assert set(keys) == {key for secret, key in refs if secret == name}, path.name
    filled_in = [".env", *(str(path.relative_to(ROOT)).replace(".example", "") for path in SECRET_EXAMPLES.values())]
    examples = [".env.example", *(str(path.relative_to(ROOT)) for path in SECRET_EXAMPLES.values())]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *filled_in, *examples],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert ignored == filled_in, "filled-in copies must be git-ignored, the examples committed"


def test_dockerfile_builds_a_non_root_image_without_secrets() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages: list[str] = []
    for image, stage in re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$", text, re.MULTILINE | re.IGNORECASE):
        # The base is pinned by exact version and digest; later stages build on earlier ones.
        assert image in stages or re.match(r"^python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}$", image), image
        stages.append(stage)
    assert stages, "Dockerfile has no FROM"
    assert re.search(r"pip install[^\n]*-r requirements/services\.txt", text)
    assert re.search(r"^ENV\b(.|\\\n)*\bEVENTLET_NO_GREENDNS=yes\b", text, re.MULTILINE)
    for directory in ("shared/", "services/", "events/"):
        assert re.search(rf"^COPY\s+(--\S+\s+)*{directory}\s", text, re.MULTILINE), directory
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    for line in re.findall(r"^(?:ARG|ENV)\s.*$", text, re.MULTILINE):
        assert not re.search(r"SECRET|PASSWORD|TOKEN", line), line


# --- infrastructure ------------------------------------------------------------------


def test_compose_mongo_is_a_mongo_7_replica_set() -> None:
    services = compose_services()
    mongods = {
        name: spec for name, spec in services.items() if "mongod " in " ".join(as_argv(spec.get("command"))) + " "
    }
    assert len(mongods) >= 3, "expected a three-member replica set"
    for name, spec in mongods.items():
        assert MONGO_7_IMAGE.match(spec["image"]), f"{name}: {spec['image']}"
        command = " ".join(as_argv(spec["command"]))
        assert f"--replSet {REPLICA_SET}" in command, name
        assert "--keyFile" in command, f"{name}: members must authenticate each other"
        assert spec.get("healthcheck", {}).get("test"), f"{name}: no healthcheck"

    init = services["mongo-init"]
    assert init.get("restart") == "no"
    assert MONGO_7_IMAGE.match(init["image"])
    assert all(depends_on(init).get(m) == "service_healthy" for m in mongods)
    env = as_env_dict(init.get("environment"))
    assert env["MONGO_RS_NAME"] == REPLICA_SET
    members = {host.split(":")[0] for host in env["MONGO_RS_MEMBERS"].split(",")}
    assert members == {spec.get("hostname", name) for name, spec in mongods.items()}
    assert any("deploy/mongo/init-replica.js" in str(v) for v in init.get("volumes", []))
    script = MONGO_INIT_SCRIPT.read_text(encoding="utf-8")
    assert "replSetInitiate" in script
    assert "NOT_YET_INITIALIZED" in script, "initiating twice must be harmless"


def test_k8s_mongo_is_a_mongo_7_replica_set() -> None:
    statefulsets = [
        s
        for s in k8s_of_kind("StatefulSet").values()
        if any(MONGO_7_IMAGE.match(c["image"]) for c in s["spec"]["template"]["spec"]["containers"])
    ]
    assert len(statefulsets) == 1
    mongo = statefulsets[0]
    assert mongo["spec"]["replicas"] == 3
    assert mongo["spec"].get("volumeClaimTemplates")
    container = mongo["spec"]["template"]["spec"]["containers"][0]
    args = " ".join(as_argv(container.get("command")) + as_argv(container.get("args")))
    assert f"--replSet {REPLICA_SET}" in args
    assert "--keyFile" in args
    headless = k8s_of_kind("Service")[mongo["spec"]["serviceName"]]
    assert headless["spec"].get("clusterIP") == "None"

    job = k8s_of_kind("Job")["mongo-init"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in job["env"]}
    assert env["MONGO_RS_NAME"] == REPLICA_SET
    expected = [
        f"{mongo['metadata']['name']}-{i}.{headless['metadata']['name']}.{NAMESPACE}.svc.cluster.local:27017"
        for i in range(mongo["spec"]["replicas"])
    ]
    assert env["MONGO_RS_MEMBERS"].split(",") == expected
    assert config_map_env()["KETNOI_MONGO_HOSTS"].split(",") == expected
    script = k8s_of_kind("ConfigMap")["mongo-init"]["data"]["init-replica.js"]
    assert script == MONGO_INIT_SCRIPT.read_text(encoding="utf-8"), (
        "k8s/mongodb.yaml's script differs from deploy/mongo/init-replica.js"
    )


def test_rabbitmq_runs_with_management_vhost_and_metrics() -> None:
    rabbit = compose_services()["rabbitmq"]
    assert rabbit["image"].startswith("rabbitmq:3.13-management")
    assert as_argv(rabbit["healthcheck"]["test"])[1:] == ["rabbitmq-diagnostics", "-q", "ping"]
    vhost = as_env_dict(rabbit["environment"])["RABBITMQ_DEFAULT_VHOST"]
    for name, spec in compose_services().items():
        uri = as_env_dict(spec.get("environment")).get("KETNOI_AMQP_URI")
        if uri is not None:
            assert uri.endswith(f"@rabbitmq:5672/{vhost}"), name
    config = yaml.safe_load(COMPOSE_PROMETHEUS.read_text(encoding="utf-8"))
    assert "rabbitmq:15692" in static_targets(config)

    statefulset = k8s_of_kind("StatefulSet")["rabbitmq"]
    assert statefulset["spec"].get("volumeClaimTemplates")
    pod = statefulset["spec"]["template"]
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "15692"
    assert k8s_of_kind("Service")[statefulset["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"
    assert config_map_env()["KETNOI_AMQP_VHOST"] == vhost


def test_one_shot_jobs_run_before_the_services() -> None:
    services = compose_services()
    for job in ("topology", "mongo-init"):
        assert services[job].get("restart") == "no", job
    assert depends_on(services["topology"]).get("rabbitmq") == "service_healthy"
    assert "KETNOI_JWT_SECRET" in as_env_dict(services["topology"].get("environment")), (
        "shared.config.settings() refuses to start without it outside dev mode"
    )


def test_the_broker_s_advanced_settings_are_the_same_file_everywhere() -> None:
    """compose mounts deploy/rabbitmq/advanced.config, k8s carries it in a ConfigMap mounted at the same path,
    and the test brokers read it too (scripts/private_broker.py), so the drills try the production setting."""
    expected = (ROOT / "deploy" / "rabbitmq" / "advanced.config").read_text(encoding="utf-8")
    volumes = compose_services()["rabbitmq"]["volumes"]
    assert "./deploy/rabbitmq/advanced.config:/etc/rabbitmq/advanced.config:ro" in volumes
    [config_map] = [o for o in k8s_objects() if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "rabbitmq-config"]
    assert config_map["data"]["advanced.config"] == expected
    [broker] = [o for o in k8s_objects() if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "rabbitmq"]
    mounts = broker["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    mounted = {"name": "config", "mountPath": "/etc/rabbitmq/advanced.config", "subPath": "advanced.config"}
    assert {**mounted, "readOnly": True} in mounts
