#!/usr/bin/env bash
# Builds livekit-server v1.13.5 from the Go module proxy into .cache/bin (skipped when present).
# `go install` fails on the module's replace directives, so build inside the downloaded module dir.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
version="${LIVEKIT_VERSION:-v1.13.5}"
out="$repo_root/.cache/bin/livekit-server-$version"
[ -x "$out" ] && exit 0
mkdir -p "$repo_root/.cache/bin" "$repo_root/.cache/go-work"
cd "$repo_root/.cache/go-work"
dir="$(go mod download -json "github.com/livekit/livekit-server@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "[livekit] module download failed" >&2; exit 1; }
echo "[livekit] building $version (first run takes a few minutes)" >&2
(cd "$dir" && GOFLAGS=-mod=mod go build -o "$out.tmp" ./cmd/server)
mv "$out.tmp" "$out"
