#!/usr/bin/env bash
# Runs the suite: `netpol-harness run <suite> --cni <cni> --cluster-name <name> --keep --report-dir
# <dir>`, output teed to <dir>/run.log. Never fails the step itself: the harness's exit code is the
# output exit-code (2 for a usage error found here), judged by verdict.sh after the diagnostics,
# clean-up and upload steps. --keep: the cluster outlives the run so that its logs can be exported;
# delete-cluster.sh removes it. The harness appends summary.md to $GITHUB_STEP_SUMMARY itself.
# Env: NPH_CLI, SUITE, CNI, CLUSTER_NAME, REPORT_DIR, NODE_IMAGE (optional), EXTRA_ARGS (optional,
#      whitespace-separated words of [A-Za-z0-9._/:=,@+-]).
# Outputs: exit-code, report-dir.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage_error() {
  gh_error suite "$1"
  output exit-code 2
  exit 0
}
SUITE=${SUITE:-}
REPORT_DIR=${REPORT_DIR:-netpol-harness-report}
is_safe_relative_path "$SUITE" || usage_error "suite '$SUITE' must be a relative path inside the repository"
[ -e "$SUITE" ] || usage_error "suite $SUITE does not exist"
is_safe_relative_path "$REPORT_DIR" || usage_error "report-dir '$REPORT_DIR' must be a relative path inside the repository"
case ${CNI:-} in calico|kube-router|none) ;; *) usage_error "cni '${CNI:-}' must be calico, kube-router or none" ;; esac
[[ ${CLUSTER_NAME:-} =~ ^[a-z0-9][a-z0-9.-]*$ ]] || usage_error "cluster-name '${CLUSTER_NAME:-}' must be lowercase letters, digits, '-' and '.'"
mkdir -p "$REPORT_DIR"
output report-dir "$REPORT_DIR"

args=(run "$SUITE" --cni "$CNI" --cluster-name "$CLUSTER_NAME" --keep --report-dir "$REPORT_DIR")
if [ -n "${NODE_IMAGE:-}" ]; then args+=(--node-image "$NODE_IMAGE"); fi
read -r -a extra <<<"${EXTRA_ARGS:-}"
for word in "${extra[@]}"; do
  [[ $word =~ ^[A-Za-z0-9._/:=,@+-]+$ ]] || usage_error "args: '$word' holds characters other than letters, digits and ._/:=,@+-"
  args+=("$word")
done
echo "netpol-harness ${args[*]}"
set +e
node "${NPH_CLI:?NPH_CLI names the built CLI}" "${args[@]}" 2>&1 | tee "$REPORT_DIR/run.log"
code=${PIPESTATUS[0]}
set -e
output exit-code "$code"
echo "netpol-harness exited with $code"
