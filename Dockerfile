# Sportello in a container: see deploy/README.md.
#
#   docker build -t sportello .
#   docker run -d --name sportello --env-file /etc/sportello/sportello.env \
#     -v sportello-data:/var/lib/sportello -p 127.0.0.1:9091:9091 sportello
#
# Build stage: only the Rust toolchain is needed (TLS is rustls: no OpenSSL, no headers).
FROM rust:1-bookworm AS build
WORKDIR /src
# The whole tree (less .dockerignore): the manifest names benches and tests as targets.
COPY . .
RUN cargo build --release --locked --bin sportello \
 && strip target/release/sportello

# Runtime stage: a small Debian with the binary, the knowledge pack and a user of its own.
# No CA bundle is needed (rustls carries its roots) and no time zone files (jiff bundles
# its database).
FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 sportello \
 && useradd --system --uid 10001 --gid sportello --home-dir /var/lib/sportello \
      --no-create-home --shell /usr/sbin/nologin sportello \
 && install -d -o sportello -g sportello -m 0700 /var/lib/sportello /var/cache/sportello
COPY --from=build /src/target/release/sportello /usr/local/bin/sportello
COPY config.toml /opt/sportello/config.toml
COPY knowledge /opt/sportello/knowledge
WORKDIR /opt/sportello
ENV SPORTELLO_DATA_DIR=/var/lib/sportello \
    SPORTELLO_DOCUMENTS_CACHE=/var/cache/sportello/documents \
    SPORTELLO_OPS_LISTEN=0.0.0.0:9091
# Sessions, reminders, tickets and the outbox: keep this volume (and back it up).
VOLUME ["/var/lib/sportello"]
EXPOSE 9091
USER sportello:sportello
# The store answers and the process lives; `sportello health` asks /healthz itself, so the
# image needs no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["sportello", "--config", "/opt/sportello/config.toml", "health"]
# SIGTERM stops it cleanly (updates in progress finish, the outbox gets up to 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["sportello", "--config", "/opt/sportello/config.toml"]
CMD ["run"]
