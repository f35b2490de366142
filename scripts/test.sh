#!/usr/bin/env bash
# npm test: prepares the stack, then vitest; its global setup starts every service (reusing running ones).
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$repo_root/scripts/prepare-stack.sh"
source "$repo_root/scripts/lib/node24.sh"
cd "$repo_root"
node_modules/.bin/tsc --noEmit -p tsconfig.json
node_modules/.bin/tsc --noEmit -p web/tsconfig.json
exec node_modules/.bin/vitest run "$@"
