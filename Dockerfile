# Tessera container image.
#
#   docker build -t tessera .
#   docker run --rm -p 8080:8080 -e TESSERA_MASTER_KEY=... tessera
#
# The build stage uses BuildKit cache mounts (the default builder in current
# Docker) so that rebuilding after a source change does not recompile every
# dependency. Templates, migrations and static files are compiled into the
# binary, so the runtime stage only needs the binary itself.

FROM rust:1-bookworm AS builder
WORKDIR /src
# sqlx's query macros must not try to reach a database during the image build.
ENV SQLX_OFFLINE=true
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -m 0755 target/release/tessera /usr/local/bin/tessera

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system tessera \
    && useradd --system --gid tessera --home-dir /var/lib/tessera --shell /usr/sbin/nologin tessera \
    && install -d -o tessera -g tessera -m 0750 /var/lib/tessera
COPY --from=builder /usr/local/bin/tessera /usr/local/bin/tessera

# A writable working directory, in case the embedded SQLite default is used
# instead of PostgreSQL.
WORKDIR /var/lib/tessera
USER tessera
ENV TESSERA_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["tessera"]
CMD ["serve"]
