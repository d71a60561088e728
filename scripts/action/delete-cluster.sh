#!/usr/bin/env bash
# Deletes the kind cluster and the run's external endpoint containers (plain containers on the kind
# network, kept by --keep as well). Hygiene, not correctness: warns, never fails. Env: CLUSTER_NAME.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if command -v kind >/dev/null; then
  # Deleting a cluster that does not exist is not an error (kind's quick start).
  kind delete cluster --name "$CLUSTER_NAME" || gh_warning clean-up "kind delete cluster failed"
fi
docker ps --all --quiet --filter "label=netpol-harness.cluster=$CLUSTER_NAME" | xargs --no-run-if-empty docker rm --force ||
  gh_warning clean-up "could not remove the external endpoint containers"
exit 0
