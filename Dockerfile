# syntax=docker/dockerfile:1
#
# One image for every ketnoi service; compose and k8s choose the service with
# the command, e.g.
#   nameko run --config services/registration/config.yaml registration.service
# and the one-shot RabbitMQ topology job with
#   python -m shared.events.declare gateway.service registration.service booths.service \
#       meetings.service notifications.service
#
# No secret is baked in: JWT secret, broker, database and SMTP credentials arrive as
# environment variables at run time (compose .env / k8s Secret).
# Production builds should pin the base image by digest (python:3.11-slim@sha256:…).
FROM python:3.11-slim

# EVENTLET_NO_GREENDNS: eventlet 0.33.3's green DNS resolver breaks pymongo's
# SRV/replica-set host resolution, so it must be off in every process.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EVENTLET_NO_GREENDNS=yes

WORKDIR /app

# Dependencies first, in their own layer, so code changes do not reinstall them.
# requirements/services.txt pins every version (nameko 2.14.1 needs eventlet
# 0.33.3 and pymongo < 4.16, see the brief).
COPY requirements/services.txt requirements/services.txt
RUN pip install --no-cache-dir -r requirements/services.txt

# A fixed numeric UID so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 ketnoi \
    && useradd --system --uid 10001 --gid ketnoi --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin ketnoi

# Code is owned by root and only readable by the service user: a compromised
# process cannot rewrite it (k8s additionally mounts the root filesystem read-only).
COPY shared/ shared/
COPY events/ events/
COPY demo/ demo/
COPY services/ services/

# Each service package lives in services/<name>/<name>/; nameko imports
# "<name>.service", so every services/<name> directory must be on the path.
# tests/contract/test_deployment.py fails when a service directory is missing here.
ENV PYTHONPATH=/app:/app/services/gateway:/app/services/registration:/app/services/booths:/app/services/meetings:/app/services/notifications

USER 10001:10001

# 8000: gateway HTTP API; 9100-9109: per-service Prometheus metrics ports.
EXPOSE 8000 9100-9109

# Default role; every deployment descriptor overrides it per service.
CMD ["nameko", "run", "--config", "services/gateway/config.yaml", "gateway.service"]
