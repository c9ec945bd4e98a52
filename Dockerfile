# syntax=docker/dockerfile:1
# Build a static (musl) binary, then ship it alone in an empty image:
# the binary, a CA bundle for TLS, and /tmp. Nothing else is needed at run time.
FROM rust:1-alpine AS build
RUN apk add --no-cache build-base musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p ns-federate \
 && install -D -m 0755 target/release/ns-federate /rootfs/ns-federate \
 && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && install -d -m 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
# GitHub runs Docker actions as the image's user and needs root to write /github/file_commands.
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/ns-federate", "action"]
