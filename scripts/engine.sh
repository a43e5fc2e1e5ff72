#!/usr/bin/env bash
# Provision and start a local Docker engine for the tests and the local example, idempotently.
#
#   scripts/engine.sh ensure   install (Debian, root) and start dockerd if nothing answers; print the socket
#   scripts/engine.sh stop     stop the dockerd this script started
#
# Where an engine already answers on DOCKER_HOST (or the default socket), it is used as is.
# Otherwise, on Debian as root, this installs trixie's docker.io/docker-cli/docker-buildx (pinned at
# priority 100 so nothing else upgrades) and starts dockerd on its own socket and data root with the
# containerd image store. Elsewhere it says exactly what is missing and exits 1.
set -euo pipefail

STATE=${IMAGE_BUDGET_ENGINE_DIR:-/var/lib/image-budget-engine}
SOCK="$STATE/docker.sock"
HOST="unix://$SOCK"
log() { echo "engine: $*" >&2; }

engine_answers() { DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

install_packages() {
  if [ "$(id -u)" != 0 ]; then log "not root: cannot install Docker. Install Docker Engine >= 24 with buildx, or run as root on Debian."; exit 1; fi
  if ! [ -f /etc/debian_version ]; then log "not Debian: install Docker Engine >= 24 with buildx and start it, then set DOCKER_HOST."; exit 1; fi
  log "installing Docker engine from Debian trixie (pinned at priority 100)"
  if ! grep -rqs 'trixie' /etc/apt/sources.list.d/; then
    cat > /etc/apt/sources.list.d/image-budget-trixie.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  cat > /etc/apt/preferences.d/image-budget-trixie <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io/trixie docker-cli/trixie docker-buildx/trixie \
    containerd runc tini iptables busybox-static git >/dev/null
}

have_engine_bits() { command -v dockerd >/dev/null && [ -x /usr/libexec/docker/cli-plugins/docker-buildx ] && command -v busybox >/dev/null; }

start_daemon() {
  mkdir -p "$STATE/data" "$STATE/exec"
  cat > "$STATE/daemon.json" <<JSON
{"features":{"containerd-snapshotter":true}}
JSON
  log "starting dockerd on $SOCK (containerd image store, no bridge)"
  # setsid: the daemon outlives the shell that started it.
  setsid dockerd --config-file "$STATE/daemon.json" --host "$HOST" --data-root "$STATE/data" \
    --exec-root "$STATE/exec" --pidfile "$STATE/docker.pid" --iptables=false --ip6tables=false --bridge=none \
    >"$STATE/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 120); do
    if engine_answers "$HOST"; then return 0; fi
    sleep 0.5
  done
  log "dockerd did not answer within 60 s; its log:"; tail -n 30 "$STATE/dockerd.log" >&2; exit 1
}

# Base images the examples and tests use: a busybox-static rootfs gives a shell without any pull.
ensure_base_images() {
  if ! DOCKER_HOST="$HOST" docker image inspect image-budget/busybox:latest >/dev/null 2>&1; then
    if ! command -v busybox >/dev/null; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
      else
        log "busybox is missing: install busybox-static (it makes the local base image image-budget/busybox)"; exit 1
      fi
    fi
    local root; root=$(mktemp -d)
    mkdir -p "$root/bin" "$root/tmp" "$root/etc"
    cp "$(command -v busybox)" "$root/bin/busybox"
    for a in sh ls cat cp mv rm mkdir echo head dd gzip tar wc true false sleep touch chmod ln find; do ln -s busybox "$root/bin/$a"; done
    tar -C "$root" -c . | DOCKER_HOST="$HOST" docker import - image-budget/busybox:latest >/dev/null
    rm -rf "$root"
    log "imported image-budget/busybox:latest"
  fi
}

case "${1:-ensure}" in
  ensure)
    if [ -n "${DOCKER_HOST:-}" ] && engine_answers "$DOCKER_HOST"; then HOST=$DOCKER_HOST
    elif [ -z "${DOCKER_HOST:-}" ] && engine_answers "unix:///var/run/docker.sock" && docker buildx version >/dev/null 2>&1; then HOST=unix:///var/run/docker.sock
    elif engine_answers "$HOST"; then :
    elif [ "$(id -u)" != 0 ]; then
      log "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}, /var/run/docker.sock, $SOCK)."
      log "Start Docker Engine >= 24 with buildx and the containerd image store (daemon.json: {\"features\":{\"containerd-snapshotter\":true}}),"
      log "or run this as root on Debian to have a private engine installed and started."
      exit 1
    else
      have_engine_bits || install_packages
      start_daemon
    fi
    if ! DOCKER_HOST="$HOST" docker buildx version >/dev/null 2>&1; then log "docker buildx is missing: install the docker-buildx plugin"; exit 1; fi
    ensure_base_images
    echo "$HOST"
    ;;
  stop)
    if [ -f "$STATE/docker.pid" ]; then kill "$(cat "$STATE/docker.pid")" 2>/dev/null || true; fi
    ;;
  *) echo "usage: $0 ensure|stop" >&2; exit 2 ;;
esac
