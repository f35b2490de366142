#!/usr/bin/env bash
# Installs the versitygw S3-compatible server from the Go module proxy into .cache/bin (skipped when present).
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo_root/.cache/bin/versitygw"
[ -x "$out" ] && exit 0
mkdir -p "$repo_root/.cache/bin"
echo "[versitygw] building (first run takes a few minutes)" >&2
GOBIN="$repo_root/.cache/bin" go install github.com/versity/versitygw/cmd/versitygw@latest
