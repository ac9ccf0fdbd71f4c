# syntax=docker/dockerfile:1
# The kling-temporal image: the compiled package (lib/) on Node, run as a non-root user under tini so SIGTERM
# reaches Node and the worker's graceful shutdown runs. One image, several roles (docker-compose.yml, docs/deploy.md):
#   worker (default CMD) · callbacks (the callback receiver) · simulator (the Kling simulator, for local stacks)
# test/docker-compose.test.ts runs the ENTRYPOINT + CMD below as local processes (no Docker on CI).
ARG NODE_VERSION=22

# ---- build: dev dependencies + TypeScript -> lib/ ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (npm run build) needs the sources, copied next.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-workflow-bundle.ts ./scripts/
# The workflow bundle, built once here instead of by webpack at every worker start (KLING_WORKFLOW_BUNDLE below;
# docs/deploy.md): one for workers without tracing, one for workers with OTEL_* tracing on.
RUN npm run build \
  && npm run build:workflow-bundle -- lib/workflow-bundle.js \
  && npm run build:workflow-bundle -- lib/workflow-bundle.tracing.js --tracing

# ---- runtime: production dependencies + lib/ + bin/ ----
# glibc (bookworm), not alpine: the Temporal core bridge ships glibc binaries.
FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    KLING_METRICS_PORT=9464 \
    KLING_METRICS_HOST=0.0.0.0 \
    KLING_WORKFLOW_BUNDLE=/app/lib/workflow-bundle.js
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/lib ./lib
COPY bin ./bin
COPY docker/healthcheck.js docker/create-bucket.js ./docker/
# Worker Deployment Versioning (docs/deploy.md, "Rollouts"): the build id of the code in this image, used when
# KLING_WORKER_DEPLOYMENT is set: `docker build --build-arg KLING_WORKER_BUILD_ID=$(git rev-parse --short HEAD) .`
# Empty (the default): the package version. Declared after the last RUN so a new build id reuses the cached layers.
ARG KLING_WORKER_BUILD_ID=""
ENV KLING_WORKER_BUILD_ID=${KLING_WORKER_BUILD_ID}
# The `node` user of the base image (uid 1000); nothing under /app is writable by it.
USER node
EXPOSE 9464 8788
# worker: metrics endpoint up and the worker polling its task queue; callbacks: GET /healthz (docker/healthcheck.js).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "docker/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/kling-video.js"]
CMD ["worker"]
