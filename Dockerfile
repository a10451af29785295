# syntax=docker/dockerfile:1
#
# One image for every ketnoi service; compose and k8s choose the service with
# the command, e.g.
#   nameko run --config services/registration/config.yaml registration.service
# and the one-shot RabbitMQ topology job with
#   python -m shared.events.declare gateway.service registration.service booths.service \
#       meetings.service notifications.service
#
# Why one image rather than a target per service: the services share every
# dependency and the shared/ library, the topology job must import all of them
# in one interpreter, and the services call each other over RPC, so they are
# only tested together at one commit. One image means one build, one digest to
# scan, promote or roll back, and no way to deploy mismatched services.
#
# Built by `make release` (scripts/release.py), which passes the version and
# revision; no secret is baked in: JWT secret, broker, database and SMTP
# credentials arrive as environment variables at run time (compose .env / k8s Secret).

# Python 3.11, the version the services are pinned and tested on (see README,
# "Dependencies"), on Debian bookworm; pinned by digest so that a rebuild starts
# from the same base. Bump the tag and the digest together.
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS base

# EVENTLET_NO_GREENDNS: eventlet 0.33.3's green DNS resolver breaks pymongo's
# SRV/replica-set host resolution, so it must be off in every process.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EVENTLET_NO_GREENDNS=yes

# Dependencies in a virtual environment of their own stage: the runtime stage
# copies only the environment, not what installing it left behind, and code
# changes do not reinstall them. requirements/services.txt pins every version.
FROM base AS dependencies
WORKDIR /build
COPY requirements/services.txt requirements/services.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements/services.txt

FROM base AS runtime

# A fixed numeric UID so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 ketnoi \
    && useradd --system --uid 10001 --gid ketnoi --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin ketnoi

COPY --from=dependencies /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Only what runs: the library, the event schemas and the services (.dockerignore
# keeps tests, docs, demo data and local files out of the build context).
# Code is owned by root and only readable by the service user: a compromised
# process cannot rewrite it (k8s additionally mounts the root filesystem read-only).
COPY shared/ shared/
COPY events/ events/
COPY services/ services/

# Each service package lives in services/<name>/<name>/; nameko imports
# "<name>.service", so every services/<name> directory must be on the path.
# tests/contract/test_deployment.py fails when a service directory is missing here.
ENV PYTHONPATH=/app:/app/services/gateway:/app/services/registration:/app/services/booths:/app/services/meetings:/app/services/notifications:/app/services/integrations

# Last, so a new version does not invalidate the layers above. The values label
# the ketnoi_build_info metric and the image.
ARG KETNOI_VERSION=dev
ARG KETNOI_REVISION=unknown
ENV KETNOI_VERSION=${KETNOI_VERSION} \
    KETNOI_REVISION=${KETNOI_REVISION}
LABEL org.opencontainers.image.title="ketnoi" \
      org.opencontainers.image.version="${KETNOI_VERSION}" \
      org.opencontainers.image.revision="${KETNOI_REVISION}"

USER 10001:10001

# 8000: gateway HTTP API; 9100-9109: per-service Prometheus metrics ports.
EXPOSE 8000 9100-9109

# Default role; every deployment descriptor overrides it per service.
CMD ["nameko", "run", "--config", "services/gateway/config.yaml", "gateway.service"]
