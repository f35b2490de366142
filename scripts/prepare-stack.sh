#!/usr/bin/env bash
# Everything the local stack needs on disk: Debian packages, npm deps, and the cached Go builds.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo_root/scripts/lib/node24.sh"
cd "$repo_root"
bash scripts/install-system.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
command -v go >/dev/null || { echo "[prepare] Go is required to build livekit-server, versitygw and aws-lambda-rie" >&2; exit 1; }
bash scripts/build-livekit.sh
bash scripts/build-versitygw.sh
bash scripts/build-lambda-rie.sh
