# syntax=docker/dockerfile:1
# Build a static sccbot binary and ship it on distroless (no shell, no
# package manager, runs as nonroot).
FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that code changes reuse the module cache layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/sccbot ./cmd/sccbot

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/sccbot /sccbot
# The store lives on a mounted volume; nonroot is uid 65532.
VOLUME /var/lib/sccbot
WORKDIR /var/lib/sccbot
EXPOSE 9090
USER nonroot:nonroot
ENTRYPOINT ["/sccbot"]
CMD ["run", "--config", "/etc/sccbot/sccbot.yaml"]
