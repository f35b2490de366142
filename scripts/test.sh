#!/usr/bin/env bash
# npm test: prepares the stack, then vitest; its global setup starts every service (reusing running ones).
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$repo_root/scripts/prepare-stack.sh"
source "$repo_root/scripts/lib/node24.sh"
cd "$repo_root"
node_modules/.bin/tsc --noEmit -p tsconfig.json
# The pure core type-checks with no runtime globals; the page with DOM types only.
node_modules/.bin/tsc --noEmit -p tsconfig.pure.json
node_modules/.bin/tsc --noEmit -p web/tsconfig.json
# Lint and formatting (biome.json), then layers and cycles (.dependency-cruiser.cjs).
node_modules/.bin/biome ci .
node_modules/.bin/depcruise --config .dependency-cruiser.cjs protocol schema media-fleet workers functions web/src scripts bench test
exec node_modules/.bin/vitest run "$@"
