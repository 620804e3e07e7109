# The images of the scorer, the router and the CRM simulator (a local stand-in CRM for
# demos and tests): one build, the service named by SERVICE. Build context is the
# repository root (it needs uv.lock and the whole workspace):
#   docker build --build-arg SERVICE=scorer -t leadrouter-scorer .
#   docker build --build-arg SERVICE=router -t leadrouter-router .
#   docker build --build-arg SERVICE=crm-simulator -t leadrouter-crm-simulator .
ARG PYTHON_IMAGE=python:3.11-slim
# scorer, router or crm-simulator: the workspace member leadrouter-${SERVICE}, and the
# stage below of that name (its port, health check and command).
ARG SERVICE

# ---------------------------------------------------------------- builder ----
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN pip install "uv==0.13.8"

# Use the image's interpreter (never download one), install real copies (not
# links into the cache) and non-editable wheels, so /app/.venv is self-contained.
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1

WORKDIR /app

# 1) Third-party dependencies only: every member's pyproject.toml is needed for
#    uv to read the workspace, no source yet, so this layer survives code edits.
COPY pyproject.toml uv.lock ./
COPY schemas/pyproject.toml schemas/
COPY runtime/pyproject.toml runtime/
COPY services/scorer/pyproject.toml services/scorer/
COPY services/router/pyproject.toml services/router/
COPY deploy/crm-simulator/pyproject.toml deploy/crm-simulator/
COPY cli/pyproject.toml cli/
COPY deploy/chaos/pyproject.toml deploy/chaos/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package "leadrouter-${SERVICE}" --no-editable --no-install-workspace

# 2) The sources of the members a service is built from; only SERVICE's own and the
#    members it depends on (schemas, runtime; none for the simulator) are installed,
#    as wheels.
COPY schemas/ schemas/
COPY runtime/ runtime/
COPY services/scorer/ services/scorer/
COPY services/router/ services/router/
COPY deploy/crm-simulator/ deploy/crm-simulator/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package "leadrouter-${SERVICE}" --no-editable

# ---------------------------------------------------------------- runtime ----
FROM ${PYTHON_IMAGE} AS runtime

# /app/var is writable by the service user, for the router's default SQLite database
# (compose points ROUTER_DB__URL at Postgres instead).
RUN groupadd --system --gid 10001 leadrouter \
    && useradd --system --uid 10001 --gid leadrouter --home-dir /app \
       --no-create-home --shell /usr/sbin/nologin leadrouter \
    && install -d -o leadrouter -g leadrouter /app/var

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:10001

# Each service listens on all interfaces: the default (127.0.0.1) is unreachable from
# outside the container.

# ----------------------------------------------------------------- scorer ----
FROM runtime AS scorer
ENV SCORER_HTTP__HOST=0.0.0.0 \
    SCORER_HTTP__PORT=8001
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SCORER_HTTP__PORT', '8001'), timeout=3)"]
CMD ["python", "-m", "leadrouter_scorer"]

# ----------------------------------------------------------------- router ----
FROM runtime AS router
ENV ROUTER_HTTP__HOST=0.0.0.0 \
    ROUTER_HTTP__PORT=8002
EXPOSE 8002
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ROUTER_HTTP__PORT', '8002'), timeout=3)"]
CMD ["python", "-m", "leadrouter_router"]

# ---------------------------------------------------------- crm-simulator ----
FROM runtime AS crm-simulator
ENV CRM_SIMULATOR_HOST=0.0.0.0 \
    CRM_SIMULATOR_PORT=8003
EXPOSE 8003
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CRM_SIMULATOR_PORT', '8003'), timeout=3)"]
CMD ["python", "-m", "leadrouter_crm_simulator"]

# ------------------------------------------------------------------ image ----
# hadolint ignore=DL3006
FROM ${SERVICE}
