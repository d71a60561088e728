#!/usr/bin/env bash
# Build the static probe agent for the npm package (package.json "prepack"): agent-bin/linux-amd64 and
# agent-bin/linux-arm64, each holding nph-agent (CGO_ENABLED=0, from images/agent). With them in the
# package, `netpol-harness run` builds the agent image itself when it is missing (docker build FROM
# scratch, harness/cluster/agent/image.ts), so users need Docker and kind but no Go.
# The binaries are build output: never committed (.gitignore), always rebuilt here.
# Usage: scripts/build-agent-binaries.sh [out-dir]   (default: agent-bin at the repository root)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$REPO/agent-bin}
VERSION=$(tr -d '[:space:]' <"$REPO/images/agent/VERSION")

log() { printf 'build-agent-binaries: %s\n' "$*" >&2; }
command -v go >/dev/null 2>&1 || { log "error: go not found on PATH: packing needs Go to build the agent binaries (users of the package do not)"; exit 1; }

rm -rf "$OUT"
for arch in amd64 arm64; do
  mkdir -p "$OUT/linux-$arch"
  (cd "$REPO/images/agent" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$OUT/linux-$arch/nph-agent" .)
  log "built $OUT/linux-$arch/nph-agent ($(du -h "$OUT/linux-$arch/nph-agent" | cut -f1))"
done
# The binary for this machine must run and be the version we just built.
case $(uname -m) in x86_64) here=amd64 ;; aarch64|arm64) here=arm64 ;; *) here= ;; esac
if [ -n "$here" ]; then
  got=$("$OUT/linux-$here/nph-agent" version)
  [ "$got" = "nph-agent $VERSION" ] || { log "error: nph-agent version printed '$got', expected 'nph-agent $VERSION'"; exit 1; }
fi
