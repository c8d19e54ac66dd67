# syntax=docker/dockerfile:1
# The users service as an image: build with every dependency, run with production ones only, as a
# non-root user, `node dist/main.bundle.js` (the bundled server) directly (no npm in between, so
# SIGTERM reaches Node and the drain in src/app.ts runs). Linted in CI by `npm run lint:container`
# (dockerfile-utils).

# ---- build: compile TypeScript and generate the Prisma client ------------------------------------
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# postinstall generates the Prisma client (no engine download, see scripts/prisma-generate.mjs).
RUN npm ci --no-audit --no-fund --ignore-scripts && node scripts/prisma-generate.mjs
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY devkit ./devkit
RUN node scripts/build.mjs

# ---- production dependencies only ----------------------------------------------------------------
FROM node:20.20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the Prisma client is already compiled into dist/ by the build stage.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# ---- runtime -------------------------------------------------------------------------------------
FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root prisma ./prisma
# The code is root's and read-only to the service; only the embedded database dir is its own.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-old-space-size=1024", "dist/main.bundle.js"]
