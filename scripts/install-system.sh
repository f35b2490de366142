#!/usr/bin/env bash
# Installs the Debian packages the local stack uses, only when something is missing (idempotent).
# Without root, missing packages are reported and the stack falls back where it can (PGlite for Postgres).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v turnserver >/dev/null || missing+=(coturn)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v chromium >/dev/null || missing+=(chromium)
# npm compiles aws-lambda-ric's native addon (with its bundled curl and aws-lambda-cpp) when it installs it.
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
command -v xz >/dev/null || missing+=(xz-utils)
# The local SAML identity provider: SimpleSAMLphp under PHP's own web server (php-xml for its XML signatures).
[ -d /usr/share/simplesamlphp/www ] || missing+=(simplesamlphp)
command -v php >/dev/null || missing+=(php-cli)
php -m 2>/dev/null | grep -qx dom || missing+=(php-xml)
php -m 2>/dev/null | grep -qx mbstring || missing+=(php-mbstring)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "[install] missing Debian packages: ${missing[*]} (no root: install them, or Postgres falls back to PGlite)" >&2
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "[install] apt-get install ${missing[*]}" >&2
as_root apt-get update -qq
# The packages' own services are not used: our scripts run private instances on their own ports.
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
