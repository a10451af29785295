"""Build and check a release: ``python -m scripts.release`` (``make release``).

One image runs every ketnoi service (the Dockerfile says why). A release is that
image as ``KETNOI_IMAGE:KETNOI_TAG`` plus the deployment descriptions that run it.
Everything except building and pushing works without a Docker engine, so a
release is checked the same way on a laptop, in CI and in the tests:

1. lint the Dockerfile with hadolint (requirements/dev.txt; skipped, and said so, if absent);
2. render k8s/ with the image set, as ``kustomize edit set image`` would, into
   ``<out>/k8s/`` (apply with -k) and ``<out>/k8s.yaml`` (kubectl's kustomize; without
   kubectl, only the kustomization's ``images:`` substitution, which is all it does here);
3. refuse the release when a service would not run the released image, compose does not
   take its image from KETNOI_IMAGE and KETNOI_TAG, or a secret value is committed;
4. validate docker-compose.yml and the rendered manifests with the validators the tests use;
5. build the image when a Docker engine answers (push it with --push);
6. print the image reference and the commands that deploy it.

KETNOI_IMAGE defaults to the registry/name in k8s/kustomization.yaml, KETNOI_TAG to
``git describe --tags --always --dirty``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLES = (ROOT / ".env.example", *sorted(K8S.glob("*.example.env")))
# Files that describe a deployment: none may hold a secret value or a placeholder for one.
DEPLOYMENT_FILES = (COMPOSE, *ENV_EXAMPLES, *sorted(K8S.glob("*.y*ml")), *sorted((ROOT / "deploy").rglob("*.y*ml")))
# The name the manifests give the ketnoi image; the kustomization's images: entry maps it.
IMAGE_NAME = "ketnoi"
# compose: every ketnoi container's image, registry/name and tag each from one variable.
COMPOSE_IMAGE = re.compile(r"^\$\{KETNOI_IMAGE(:-[^}]+)?\}:\$\{KETNOI_TAG(:-[^}]+)?\}$")
DOCKER_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
PLACEHOLDER = "CHANGE-ME"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


class ReleaseError(Exception):
    """A check failed: the release must not be pushed or applied."""


# --- what the repository declares ------------------------------------------------------------


def services() -> list[str]:
    """Every directory of services/ with a nameko config.yaml is a deployed service."""
    return sorted(config.parent.name for config in ROOT.glob("services/*/config.yaml"))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def default_image() -> str:
    for entry in load_yaml(KUSTOMIZATION).get("images", []):
        if entry["name"] == IMAGE_NAME:
            return entry.get("newName", IMAGE_NAME)
    raise ReleaseError(f"{KUSTOMIZATION.relative_to(ROOT)} has no images: entry named {IMAGE_NAME!r}")


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed (set KETNOI_TAG outside a git checkout): {result.stderr}")
    return result.stdout.strip()


def default_tag() -> str:
    """The nearest release tag and the commits since (a tree with uncommitted changes says -dirty)."""
    return git("describe", "--tags", "--always", "--dirty")


# --- k8s ---------------------------------------------------------------------------------------


def set_image(directory: Path, image: str, tag: str) -> None:
    """What ``kustomize edit set image ketnoi=<image>:<tag>`` does to the kustomization in ``directory``."""
    path = directory / "kustomization.yaml"
    kustomization = load_yaml(path)
    others = [e for e in kustomization.get("images", []) if e["name"] != IMAGE_NAME]
    kustomization["images"] = [*others, {"name": IMAGE_NAME, "newName": image, "newTag": tag}]
    path.write_text(yaml.safe_dump(kustomization, sort_keys=False), encoding="utf-8")


def image_repository(reference: str) -> str:
    """``host:5000/team/name:tag@sha256:…`` -> ``host:5000/team/name``."""
    name = reference.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def substitute_images(directory: Path) -> str:
    """The kustomization's resources with its images: applied, for machines without kubectl."""
    kustomization = load_yaml(directory / "kustomization.yaml")
    images = {e["name"]: e for e in kustomization.get("images", [])}
    texts = [(directory / resource).read_text(encoding="utf-8") for resource in kustomization["resources"]]
    objects = [o for text in texts for o in yaml.safe_load_all(text) if o]
    for container in containers(objects):
        entry = images.get(image_repository(container["image"]))
        if entry:
            container["image"] = f"{entry.get('newName', entry['name'])}:{entry['newTag']}"
    return yaml.safe_dump_all(objects, sort_keys=False)


def render(image: str, tag: str, out: Path) -> Path:
    """Copy k8s/ to ``out/k8s`` with the image set, and render it to ``out/k8s.yaml``."""
    directory = out / "k8s"
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(K8S, directory, ignore=shutil.ignore_patterns("*.env"))
    set_image(directory, image, tag)
    if shutil.which("kubectl"):
        rendered = run(["kubectl", "kustomize", str(directory)]).stdout
    else:
        print("  kubectl not found: images: substituted without kustomize")
        rendered = substitute_images(directory)
    target = out / "k8s.yaml"
    target.write_text(rendered, encoding="utf-8")
    return target


def pod_specs(objects: Iterable[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for obj in objects:
        if obj.get("kind") in WORKLOADS:
            spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
            yield f"{obj['kind']}/{obj['metadata']['name']}", spec["template"]["spec"]


def containers(objects: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for _, pod in pod_specs(objects):
        yield from pod.get("initContainers", [])
        yield from pod["containers"]


def is_ketnoi(image: str, reference: str) -> bool:
    """An image of ketnoi's: the released repository, or any other named ketnoi (a stale, hard-coded one)."""
    repository = image_repository(image)
    return repository == image_repository(reference) or repository.rsplit("/", 1)[-1] == IMAGE_NAME


def unreleased(objects: list[dict[str, Any]], reference: str, names: Iterable[str]) -> list[str]:
    """Why the rendered manifests would not run every service from ``reference`` (empty: they would)."""
    problems = []
    pods = dict(pod_specs(objects))
    for name in names:
        pod = pods.get(f"Deployment/{name}")
        if pod is None:
            problems.append(f"service {name}: no Deployment")
        elif not any(c["image"] == reference for c in pod["containers"]):
            problems.append(f"service {name}: its Deployment does not run {reference}")
    problems += [
        f"{where} container {c['name']}: image {c['image']} is not the released {reference}"
        for where, pod in pod_specs(objects)
        for c in [*pod.get("initContainers", []), *pod["containers"]]
        if is_ketnoi(c["image"], reference) and c["image"] != reference
    ]
    return problems


# --- compose -------------------------------------------------------------------------------------


def compose_problems(compose: dict[str, Any], names: Iterable[str]) -> list[str]:
    """Every service runs in compose from the image named by KETNOI_IMAGE and KETNOI_TAG."""
    specs = compose["services"]
    problems = [f"service {name}: not in docker-compose.yml" for name in names if name not in specs]
    built = {name: spec.get("image", "") for name, spec in specs.items() if "build" in spec}
    problems += [
        f"compose {name}: image {image!r} is not ${{KETNOI_IMAGE}}:${{KETNOI_TAG}}"
        for name, image in built.items()
        if not COMPOSE_IMAGE.match(image)
    ]
    if len(set(built.values())) > 1:
        problems.append(f"compose services built here name different images: {sorted(set(built.values()))}")
    problems += [
        f"service {name}: compose does not build it from the Dockerfile"
        for name in names
        if name in specs and name not in built
    ]
    return problems


# --- secrets -------------------------------------------------------------------------------------


def secret_values(objects: Iterable[dict[str, Any]]) -> list[str]:
    """Secrets that carry values: those must come from outside the repository."""
    return [
        f"Secret/{obj['metadata']['name']}: {key} has a value"
        for obj in objects
        if obj.get("kind") == "Secret"
        for field in ("data", "stringData")
        for key in obj.get(field) or {}
    ]


def example_values(path: Path) -> list[str]:
    """Lines of an example env file that set a value (it lists keys only)."""
    return [
        f"{path.name}:{number}: {line.split('=', 1)[0]} has a value"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if not line.lstrip().startswith("#") and "=" in line and line.split("=", 1)[1].strip()
    ]


def placeholders(paths: Iterable[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{number}: {PLACEHOLDER}"
        for path in paths
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PLACEHOLDER in line
    ]


def committed_secrets(objects: list[dict[str, Any]]) -> list[str]:
    return (
        secret_values(objects)
        + [problem for path in ENV_EXAMPLES for problem in example_values(path)]
        + placeholders(DEPLOYMENT_FILES)
    )


# --- tools ---------------------------------------------------------------------------------------


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise ReleaseError(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    return result


def tool(name: str) -> str | None:
    """A command from this interpreter's environment (requirements/dev.txt) or from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def lint_dockerfile() -> str:
    hadolint = tool("hadolint")
    if hadolint is None:
        return "skipped: hadolint is not installed (pip install -r requirements/dev.txt)"
    run([hadolint, "--no-color", "Dockerfile"])
    return "hadolint found nothing"


def validate(rendered: Path) -> None:
    for argv in (
        ["check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        ["kubernetes_validate", "--strict", str(rendered)],
    ):
        run([sys.executable, "-m", *argv], timeout=300)


def docker_engine() -> bool:
    """The docker client alone is not enough: ``docker info`` answers only when an engine runs."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=30, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def build(reference: str, tag: str, push: bool) -> None:
    args = ["--build-arg", f"KETNOI_VERSION={tag}", "--build-arg", f"KETNOI_REVISION={git('rev-parse', 'HEAD')}"]
    run(["docker", "build", "--target", "runtime", *args, "--tag", reference, "."])
    if push:
        run(["docker", "push", reference])


# --- the release ---------------------------------------------------------------------------------


def release(image: str, tag: str, out: Path, build_image: bool, push: bool) -> None:
    """Run every step; raises ReleaseError when one fails."""
    if not DOCKER_TAG.match(tag):
        raise ReleaseError(f"{tag!r} is not a valid image tag")
    reference = f"{image}:{tag}"
    names = services()
    print(f"release {reference}")
    print(f"  Dockerfile: {lint_dockerfile()}")
    rendered = render(image, tag, out)
    objects = [o for o in yaml.safe_load_all(rendered.read_text(encoding="utf-8")) if o]
    problems = unreleased(objects, reference, names) + compose_problems(load_yaml(COMPOSE), names)
    problems += committed_secrets(objects)
    if problems:
        raise ReleaseError("\n".join(problems))
    print(f"  k8s: rendered {len(objects)} objects; every service runs {reference}")
    print("  compose: every service built from the Dockerfile as ${KETNOI_IMAGE}:${KETNOI_TAG}")
    print("  secrets: none committed (no Secret values, no placeholders, example env files hold keys only)")
    validate(rendered)
    print("  validated: docker-compose.yml (compose spec), k8s.yaml (Kubernetes schemas, strict)")
    if not build_image:
        print("  image: not built (--no-build)")
    elif docker_engine():
        build(reference, tag, push)
        print(f"  image: built{' and pushed' if push else ''}")
    elif push:
        raise ReleaseError("--push needs a Docker engine, and none answers `docker info`")
    else:
        print("  image: not built: no Docker engine answers `docker info`")
    shown = rendered.relative_to(ROOT) if rendered.is_relative_to(ROOT) else rendered
    print(f"\nimage {reference} runs {', '.join(names)} and the topology job")
    print(f"push:    docker push {reference}")
    print("k8s:     kubectl apply -f k8s/namespace.yaml")
    print("         kubectl -n ketnoi create secret generic ketnoi-secrets --from-env-file=k8s/secrets.env")
    print("         kubectl -n ketnoi create secret generic mongo-auth --from-env-file=k8s/mongo-auth.env")
    print(f"         kubectl apply -f {shown}")
    print(f"compose: KETNOI_IMAGE={image} KETNOI_TAG={tag} docker compose up -d")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "release", help="where the rendered k8s goes")
    parser.add_argument("--no-build", action="store_true", help="check and render only, even with Docker")
    parser.add_argument("--push", action="store_true", help="push the image after building it")
    args = parser.parse_args(argv)
    if args.push and args.no_build:
        parser.error("--push needs the build that --no-build skips")
    try:
        image = os.environ.get("KETNOI_IMAGE") or default_image()
        tag = os.environ.get("KETNOI_TAG") or default_tag()
        args.out.mkdir(parents=True, exist_ok=True)
        release(image, tag, args.out.resolve(), build_image=not args.no_build, push=args.push)
    except ReleaseError as error:
        print(f"release refused:\n{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
