#!/usr/bin/env bash
# Builds the track recorder (media-fleet/recorder, our own Go module) into .cache/bin/track-recorder-<hash>, the
# hash taken over go.mod, go.sum and every .go file, so an edit means a new binary and an unchanged tree means
# no build. Prints the binary's path on stdout.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
module="$repo_root/media-fleet/recorder"
hash="$(cd "$module" && find . -name '*.go' -o -name go.mod -o -name go.sum | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
out="$repo_root/.cache/bin/track-recorder-$hash"
if [ ! -x "$out" ]; then
  mkdir -p "$repo_root/.cache/bin"
  echo "[recorder] building track-recorder-$hash (first run downloads the LiveKit SDK and pion, a few minutes)" >&2
  # go.sum is committed and complete, so the default -mod=readonly holds: a build never rewrites the module.
  (cd "$module" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp" ./cmd/track-recorder)
  mv "$out.tmp" "$out"
  # Only the current build is kept: every edit of the sources makes a new 30 MB binary.
  find "$repo_root/.cache/bin" -maxdepth 1 -name 'track-recorder-*' ! -name "track-recorder-$hash" -delete
fi
echo "$out"
