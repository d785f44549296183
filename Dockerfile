# syntax=docker/dockerfile:1
# Build a static sccbot binary and ship it on distroless (no shell, no
# package manager, runs as nonroot, uid 65532).
#
# One image for amd64 and arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t IMAGE --push .
# The compiler runs on the build machine's platform and cross-compiles for
# each target (CGO_ENABLED=0: the SQLite driver is pure Go), so no emulation
# is needed.
#
# Both base images are pinned by digest so that a rebuild uses the base that
# was tested. To move to a newer base, print the index digest of the tag and
# replace the one below:
#   docker buildx imagetools inspect golang:1.26.8-trixie
#   docker buildx imagetools inspect gcr.io/distroless/static-debian13:nonroot
# deploy/dockerfile_test.go checks these properties.
FROM --platform=$BUILDPLATFORM golang:1.26.8-trixie@sha256:bdca99a00bc16590cb1a0bb4e698f5fc5d6a64e4d5eef13d9f18a0ee08e5fa65 AS build
WORKDIR /src
# Dependencies first, so that code changes reuse the module cache layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/sccbot ./cmd/sccbot
# distroless has no shell to create the store directory in the final stage,
# so it is made here and copied with its owner set.
RUN mkdir -p /out/store

FROM gcr.io/distroless/static-debian13:nonroot@sha256:f7f8f729987ad0fdf6b05eeeae94b26e6a0f613bdf46feea7fc40f7bd72953e6
COPY --from=build /out/sccbot /sccbot
# The store directory belongs to nonroot before VOLUME declares it: a fresh
# named volume copies the ownership of the image's directory, so the bot can
# create its database there. (Created by WORKDIR or VOLUME, it would be
# root's, and the store would fail with "permission denied".)
COPY --from=build --chown=65532:65532 /out/store /var/lib/sccbot
VOLUME /var/lib/sccbot
WORKDIR /var/lib/sccbot
EXPOSE 9090
USER 65532:65532
ENTRYPOINT ["/sccbot"]
CMD ["run", "--config", "/etc/sccbot/sccbot.yaml"]
