# syntax=docker/dockerfile:1
#
# rightsdesk container image.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t rightsdesk .
#   docker run -p 8080:8080 -v rightsdesk-data:/var/lib/rightsdesk/data \
#       -e RIGHTSDESK_SECRET=... rightsdesk
#
# With no RIGHTSDESK_DATABASE_URL the server uses its default,
# sqlite://data/rightsdesk.db, relative to the working directory
# /var/lib/rightsdesk: the database lands in the /var/lib/rightsdesk/data
# volume. See docker-compose.yml for PostgreSQL.
#
# Health check: none is declared. The runtime image has no curl or wget, and
# the binary has no health-probe subcommand. Probe from outside instead:
# GET /healthz (process up) and GET /readyz (database reachable) on port 8080,
# e.g. a Kubernetes httpGet probe, or a compose healthcheck once a probe
# subcommand exists.

ARG GO_VERSION=1.26

# ---- build --------------------------------------------------------------
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# cgo: mattn/go-sqlite3. The golang image already has gcc and libc6-dev.
ENV CGO_ENABLED=1

# Dependencies first, so that code changes reuse this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/rightsdesk ./cmd/rightsdesk

# ---- runtime ------------------------------------------------------------
# Same Debian release as the build stage: the binary links glibc dynamically.
FROM debian:bookworm-slim
ARG VERSION=dev
LABEL org.opencontainers.image.title="rightsdesk" \
      org.opencontainers.image.description="Privacy-rights request server" \
      org.opencontainers.image.version="${VERSION}"

# ca-certificates: HTTPS to Resend, Sentry and webhook systems.
# tzdata: policy time zones (the binary also embeds time/tzdata).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user with a fixed numeric id (runAsNonRoot-friendly).
RUN groupadd --system --gid 10001 rightsdesk \
    && useradd --system --uid 10001 --gid rightsdesk \
        --home-dir /var/lib/rightsdesk --shell /usr/sbin/nologin rightsdesk \
    && mkdir -p /var/lib/rightsdesk/data \
    && chown -R rightsdesk:rightsdesk /var/lib/rightsdesk

COPY --from=build /out/rightsdesk /usr/local/bin/rightsdesk

WORKDIR /var/lib/rightsdesk
USER 10001:10001
# SQLite database (and its WAL files) when no PostgreSQL URL is given.
VOLUME ["/var/lib/rightsdesk/data"]
EXPOSE 8080

ENTRYPOINT ["rightsdesk"]
CMD ["serve"]
