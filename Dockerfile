# syntax=docker/dockerfile:1
# Ledgerport: one image for the web and worker processes. Node 24 runs the TypeScript sources
# directly (type stripping), so there is no build output to copy: the first stage only proves
# the sources typecheck, the second installs production dependencies.

FROM node:24-slim AS check
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY tasks ./tasks
COPY test ./test
COPY bench ./bench
COPY vitest.config.ts ./
RUN npm run typecheck

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the embedded PostgreSQL binaries (optional) are left out:
# in a container, DATABASE_URL points at a real server.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json openapi.yaml ./
COPY --chown=node:node src ./src
COPY --chown=node:node tasks ./tasks
COPY --chown=node:node sql ./sql
# Proves the check stage ran before this image is used.
COPY --from=check /app/package.json /tmp/checked-package.json
USER node
EXPOSE 8080
CMD ["node", "--max-semi-space-size=4", "src/main.ts", "all"]
