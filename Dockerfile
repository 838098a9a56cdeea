# syntax=docker/dockerfile:1
# Pitchlab's API and worker image: `pitchlab serve` (the default) or `pitchlab worker`,
# `pitchlab db upgrade`, any other `pitchlab` command. See deploy/README.md.

# --- builder: the locked dependencies and the project into /app/.venv, with uv -----------------
FROM python:3.11-slim AS builder
# The uv that scripts/uv.py pins (UV_VERSION there): one version for development and images.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
# The image's own Python, never a downloaded one (the runtime stage has the same one); files
# copied (not hard-linked from the cache, which stays in the builder); bytecode compiled now so
# that no process of the read-only runtime writes .pyc files.
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1
WORKDIR /app
# Dependencies first, in a layer of their own: it is rebuilt only when uv.lock changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project
# Then the project itself, installed into the venv (not editable: the runtime needs no checkout;
# the migrations ship inside the package).
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

# --- runtime: slim Python, the venv, an unprivileged user ---------------------------------------
FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 pitchlab \
    && useradd --system --uid 10001 --gid pitchlab --home-dir /app --shell /usr/sbin/nologin pitchlab \
    && mkdir -p /app/data && chown pitchlab:pitchlab /app/data
COPY --from=builder --chown=root:root /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PITCHLAB_DATA_DIR=/app/data
WORKDIR /app
USER pitchlab:pitchlab
EXPOSE 8000
# /readyz: the database answers, migrations at head, the in-process worker up. urllib, as the
# slim image has no curl; any non-2xx answer (503 while not ready) raises, exit code 1.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# SIGTERM (docker stop, a rolling restart) drains: new calls refused, live calls ended and billed,
# in-flight requests finished, within PITCHLAB_SHUTDOWN_GRACE_SECONDS (20): give the container
# longer than that to stop (compose: stop_grace_period; Kubernetes: terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["pitchlab", "serve", "--host", "0.0.0.0"]
