"""The release path: scripts/release.py (``make release``), the image it builds and where it is named.

No Docker engine runs where these tests run, so the script runs with --no-build: it
lints the Dockerfile, renders k8s/ with a release's image and tag, checks that every
service runs that image in k8s and compose and that no secret value is committed, and
validates both with the validators test_deployment.py uses. The checks it makes are
also given bad input here, to show they refuse what they must.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import release
from tests.contract.test_deployment import (
    COMPOSE_FILE,
    DOCKERFILE,
    KUSTOMIZATION,
    ROOT,
    SERVICES,
    all_containers,
    compose,
    compose_services,
    k8s_files,
    k8s_objects,
    pod_templates,
)

IMAGE = "registry.test:5000/team/ketnoi"
TAG = "v1.2.3-4-gabcdef0"
REFERENCE = f"{IMAGE}:{TAG}"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
# ${VAR...} in compose; $${...} is an escaped dollar for the container's shell.
COMPOSE_VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


def rendered_objects(path: Path) -> list[dict[str, Any]]:
    return [o for o in yaml.safe_load_all(path.read_text(encoding="utf-8")) if o]


def images_by_container(objects: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted(
        (where, c["name"], c["image"]) for where, pod in release.pod_specs(objects) for c in all_containers(pod)
    )


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One run of the script with a release's image and tag (the repository must be left as it was)."""
    if shutil.which("hadolint", path=str(Path(sys.executable).parent)) is None:
        pytest.fail(f"hadolint is not installed beside {sys.executable}: pip install -r requirements/dev.txt")
    out = tmp_path_factory.mktemp("release")
    before = KUSTOMIZATION.read_text(encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "scripts.release", "--no-build", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "KETNOI_IMAGE": IMAGE, "KETNOI_TAG": TAG},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert KUSTOMIZATION.read_text(encoding="utf-8") == before, "the release edited k8s/kustomization.yaml"
    return result, out


# --- the script on the repository ----------------------------------------------------------------


def test_release_checks_pass_and_print_what_would_be_pushed(released) -> None:
    result, _ = released
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hadolint found nothing" in result.stdout
    assert "validated: docker-compose.yml (compose spec), k8s.yaml (Kubernetes schemas, strict)" in result.stdout
    assert "image: not built (--no-build)" in result.stdout
    assert f"push:    docker push {REFERENCE}" in result.stdout
    assert f"compose: KETNOI_IMAGE={IMAGE} KETNOI_TAG={TAG} docker compose up -d" in result.stdout
    assert f"runs {', '.join(s.name for s in SERVICES)} and the topology job" in result.stdout


def test_every_service_runs_the_released_image_in_the_rendered_k8s(released) -> None:
    result, out = released
    assert result.returncode == 0, result.stderr
    objects = rendered_objects(out / "k8s.yaml")
    pods = dict(release.pod_specs(objects))
    for service in SERVICES:
        pod = pods[f"Deployment/{service.name}"]
        assert [c["image"] for c in all_containers(pod)] == [REFERENCE] * len(all_containers(pod)), service.name
    # Nothing else changed: the same objects, other images untouched, no bare "ketnoi" left.
    assert sorted((o["kind"], o["metadata"]["name"]) for o in objects) == sorted(
        (o["kind"], o["metadata"]["name"]) for o in k8s_objects()
    )
    expected = [
        (where, name, REFERENCE if image == release.IMAGE_NAME else image)
        for where, name, image in images_by_container(list(k8s_objects()))
    ]
    assert images_by_container(objects) == expected
    copied = yaml.safe_load((out / "k8s" / "kustomization.yaml").read_text(encoding="utf-8"))
    assert copied["images"] == [{"name": "ketnoi", "newName": IMAGE, "newTag": TAG}], "not deployable with -k"


def test_the_renderer_without_kubectl_gives_kubectl_s_images(released) -> None:
    """The fallback substitutes images exactly as kustomize did for the same kustomization."""
    result, out = released
    assert result.returncode == 0, result.stderr
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is absent: the script itself used the fallback")
    fallback = [o for o in yaml.safe_load_all(release.substitute_images(out / "k8s")) if o]
    assert images_by_container(fallback) == images_by_container(rendered_objects(out / "k8s.yaml"))


# --- one variable for the image, each place ----------------------------------------------------------


def test_k8s_names_the_image_once_in_the_kustomization() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == sorted(path.name for path in k8s_files()), (
        "every manifest in k8s/ is listed (an unlisted one is never applied), and only those"
    )
    entries = [e for e in kustomization["images"] if e["name"] == release.IMAGE_NAME]
    assert len(entries) == 1 and entries[0].get("newName") and entries[0].get("newTag")
    ketnoi = [
        (where, c["image"])
        for where, template in pod_templates()
        for c in all_containers(template["spec"])
        if release.image_repository(c["image"]).endswith("ketnoi")
    ]
    assert ketnoi and all(image == release.IMAGE_NAME for _, image in ketnoi), (
        "manifests name the ketnoi image without registry or tag"
    )
    for service in SERVICES:
        assert (f"Deployment/{service.name}", release.IMAGE_NAME) in ketnoi, service.name


def test_compose_takes_image_and_tag_from_one_variable_each() -> None:
    images = {name: spec["image"] for name, spec in compose_services().items() if "build" in spec}
    assert {s.name for s in SERVICES} | {"topology"} <= set(images)
    assert len(set(images.values())) == 1
    assert release.COMPOSE_IMAGE.match(next(iter(images.values())))
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert len(re.findall(r"^\s*image:\s*\$\{KETNOI_IMAGE", text, re.MULTILINE)) == 1, "one anchor names it"
    assert compose()["x-ketnoi-image"]["build"]["target"] == "runtime"


def test_env_example_lists_every_variable_compose_reads() -> None:
    """.env.example is the one list of what to fill in: required ones as KEY=, optional ones commented."""
    read = {m["name"]: m["rest"] for m in COMPOSE_VARIABLE.finditer(COMPOSE_FILE.read_text(encoding="utf-8"))}
    read |= {spec["environment"]: "?" for spec in compose().get("secrets", {}).values() if "environment" in spec}
    read = {name: rest for name, rest in read.items() if name != "VAR"}  # the header's ${VAR:?} example
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    required = {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z_][A-Z0-9_]*=$", line)}
    optional = {line[2:].split("=", 1)[0] for line in lines if re.match(r"^# [A-Z_][A-Z0-9_]*=", line)}
    assert set(read) == required | optional
    assert required == {name for name, rest in read.items() if "?" in rest}, "required ones are KEY= lines"
    assert release.example_values(ENV_EXAMPLE) == []


# --- the Dockerfile --------------------------------------------------------------------------------


def test_build_context_admits_exactly_what_the_dockerfile_copies() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", text, re.MULTILINE | re.IGNORECASE)
    assert stages[-1] == "runtime", "make release and compose build the last stage, runtime"
    copied = {
        source.rstrip("/")
        for flags, sources in re.findall(r"^COPY\s+((?:--\S+\s+)*)(.+)$", text, re.MULTILINE)
        if "--from" not in flags
        for source in sources.split()[:-1]
    }
    assert not copied & {".", "tests", "bench", "demo", "docs", "scripts"}, "only what runs goes in the image"
    patterns = [p for p in DOCKERIGNORE.read_text(encoding="utf-8").splitlines() if p and not p.startswith("#")]
    assert patterns[0] == "*", ".dockerignore is an allow-list"
    assert {p[1:].rstrip("/") for p in patterns if p.startswith("!")} == copied


# --- the checks refuse what they must ------------------------------------------------------------


def deployment(name: str, image: str) -> dict[str, Any]:
    pod = {"containers": [{"name": name, "image": image}]}
    return {"kind": "Deployment", "metadata": {"name": name}, "spec": {"template": {"spec": pod}}}


def test_release_refuses_a_service_not_on_the_released_image() -> None:
    objects = [
        deployment("gateway", REFERENCE),
        deployment("booths", "ketnoi"),
        deployment("old", f"{IMAGE}:old"),
        deployment("stale", "registry.example.com/ketnoi:0.1.0"),
        deployment("mongo", "mongo:7.0"),
    ]
    problems = release.unreleased(objects, REFERENCE, ["gateway", "booths", "meetings"])
    assert problems == [
        f"service booths: its Deployment does not run {REFERENCE}",
        "service meetings: no Deployment",
        f"Deployment/booths container booths: image ketnoi is not the released {REFERENCE}",
        f"Deployment/old container old: image {IMAGE}:old is not the released {REFERENCE}",
        f"Deployment/stale container stale: image registry.example.com/ketnoi:0.1.0 is not the released {REFERENCE}",
    ]
    assert release.unreleased([deployment("gateway", REFERENCE)], REFERENCE, ["gateway"]) == []


def test_release_refuses_compose_images_not_from_the_variables() -> None:
    build = {"build": {"context": "."}}
    good = "${KETNOI_IMAGE:-ketnoi}:${KETNOI_TAG:-local}"
    spec = {"services": {"gateway": {**build, "image": good}, "booths": {**build, "image": "ketnoi:1.0"}}}
    assert release.compose_problems(spec, ["gateway", "booths", "meetings"]) == [
        "service meetings: not in docker-compose.yml",
        "compose booths: image 'ketnoi:1.0' is not ${KETNOI_IMAGE}:${KETNOI_TAG}",
        f"compose services built here name different images: {sorted([good, 'ketnoi:1.0'])}",
    ]
    assert release.compose_problems({"services": {"gateway": {"image": "ketnoi"}}}, ["gateway"]) == [
        "service gateway: compose does not build it from the Dockerfile"
    ]


def test_release_refuses_committed_secret_values(tmp_path: Path) -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"A": "x"}, "data": {"B": "eA=="}}
    empty = {"kind": "Secret", "metadata": {"name": "e"}, "type": "Opaque"}
    assert release.secret_values([secret, empty, deployment("gateway", REFERENCE)]) == [
        "Secret/s: B has a value",
        "Secret/s: A has a value",
    ]
    example = tmp_path / "secrets.example.env"
    example.write_text("# KEY=documented default\nEMPTY=\nFILLED=hunter2\nSPACES=  \n", encoding="utf-8")
    assert release.example_values(example) == ["secrets.example.env:3: FILLED has a value"]
    manifest = tmp_path / "config.yaml"
    manifest.write_text("stringData:\n  KETNOI_JWT_SECRET: CHANGE-ME-jwt\n", encoding="utf-8")
    assert release.placeholders([manifest]) == [f"{manifest}:2: CHANGE-ME"]
