#!/usr/bin/env bash
# Builds the AWS Lambda Runtime Interface Emulator (aws-lambda-rie) from the Go module proxy into .cache/bin
# (skipped when that build is present). The module has no tagged releases, so it is pinned by pseudo-version;
# it is patched (scripts/patches/aws-lambda-rie-invoke.patch): function errors marked as Lambda marks them,
# an invocation that arrives while another runs waits instead of crashing the emulator, and asynchronous
# invocations (InvocationType Event) are answered 202 at once and run in the background.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
version="v0.0.0-20261030222936-bef5c4ba774d"
module="github.com/aws/aws-lambda-runtime-interface-emulator"
patch="$repo_root/scripts/patches/aws-lambda-rie-invoke.patch"
out="$repo_root/.cache/bin/aws-lambda-rie"
# A changed pin or patch means a rebuild: the stamp records what the binary was built from.
stamp="$version $(sha256sum "$patch" | cut -c1-16)"
[ -x "$out" ] && [ "$(cat "$out.built" 2>/dev/null)" = "$stamp" ] && exit 0
mkdir -p "$repo_root/.cache/bin" "$repo_root/.cache/go-work"
dir="$(cd "$repo_root/.cache/go-work" && go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "[lambda-rie] module download failed" >&2; exit 1; }
echo "[lambda-rie] building $version" >&2
# The module cache is read-only: patch a copy, outside this checkout so `git apply` doesn't treat it as ours.
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
cp -R "$dir/." "$src" && chmod -R u+w "$src"
(cd "$src" && git apply "$patch")
(cd "$src" && CGO_ENABLED=0 go build -o "$out.tmp" ./cmd/aws-lambda-rie)
mv "$out.tmp" "$out"
echo "$stamp" >"$out.built"
