# syntax=docker/dockerfile:1
# The standalone room server in a small image (no shell, no package manager,
# runs as an unprivileged user). Build from the workspace root:
#   docker build -t private-chat-server .
# compose.yaml runs it with a RAM-only Redis; README.md says how.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --release -p private-chat-server --bin private-chat-server \
    && strip target/release/private-chat-server

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/private-chat-server /usr/local/bin/private-chat-server
EXPOSE 8787
ENV PRIVATE_CHAT_LISTEN=0.0.0.0:8787
ENTRYPOINT ["/usr/local/bin/private-chat-server"]
