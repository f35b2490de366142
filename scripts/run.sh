#!/usr/bin/env bash
# Runs a TypeScript entry point (or, with --bin, a local CLI) under Node >= 24, installing npm deps first if needed.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo_root/scripts/lib/node24.sh"
cd "$repo_root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = "--bin" ]; then
  shift
  exec "node_modules/.bin/$1" "${@:2}"
fi
exec node --import tsx "$@"
