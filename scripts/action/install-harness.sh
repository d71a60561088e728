#!/usr/bin/env bash
# Installs and builds netpol-harness from the action's own checkout ($GITHUB_ACTION_PATH): `npm ci`
# (whose prepare script builds dist/) and the static agent binaries the package would ship, from
# which `run` builds the agent image itself (docker build FROM scratch) when the engine lacks it.
# Output: cli, the path of the built CLI (called with node directly: npx would rebuild the package).
# Env: ACTION_PATH (default: this script's repository).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

root=${ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
(cd "$root" && npm ci --no-audit --no-fund)
bash "$root/scripts/build-agent-binaries.sh"
cli=$root/dist/harness/cli/bin.js
node "$cli" --version
output cli "$cli"
