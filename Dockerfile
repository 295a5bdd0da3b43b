# One image for both apps (the compose services choose the command): build with the dev toolchain,
# then ship only production dependencies and the compiled output, running as a non-root user.

# --- build: compile TypeScript (tsc + tsc-alias rewrite the @vowchat/* paths) into dist/ ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build

# --- runtime: production dependencies, dist/ and the topic-creation script ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The compose `topics` service runs this; it needs only kafkajs, a production dependency.
COPY scripts/create-topics.js ./scripts/create-topics.js
# The base image's unprivileged `node` user (uid 1000): the apps write nothing to disk.
USER node
EXPOSE 3000 3001
# Overridden per service: `node dist/apps/dispatcher/src/main.js` runs the dispatcher.
CMD ["node", "dist/apps/producer/src/main.js"]
