#!/usr/bin/env bash
# Start and stop throwaway OCI registries on loopback for the tests (Debian's docker-registry, the
# reference distribution registry; scripts/provision.sh installs it with apache2-utils for htpasswd).
#
#   scripts/registry.sh start NAME [plain|tls|token]   start registry NAME on a free 127.0.0.1 port;
#                                    print 127.0.0.1:PORT, then (tls) the credentials file, or (token)
#                                    the token signing key and its certificate
#   scripts/registry.sh stop NAME    stop it and remove everything start made for it
#
# plain: HTTP, no authentication (the engine pushes to it without configuration: docker treats
# 127.0.0.0/8 as an insecure registry, tries HTTPS and falls back to HTTP).
# tls: HTTPS with a self-signed certificate for IP:127.0.0.1, and basic authentication (htpasswd,
# bcrypt) of one user with a random password. Its certificate is installed as
# $CERTS_D/127.0.0.1:PORT/ca.crt (default /etc/docker/certs.d), where both the engine and the
# action's registry client look for a registry's CA; the credentials file holds `user:password`.
# token: HTTP, and the distribution token authentication: the registry answers 401 with a Bearer
# challenge (realm $IMAGE_BUDGET_REGISTRY_REALM, service image-budget-test) and accepts only JWTs
# issued by image-budget-test-issuer, signed (RS256) with the key this prints and carrying its
# certificate in the x5c header; the token server at the realm is the caller's (the tests run one).
#
# Each registry has its own directory, $IMAGE_BUDGET_REGISTRY_DIR/NAME (default
# /var/lib/image-budget-registry/NAME, or a temporary directory's when that is not writable), with
# its storage, configuration, certificate and log. Nothing is installed here; a missing program is
# named and the script exits 1.
set -euo pipefail

STATE=${IMAGE_BUDGET_REGISTRY_DIR:-/var/lib/image-budget-registry}
if ! mkdir -p "$STATE" 2>/dev/null || ! [ -w "$STATE" ]; then STATE="${TMPDIR:-/tmp}/image-budget-registry-$(id -u)"; mkdir -p "$STATE"; fi
CERTS_D=${IMAGE_BUDGET_CERTS_D:-/etc/docker/certs.d}
log() { echo "registry: $*" >&2; }

need() {
  local missing=()
  for p in "$@"; do command -v "$p" >/dev/null || missing+=("$p"); done
  if ((${#missing[@]})); then log "missing ${missing[*]}: run scripts/provision.sh (Debian: apt-get install docker-registry apache2-utils openssl)"; exit 1; fi
}

check_name() {
  if ! [[ "${1:-}" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]]; then log "a registry NAME is 1 to 64 letters, digits, '.', '_' or '-' (given '${1:-}')"; exit 2; fi
}

port_taken() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

answers() {
  local scheme=$1 port=$2
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 ${3:+--cacert "$3"} "$scheme://127.0.0.1:$port/v2/" 2>/dev/null) || return 1
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

# write_config DIR PORT VARIANT
write_config() {
  local dir=$1 port=$2 variant=$3
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: $(openssl rand -hex 16)
YAML
  if [ "$variant" = token ]; then
    cat >> "$dir/config.yml" <<YAML
auth:
  token:
    realm: $IMAGE_BUDGET_REGISTRY_REALM
    service: image-budget-test
    issuer: image-budget-test-issuer
    rootcertbundle: $dir/token-cert.pem
YAML
  fi
  if [ "$variant" = tls ]; then
    cat >> "$dir/config.yml" <<YAML
  tls:
    certificate: $dir/cert.pem
    key: $dir/key.pem
auth:
  htpasswd:
    realm: image-budget-test
    path: $dir/htpasswd
YAML
  fi
}

# make_tls DIR: a self-signed certificate for IP:127.0.0.1, and one user with a random password.
make_tls() {
  local dir=$1 user=tester password
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  password=$(openssl rand -hex 16)
  htpasswd -Bbn "$user" "$password" > "$dir/htpasswd" 2>/dev/null
  printf '%s:%s\n' "$user" "$password" > "$dir/credentials"
  chmod 600 "$dir/credentials" "$dir/key.pem"
}

# make_token_key DIR: the key the token server signs with, and its self-signed certificate.
make_token_key() {
  local dir=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=image-budget-test-issuer" \
    -keyout "$dir/token-key.pem" -out "$dir/token-cert.pem" 2>/dev/null
  chmod 600 "$dir/token-key.pem"
}

start() {
  local name=$1 variant=${2:-plain} dir port scheme=http cacert=''
  check_name "$name"
  case "$variant" in
    plain) need docker-registry curl openssl ;;
    tls) need docker-registry curl openssl htpasswd ;;
    token)
      need docker-registry curl openssl
      if ! [[ "${IMAGE_BUDGET_REGISTRY_REALM:-}" =~ ^https?://[^[:space:]]+$ ]]; then log "the token variant needs IMAGE_BUDGET_REGISTRY_REALM, the token server's URL"; exit 2; fi
      ;;
    *) log "variant is plain, tls or token (given '$variant')"; exit 2 ;;
  esac
  dir="$STATE/$name"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then log "registry $name already runs (stop it first)"; exit 1; fi
  rm -rf "$dir"; mkdir -p "$dir/storage"
  if [ "$variant" = tls ] && ! { mkdir -p "$CERTS_D" 2>/dev/null && [ -w "$CERTS_D" ]; }; then
    log "cannot write $CERTS_D, where the engine and the client look for the registry's CA: run as root, or set IMAGE_BUDGET_CERTS_D"; exit 1
  fi
  if [ "$variant" = tls ]; then make_tls "$dir"; scheme=https; cacert="$dir/cert.pem"; fi
  if [ "$variant" = token ]; then make_token_key "$dir"; fi
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    port_taken "$port" && continue
    write_config "$dir" "$port" "$variant"
    # setsid: the registry outlives the shell that started it.
    setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 < /dev/null &
    echo $! > "$dir/pid"
    for _ in $(seq 1 50); do
      if answers "$scheme" "$port" "$cacert"; then
        echo "$port" > "$dir/port"
        if [ "$variant" = tls ]; then
          mkdir -p "$CERTS_D/127.0.0.1:$port"
          cp "$dir/cert.pem" "$CERTS_D/127.0.0.1:$port/ca.crt"
          echo "$CERTS_D/127.0.0.1:$port" > "$dir/certs-dir"
        fi
        echo "127.0.0.1:$port"
        if [ "$variant" = tls ]; then echo "$dir/credentials"; fi
        if [ "$variant" = token ]; then echo "$dir/token-key.pem"; echo "$dir/token-cert.pem"; fi
        return 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      sleep 0.1
    done
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    # Taken meanwhile: try another port.
    grep -q 'address already in use' "$dir/registry.log" && continue
    log "docker-registry did not answer on 127.0.0.1:$port; its log:"; tail -n 20 "$dir/registry.log" >&2; exit 1
  done
  log "no free port found"; exit 1
}

stop() {
  local name=$1 dir
  check_name "$name"
  dir="$STATE/$name"
  [ -d "$dir" ] || return 0
  if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; fi
  if [ -f "$dir/certs-dir" ]; then rm -rf "$(cat "$dir/certs-dir")"; fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" "${3:-plain}" ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start NAME [plain|tls] | stop NAME" >&2; exit 2 ;;
esac
