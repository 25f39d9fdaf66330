# Clew API image. Build from the repository root:
#   docker build -t clew-api .
# (docker compose does that for the `api` service).

# --- GraphiQL's browser assets, pinned by web/package-lock.json -------------
FROM node:20-bookworm-slim AS graphiql-assets
WORKDIR /build
COPY web/package.json web/package-lock.json web/
# None of these packages needs an install script; refusing them costs nothing.
RUN npm ci --prefix web --no-audit --no-fund --ignore-scripts

# --- the web front end (web/app), built by Vite, pinned by its package-lock.json ---
FROM node:20-bookworm-slim AS front-end
WORKDIR /build
COPY web/app/package.json web/app/package-lock.json web/app/
RUN npm ci --prefix web/app --no-audit --no-fund --ignore-scripts
COPY web/app/index.html web/app/vite.config.js web/app/
COPY web/app/src/ web/app/src/
RUN npm run --prefix web/app build -- --logLevel warn

# --- the Python package, installed into a virtualenv that is copied out -----
FROM python:3.11-slim AS build
# Bytecode is compiled here, since the runtime user cannot write to /opt/venv.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# uv (pinned with hashes) installs exactly what uv.lock says, and refuses to when the lock
# and pyproject.toml disagree; no dev extra, and Clew itself as a regular (non-editable) install.
COPY tools/uv.txt /tmp/uv.txt
RUN pip install --require-hashes -r /tmp/uv.txt
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# README.md* so a checkout without one still builds (pyproject only warns).
COPY pyproject.toml uv.lock README.md* ./
COPY graph_api/ graph_api/
RUN uv sync --locked --no-editable --python /usr/local/bin/python
# Keep only the ~4 MB GraphiQL serves, and fail the build if any is missing.
COPY --from=graphiql-assets /build/web/node_modules /tmp/node_modules
RUN python -c "from pathlib import Path; from graph_api.graphiql import copy_assets; \
copy_assets(Path('/tmp/node_modules'), Path('/opt/graphiql-assets'))"

# --- runtime -----------------------------------------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CLEW_CYPHER_DIR=/app/cypher \
    CLEW_GRAPHIQL_ASSETS=/app/web/node_modules \
    CLEW_WEB_DIST=/app/web/app
RUN groupadd --system --gid 10001 clew \
    && useradd --system --uid 10001 --gid clew --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin clew
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/graphiql-assets /app/web/node_modules
COPY --from=front-end /build/web/app/dist /app/web/app
COPY cypher/ /app/cypher/
WORKDIR /app
# Numeric, so Kubernetes runAsNonRoot can verify it. Files stay root-owned: the
# service only reads them.
USER 10001:10001
EXPOSE 8000
# python:3.11-slim has no curl or wget; urlopen raises on any non-2xx answer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# --no-proxy-headers: X-Forwarded-For is believed only from CLEW_TRUSTED_PROXIES, by the app.
CMD ["uvicorn", "graph_api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers"]
