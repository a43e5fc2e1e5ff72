#!/usr/bin/env bash
# Provision and start a local Docker engine for the tests and the local example, idempotently.
#
#   scripts/engine.sh ensure          install (Debian, root) and start dockerd if nothing answers; print the socket
#   scripts/engine.sh ensure-classic  the same for a second dockerd with the classic image store (no
#                                     containerd snapshotter) on its own socket, data and exec roots
#   scripts/engine.sh stop            stop the dockerds this script started (both)
#
# Where an engine already answers on DOCKER_HOST (or the default socket), it is used as is.
# Otherwise, on Debian as root, this installs trixie's docker.io/docker-cli/docker-buildx (pinned at
# priority 100 so nothing else upgrades) and starts dockerd on its own socket and data root with the
# containerd image store. Elsewhere it says exactly what is missing and exits 1.
# The classic engine is always this script's own (never DOCKER_HOST's): it exists to test the path the
# action takes on runners whose Docker has the classic image store.
set -euo pipefail

STATE=${IMAGE_BUDGET_ENGINE_DIR:-/var/lib/image-budget-engine}
SOCK="$STATE/docker.sock"
HOST="unix://$SOCK"
CLASSIC_STATE=${IMAGE_BUDGET_CLASSIC_ENGINE_DIR:-$STATE-classic}
CLASSIC_HOST="unix://$CLASSIC_STATE/docker.sock"
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

# start_daemon STATE_DIR CONTAINERD_STORE(true|false): dockerd on STATE_DIR/docker.sock, with its own
# data root, exec root (hence its own managed containerd) and pid file.
start_daemon() {
  local state=$1 snapshotter=$2 host="unix://$1/docker.sock" store
  if [ "$snapshotter" = true ]; then store="containerd image store"; else store="classic image store"; fi
  mkdir -p "$state/data" "$state/exec"
  cat > "$state/daemon.json" <<JSON
{"features":{"containerd-snapshotter":$snapshotter}}
JSON
  log "starting dockerd on $state/docker.sock ($store, no bridge)"
  # setsid: the daemon outlives the shell that started it.
  # The classic daemon gets containerd namespaces of its own: where a system containerd runs (a
  # GitHub runner), every dockerd uses it, and the runner's own dockerd already has the default ones.
  # The main daemon keeps the defaults: BuildKit's cache in a data root refers to snapshots of the
  # namespace it was made in, so changing it on an existing data root breaks every cached build.
  local ns=()
  if [ "$snapshotter" != true ]; then ns=(--containerd-namespace image-budget-classic --containerd-plugins-namespace image-budget-classic-plugins); fi
  setsid dockerd --config-file "$state/daemon.json" --host "$host" --data-root "$state/data" \
    --exec-root "$state/exec" --pidfile "$state/docker.pid" --iptables=false --ip6tables=false --bridge=none \
    "${ns[@]}" >"$state/dockerd.log" 2>&1 < /dev/null 9>&- &
  for _ in $(seq 1 120); do
    if engine_answers "$host"; then return 0; fi
    sleep 0.5
  done
  log "dockerd did not answer within 60 s; its log:"; tail -n 30 "$state/dockerd.log" >&2; exit 1
}

# Base images the examples and tests use: a busybox-static rootfs gives a shell without any pull.
# ensure_base_images DOCKER_HOST
ensure_base_images() {
  local host=$1
  if ! DOCKER_HOST="$host" docker image inspect image-budget/busybox:latest >/dev/null 2>&1; then
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
    tar -C "$root" -c . | DOCKER_HOST="$host" docker import - image-budget/busybox:latest >/dev/null
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
      start_daemon "$STATE" true
    fi
    if ! DOCKER_HOST="$HOST" docker buildx version >/dev/null 2>&1; then log "docker buildx is missing: install the docker-buildx plugin"; exit 1; fi
    ensure_base_images "$HOST"
    echo "$HOST"
    ;;
  ensure-classic)
    if ! engine_answers "$CLASSIC_HOST"; then
      if [ "$(id -u)" != 0 ]; then
        log "no classic-store engine answers on $CLASSIC_HOST, and only root can start one: run 'sudo bash $0 ensure-classic' once."
        exit 1
      fi
      # Only the daemon is needed here (the client and buildx are checked below): a runner's own dockerd will do.
      command -v dockerd >/dev/null || install_packages
      mkdir -p "$CLASSIC_STATE"
      # Two callers at once must not start two daemons on one data root.
      exec 9>"$CLASSIC_STATE/ensure.lock"
      flock 9
      engine_answers "$CLASSIC_HOST" || start_daemon "$CLASSIC_STATE" false
    fi
    if DOCKER_HOST="$CLASSIC_HOST" docker info --format '{{json .DriverStatus}}' 2>/dev/null | grep -q 'io.containerd.snapshotter'; then
      log "the engine on $CLASSIC_HOST uses the containerd image store, not the classic one; stop it ($0 stop) and try again"
      exit 1
    fi
    if ! DOCKER_HOST="$CLASSIC_HOST" docker buildx version >/dev/null 2>&1; then log "docker buildx is missing: install the docker-buildx plugin"; exit 1; fi
    ensure_base_images "$CLASSIC_HOST"
    echo "$CLASSIC_HOST"
    ;;
  stop)
    for state in "$STATE" "$CLASSIC_STATE"; do
      if [ -f "$state/docker.pid" ]; then kill "$(cat "$state/docker.pid")" 2>/dev/null || true; fi
    done
    ;;
  *) echo "usage: $0 ensure|ensure-classic|stop" >&2; exit 2 ;;
esac
