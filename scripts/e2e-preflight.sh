#!/usr/bin/env bash
# Prints "ready" when the e2e tier can run here (Docker engine up, locally built images present),
# else one line saying why not. Starts the engine when it is installed but not running.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${NPH_CACHE:-/var/cache/netpol-harness}
if [ "${NPH_SKIP_E2E:-}" = 1 ]; then echo "NPH_SKIP_E2E=1 is set"; exit 0; fi
[ -f "$CACHE/images.env" ] || { echo "no locally built images ($CACHE/images.env missing)"; exit 0; }
command -v dockerd >/dev/null || { echo "no Docker engine installed"; exit 0; }
if ! docker info >/dev/null 2>&1; then
  bash "$ROOT/scripts/airgap/engine.sh" >/dev/null 2>&1 || { echo "the Docker engine did not start (see /var/log/nph-dockerd.log)"; exit 0; }
fi
source "$CACHE/images.env"
docker image inspect "$NPH_NODE_IMAGE" >/dev/null 2>&1 || { echo "node image $NPH_NODE_IMAGE is not in the Docker engine"; exit 0; }
[ -x "$NPH_KIND" ] || { echo "kind binary $NPH_KIND missing"; exit 0; }
echo ready
