#!/usr/bin/env bash
# Installs the AWS Lambda Runtime Interface Emulator (aws-lambda-rie) from the Go module proxy into .cache/bin
# (skipped when present). The module has no tagged releases, so it is pinned by pseudo-version.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
version="${LAMBDA_RIE_VERSION:-v0.0.0-20261030222936-bef5c4ba774d}"
out="$repo_root/.cache/bin/aws-lambda-rie"
[ -x "$out" ] && exit 0
mkdir -p "$repo_root/.cache/bin"
echo "[lambda-rie] building $version" >&2
GOBIN="$repo_root/.cache/bin" go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$version"
