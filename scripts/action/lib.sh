# shellcheck shell=bash
# Shared helpers of the action's step scripts (sourced, not run). Every script reads its inputs from
# the environment (never spliced into the script text) and writes to the files GitHub names in
# GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY; outside GitHub (tests) those
# default to /dev/null so the scripts run anywhere.
: "${GITHUB_OUTPUT:=/dev/null}" "${GITHUB_ENV:=/dev/null}" "${GITHUB_PATH:=/dev/null}" "${GITHUB_STEP_SUMMARY:=/dev/null}"

# ::error:: on GitHub, a plain line elsewhere (both are just stdout).
gh_error() { printf '::error title=%s::%s\n' "$1" "$2"; }
gh_warning() { printf '::warning title=%s::%s\n' "$1" "$2"; }
output() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
summary() { printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"; }

# A relative path inside the workspace: no leading /, no .., no shell or glob characters.
is_safe_relative_path() { [[ $1 =~ ^[A-Za-z0-9._/-]+$ && $1 != /* && $1 != *..* ]]; }
