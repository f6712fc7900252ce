# syntax=docker/dockerfile:1
# Ledgerport: one image for the web and worker processes. Node 24 runs the TypeScript sources
# directly (type stripping), so there is no build output to copy: the first stage only proves
# the sources typecheck, the second installs production dependencies, the last one is what runs.
# test/deploy.test.ts checks this recipe against what `npm run start:web` / `start:worker` load.

FROM node:24-slim AS check
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything tsconfig.json includes.
COPY tsconfig.json vitest.config.ts ./
COPY src ./src
COPY tasks ./tasks
COPY test ./test
COPY bench ./bench
COPY client/src ./client/src
COPY client/scripts ./client/scripts
RUN npm run typecheck

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. --omit=optional leaves out the embedded PostgreSQL binaries: in a
# container DATABASE_URL points at a real server (and must be set). --ignore-scripts: no
# production dependency needs an install script (it only stops swagger-ui-dist's telemetry).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production PORT=8080 METRICS_PORT=9464
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
# package.json is read at run time too: its "type": "module" makes the .ts files ES modules.
COPY --chown=node:node package.json package-lock.json openapi.yaml ./
# src/ includes src/console/assets (the console's CSS and JS, read at start-up).
COPY --chown=node:node src ./src
COPY --chown=node:node tasks ./tasks
COPY --chown=node:node sql ./sql
COPY --chown=node:node deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
# Proves the check stage ran before this image is used (BuildKit skips stages nothing uses).
COPY --from=check /app/package.json /tmp/checked-package.json
USER node
# 8080: HTTP (web); 9464: the worker's metrics listener.
EXPOSE 8080 9464
# web and all: GET /readyz (database reachable, migrations applied); worker: its metrics listener.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]
# The default process is `npm run start:web`; run the worker from the same image with
#   node --max-semi-space-size=4 src/main.ts worker      (npm run start:worker)
# and migrations, once per release, with
#   node src/main.ts migrate                             (npm run migrate)
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=192", "src/main.ts", "web"]
