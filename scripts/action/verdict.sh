#!/usr/bin/env bash
# The job's verdict: exits with the harness's exit code (0 every step matched, 1 policy mismatches,
# 2 infrastructure or usage error), with an annotation, and on exit 2 or a run that never finished a
# note and the log's last lines on the job summary (the harness wrote none).
# Env: EXIT_CODE (the run step's output; empty when it did not finish), RUN_OUTCOME, REPORT_DIR.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EXIT_CODE=${EXIT_CODE:-}
REPORT_DIR=${REPORT_DIR:-}
log_tail() {
  if [ -n "$REPORT_DIR" ] && [ -f "$REPORT_DIR/run.log" ]; then
    summary '' '<details><summary>Last lines of the run log</summary>' '' '```'
    tail -n 40 "$REPORT_DIR/run.log" >>"$GITHUB_STEP_SUMMARY"
    summary '```' '</details>'
  fi
}
case $EXIT_CODE in
  0)
    echo "every step matched its expectation"
    exit 0 ;;
  1)
    gh_error netpol-harness "policy mismatches: observed reachability differs from the expectation (exit 1); see the job summary and report.html"
    exit 1 ;;
  2)
    gh_error netpol-harness "infrastructure or usage error (exit 2): the suite did not run to the end; see run.log and diagnostics/ in the artifact"
    summary "## netpol-harness: infrastructure or usage error (exit 2)" '' \
      "The cluster, the CNI, the image or the suite itself failed before every step could be probed, so there is no result matrix. The artifact holds \`run.log\` and kind's logs under \`diagnostics/\`."
    log_tail
    exit 2 ;;
  '')
    if [ "${RUN_OUTCOME:-}" = skipped ]; then
      gh_error netpol-harness "the suite did not run: an earlier step failed"
      summary "## netpol-harness: the suite did not run" '' "A set-up step failed before the run; see the job log."
    else
      gh_error netpol-harness "the run step ended without an exit code (${RUN_OUTCOME:-unknown}): it timed out or was cancelled"
      summary "## netpol-harness: run step ${RUN_OUTCOME:-unknown}" '' "The run did not finish (step timeout or cancellation); kind's logs are in the artifact under \`diagnostics/\`."
      log_tail
    fi
    exit 1 ;;
  *)
    gh_error netpol-harness "unexpected exit code $EXIT_CODE"
    log_tail
    if [[ $EXIT_CODE =~ ^[0-9]+$ ]]; then exit "$EXIT_CODE"; fi
    exit 1 ;;
esac
