#!/usr/bin/env bash
# Everything the tests need besides npm packages, installed only when missing:
#   git, cmark-gfm (GitHub's markdown renderer, to check the comment renders), Chromium and two font
#   packages (to lay the comment out at GitHub's width), a reference registry (scripts/registry.sh),
#   and a Docker engine with buildx (scripts/engine.sh). Prints the DOCKER_HOST to use on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
missing=()
command -v git >/dev/null || missing+=(git)
command -v cmark-gfm >/dev/null || missing+=(cmark-gfm)
# Chromium lays a comment out with GitHub's stylesheet (integration/render-width.test.ts); Liberation
# Sans is Arial's metrics (GitHub's font stack), Noto Color Emoji the width of the status emoji.
command -v chromium >/dev/null || missing+=(chromium)
# A reference registry on loopback (scripts/registry.sh, the registry tests): docker-registry, with
# htpasswd (apache2-utils) for its bcrypt password file, openssl for its certificates, curl to see it up.
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
for font in fonts-liberation fonts-noto-color-emoji; do
  dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q 'ok installed' || missing+=("$font")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "provision: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "provision: missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
bash "$here/engine.sh" ensure
