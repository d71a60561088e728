#!/usr/bin/env bash
# After a failed run: node journals, kubelet/containerd and pod logs (kind export logs), nodes, pods,
# events, NetworkPolicies and the external endpoint containers, into <report dir>/diagnostics.
# Best effort: never fails the step. Env: CLUSTER_NAME, REPORT_DIR.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v kind >/dev/null || ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  echo "no kind cluster named $CLUSTER_NAME: nothing to collect"
  exit 0
fi
diag=$REPORT_DIR/diagnostics
mkdir -p "$diag"
kind export logs "$diag/kind-logs" --name "$CLUSTER_NAME" || gh_warning diagnostics "kind export logs failed"
kubeconfig=${RUNNER_TEMP:-/tmp}/$CLUSTER_NAME.kubeconfig
if command -v kubectl >/dev/null && kind get kubeconfig --name "$CLUSTER_NAME" >"$kubeconfig"; then
  k() { kubectl --kubeconfig "$kubeconfig" --request-timeout=30s "$@"; }
  k get nodes -o wide >"$diag/nodes.txt" 2>&1
  k get pods --all-namespaces -o wide >"$diag/pods.txt" 2>&1
  k get events --all-namespaces --sort-by=.lastTimestamp >"$diag/events.txt" 2>&1
  k get networkpolicies --all-namespaces -o yaml >"$diag/networkpolicies.yaml" 2>&1
  k get daemonsets,deployments --namespace kube-system -o wide >"$diag/kube-system.txt" 2>&1
fi
docker ps --all --filter "label=netpol-harness.cluster=$CLUSTER_NAME" >"$diag/externals.txt" 2>&1
du -sh "$diag"
exit 0
