# The app's image, used by migrate, seed, app-1 and app-2 in docker-compose.yml (migrate builds it).
# Node is the image's own: the same release as the `node` devDependency that npm scripts run on outside Docker.

# Build: every dependency, then compile to dist/.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
# --ignore-scripts: no install script runs. The one that matters is the `node` devDependency's preinstall, which
# downloads a second Node (about 190 MB, outside the lock file's checksums) and links it as node_modules/.bin/node,
# ahead of the image's Node on every npm script's PATH. Skipped, the link is not made either, and `npm run build`
# runs the Nest CLI on the image's Node. Nothing the build needs has an install script (esbuild's and
# @parcel/watcher's serve tsx and Jest). The cache mount keeps npm's download cache out of the layers.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund

COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies only, installed here from the lock file (no devDependency is ever on disk in
# this stage), the compiled code, run as the image's unprivileged `node` user.
FROM node:24.21.0-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
# --ignore-scripts: the only production install script is @scarf/scarf's (swagger-ui-dist's install analytics).
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

COPY --from=build /app/dist ./dist

USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
